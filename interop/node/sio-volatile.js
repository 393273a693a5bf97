// Volatile emits.
//
// Client side (socket.volatile.emit): before the connection exists the
// packet is dropped while a normal emit is buffered and sent on connect;
// once connected (transport writable) a volatile emit arrives like any other.
// Server side (the 'op-emit' extension, see sio-ref-server.js):
// socket.volatile.emit and nsp.volatile.emit reach a connected, idle
// WebSocket client.
//
// arg: {url, timeoutMs}
// result: {received: [...], opEmit, serverVolatile: [...]}
"use strict";

const sio = require("./sio-lib");

sio.run(async (a) => {
  const s = sio.client(a.url, "/", { transports: ["websocket"], autoConnect: false });
  const received = [];
  s.on("message-back", (...xs) => received.push(sio.ser(xs)));
  const serverVolatile = [];
  s.on("op-msg", (msg) => serverVolatile.push(msg));

  s.volatile.emit("message", "volatile-before-connect"); // dropped
  s.emit("message", "buffered-before-connect"); // sent on connect
  s.connect();
  await sio.connected(s);

  const waitFor = async (n, what) => {
    const t0 = Date.now();
    while (received.length < n) {
      if (Date.now() - t0 > 3000) throw new Error(`${what}: got ${JSON.stringify(received)}`);
      await sio.sleep(5);
    }
  };
  await waitFor(1, "buffered emit");
  await sio.sleep(20); // let the transport drain (writable again)
  s.volatile.emit("message", "volatile-connected");
  await waitFor(2, "volatile emit while connected");
  await sio.sleep(20);
  s.emit("message", "normal-after");
  await waitFor(3, "normal emit");

  let opEmit = true;
  try {
    await sio.call(s, "op-emit", [{ from: "self", volatile: true }, "socket-volatile"], 2000);
    await sio.sleep(20);
    await sio.call(s, "op-emit", [{ volatile: true }, "nsp-volatile"], 2000);
    await sio.sleep(100);
  } catch (e) {
    sio.note(`op-emit: ${e.message}`);
    opEmit = false;
  }
  await sio.sleep(150); // a late or duplicated packet would land now
  sio.closeAll(s);
  return { received, opEmit, serverVolatile };
});
