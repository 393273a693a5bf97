// Connection state recovery (server profile "recovery").
//
// A joins r1 and gets an echo; then its connection drops: over WebSocket
// the TCP connection is destroyed under the transport (no close frame, no
// close packet); over polling the Engine.IO session is closed by the client
// (close packet; the server's reason is "transport close" either way, a
// recoverable one). While A is away B broadcasts, sends to r1 (text, then a
// buffer) and to itself; then A reconnects (the same Socket object: it sends
// its pid and last offset). A must get exactly the three missed packets,
// before its 'connect' event, with socket.recovered true and the same socket
// id; r1 membership is restored. Finally a second drop with automatic
// reconnection: recovered again, same id, nothing replayed.
//
// arg: {url, timeoutMs, transport: "websocket" | "polling"}
"use strict";

const sio = require("./sio-lib");

// drop cuts A's connection (see above).
function drop(s) {
  const t = s.io.engine.transport;
  if (t.name === "polling") {
    s.io.engine.close();
    return;
  }
  if (!t.ws || !t.ws._socket) throw new Error(`cannot drop transport ${t.name}`);
  t.ws._socket.destroy();
}

sio.run(async (a) => {
  const log = []; // A's view, in order
  // a.msgpack: both clients use socket.io-msgpack-parser (profile recovery-msgpack).
  const parser = a.msgpack ? { parser: require("socket.io-msgpack-parser") } : {};
  const A = sio.client(a.url, "/", { transports: [a.transport || "websocket"], label: "A", ...parser });
  const B = sio.client(a.url, "/", { transports: ["websocket"], label: "B", ...parser });
  for (const ev of ["message-back", "bcast", "room-msg", "auth"]) {
    A.on(ev, (...xs) => log.push([ev, ...xs.map(sio.ser)]));
  }
  A.on("connect", () => log.push(["<connect>", !!A.recovered]));
  A.on("disconnect", (r) => log.push(["<disconnect>", r]));
  await Promise.all([sio.connected(A), sio.connected(B)]);

  const res = { firstID: A.id, pid: A._pid || null };
  res.join = (await sio.call(A, "join", ["r1"]))[0];
  const echoed = sio.next(A, "message-back");
  A.emit("message", "m1");
  await echoed;
  res.offsetBeforeDrop = A._lastOffset || null;

  // Drop without reconnecting (reconnection is off): the server must see
  // "transport close" and keep A's state.
  const gone = sio.next(A, "disconnect");
  drop(A);
  res.dropReason = (await gone)[0];
  await sio.sleep(400); // the server notices the drop (a TCP close or a close packet: milliseconds)

  // Meanwhile: emits A misses (and one it must not get).
  B.emit("broadcast", "missed-1");
  B.emit("to-room", "r1", "missed-2");
  B.emit("to-room", "r1", Buffer.from([0xca, 0xfe]));
  B.emit("message", "for B only");
  await sio.call(B, "message-with-ack", ["sync"]); // B's emits are processed

  const back = sio.next(A, "connect", 5000);
  A.connect();
  await back;
  await sio.sleep(100);
  res.recovered = !!A.recovered;
  res.sameID = A.id === res.firstID;
  res.samePid = A._pid === res.pid;

  // r1 restored: B's to-room reaches A live.
  const live = sio.next(A, "room-msg");
  B.emit("to-room", "r1", "live-1");
  await live;

  // Second drop, automatic reconnection, nothing emitted meanwhile.
  A.io.reconnection(true);
  A.io.reconnectionDelay(100);
  A.io.reconnectionDelayMax(100);
  const gone2 = sio.next(A, "disconnect");
  const back2 = sio.next(A, "connect", 5000);
  drop(A);
  res.dropReason2 = (await gone2)[0];
  await back2;
  await sio.sleep(150);
  res.recovered2 = !!A.recovered;
  res.sameID2 = A.id === res.firstID;

  res.log = log.slice();
  sio.closeAll(A, B);
  return res;
});
