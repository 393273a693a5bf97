// Binary payloads in both directions, buffers nested at any depth.
//
//   client -> server  'message' with buffers in arrays and objects, echoed
//                     back as 'message-back'; 'message-with-ack' with buffers,
//                     acknowledged with them
//   server -> client  'send-binary' -> 'binary' (Buffer 010203,
//                     {nested: Buffer ff, text: "x"}); 'binary-ack' acked
//                     with (Buffer deadbeef, "text")
//   client ack        'ask' answered with buffers; the server reports what its
//                     callback got on stdout (checked by the Go side)
//
// arg: {url, timeoutMs, transports}
"use strict";

const sio = require("./sio-lib");

const NESTED = [
  "bin",
  Buffer.from([0, 1, 2]),
  { deep: { buf: Buffer.from([0xca, 0xfe]), list: [Buffer.alloc(0), Buffer.from([7]), "s"] }, n: 1 },
  [Buffer.from([9, 9]), [Buffer.from("hi")]],
  Buffer.alloc(3000, 0xab),
];

sio.run(async (a) => {
  const s = sio.client(a.url, "/", { transports: a.transports });
  await sio.connected(s);
  const res = { transport: sio.transportName(s) };

  const back = sio.next(s, "message-back");
  s.emit("message", ...NESTED);
  res.echo = sio.ser(await back);

  res.ackEcho = sio.ser(await sio.call(s, "message-with-ack", [Buffer.from("hello"), { b: [Buffer.from([1])] }]));

  const bin = sio.next(s, "binary");
  s.emit("send-binary");
  res.binary = sio.ser(await bin);

  res.binaryAck = sio.ser(await sio.call(s, "binary-ack", []));

  const q = sio.next(s, "question");
  s.emit("ask", 2000);
  (await q).pop()(Buffer.from([0xca, 0xfe]), { x: Buffer.from([1]) });
  await sio.sync(s);

  // Text still flows normally after the binary traffic.
  const back2 = sio.next(s, "message-back");
  s.emit("message", "text again");
  res.after = sio.ser(await back2);
  res.transportAtEnd = sio.transportName(s);

  sio.closeAll(s);
  return res;
});
