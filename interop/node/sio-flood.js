// Flood control (sioloop's Options.EventRate; the refapp's "flood" profile:
// 20 events/s per connection, burst 20, then disconnect).
//
//   client A emits 200 'message' events at once: it gets a few echoes, then a
//   DISCONNECT ("io server disconnect"); client B, emitting 5 events 100 ms
//   apart, gets every echo and stays connected.
//
// arg: {url, timeoutMs, transports}
"use strict";

const sio = require("./sio-lib");

sio.run(async (a) => {
  const opts = { transports: a.transports };
  const flooder = sio.client(a.url, "/", { ...opts, label: "A" });
  const calm = sio.client(a.url, "/", { ...opts, label: "B" });
  await sio.connected(flooder);
  await sio.connected(calm);
  let floodEchoes = 0;
  flooder.on("message-back", () => floodEchoes++);
  let calmEchoes = 0;
  calm.on("message-back", () => calmEchoes++);
  const gone = new Promise((resolve) => flooder.once("disconnect", (reason) => resolve(reason)));
  for (let i = 0; i < 200; i++) flooder.emit("message", i);
  const res = { reason: await sio.withTimeout(gone, 5000, "disconnect of the flooding client") };
  res.floodEchoes = floodEchoes;
  for (let i = 0; i < 5; i++) {
    calm.emit("message", i);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 200));
  res.calmEchoes = calmEchoes;
  res.calmConnected = calm.connected;
  sio.closeAll(flooder, calm);
  return res;
});
