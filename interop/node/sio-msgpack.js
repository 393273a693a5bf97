// The socket.io-msgpack-parser wire format: socket.io-client 4.8.4 created
// with parser: require("socket.io-msgpack-parser") (3.0.2) against a server
// started with that parser (profile "msgpack"). Every packet is one binary
// Engine.IO message holding a msgpack map; binary values travel inline.
//
//   events      'message' with buffers and nested data echoed as
//               'message-back'; 'send-binary' -> 'binary'
//   acks        client -> server: 'message-with-ack' and 'binary-ack'
//               answered; server -> client: 'ask' -> 'question', answered
//               with buffers (the server reports its callback on stdout)
//   broadcast   A joins room "r"; B emits 'to-room' with a buffer (A gets
//               'room-msg') and 'broadcast' (A gets 'bcast'); 'broadcast-ask'
//               makes the server ask both clients ('poll') with acks
//   namespace   /custom: auth, echo and ack
//   refusal     /guarded's middleware: connect_error with message and data
//   ArrayBuffer sent by the client (notepack's ext type 0): reported with
//               its kind on the way back (bytes must match)
//
// arg: {url, timeoutMs, transports}
"use strict";

const parser = require("socket.io-msgpack-parser");
const lib = require("./lib");
const sio = require("./sio-lib");

const NESTED = [
  "bin",
  Buffer.from([0, 1, 2]),
  { deep: { buf: Buffer.from([0xca, 0xfe]), list: [Buffer.alloc(0), Buffer.from([7]), "s"] }, n: 1.5, t: true, z: null },
  [Buffer.from([9, 9]), [Buffer.from("hi")]],
  Buffer.alloc(3000, 0xab),
  "é😀",
  -7,
  4294967296,
];

sio.run(async (a) => {
  const opts = { transports: a.transports, parser };
  const res = {};

  const A = sio.client(a.url, "/", { ...opts, label: "A" });
  const auth = sio.next(A, "auth");
  await sio.connected(A);
  res.transport = sio.transportName(A);
  res.auth = sio.ser(await auth);

  const back = sio.next(A, "message-back");
  A.emit("message", ...NESTED);
  res.echo = sio.ser(await back);

  res.ackEcho = sio.ser(await sio.call(A, "message-with-ack", [Buffer.from("hello"), { b: [Buffer.from([1])] }]));

  const bin = sio.next(A, "binary");
  A.emit("send-binary");
  res.binary = sio.ser(await bin);

  res.binaryAck = sio.ser(await sio.call(A, "binary-ack", []));

  const q = sio.next(A, "question");
  A.emit("ask", 2000);
  (await q).pop()(Buffer.from([0xca, 0xfe]), { x: Buffer.from([1]) });
  await sio.sync(A);

  const ab = sio.next(A, "message-back");
  A.emit("message", new Uint8Array([5, 6, 7]).buffer);
  const [abBack] = await ab;
  res.arrayBuffer = { hex: lib.bytes(abBack).toString("hex"), kind: lib.kind(abBack) };

  // Broadcasts from a second client.
  const B = sio.client(a.url, "/", { transports: ["websocket"], parser, label: "B" });
  await sio.connected(B);
  res.join = sio.ser(await sio.call(A, "join", ["r"]));
  const roomMsg = sio.next(A, "room-msg");
  B.emit("to-room", "r", { buf: Buffer.from([0xbe, 0xef]), s: "to r" });
  res.roomMsg = sio.ser(await roomMsg);
  const bcast = sio.next(A, "bcast");
  B.emit("broadcast", [1, { two: 2 }]);
  res.bcast = sio.ser(await bcast);
  const pollA = sio.next(A, "poll");
  const pollB = sio.next(B, "poll");
  B.emit("broadcast-ask", 2000);
  const [pollQ, cbA] = await pollA;
  res.poll = pollQ;
  cbA("A");
  (await pollB).pop()("B");
  await sio.sync(B); // B's answer is in; A's precedes A's last echo below

  // Another namespace on the same connection.
  const C = sio.client(a.url, "/custom", { ...opts, auth: { who: "custom" }, label: "custom" });
  const cauth = sio.next(C, "auth");
  await sio.connected(C);
  res.custom = {
    auth: sio.ser(await cauth),
    echo: sio.ser(await sio.call(C, "message-with-ack", ["on custom", Buffer.from([1])])),
  };

  // A middleware's refusal.
  const G = sio.client(a.url, "/guarded", { ...opts, auth: { token: "bad" }, label: "guarded" });
  const [err] = await sio.next(G, "connect_error");
  res.guarded = { message: err.message, data: sio.ser(err.data), connected: G.connected };

  // Still fine after all that.
  const last = sio.next(A, "message-back");
  A.emit("message", "text again");
  res.after = sio.ser(await last);
  res.transportAtEnd = sio.transportName(A);

  sio.closeAll(A, B, C, G);
  return res;
});
