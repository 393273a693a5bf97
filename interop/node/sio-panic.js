// A handler that panics on the server costs its own socket only (sioloop;
// Node's reference would crash the process, so only "ours" runs it).
//
//   client A emits 'panic': the server's handler panics; A gets a DISCONNECT
//   ("io server disconnect"); client B, connected all along, still gets its
//   echo, and a new client C still connects.
//
// arg: {url, timeoutMs, transports}
"use strict";

const sio = require("./sio-lib");

sio.run(async (a) => {
  const opts = { transports: a.transports };
  const bad = sio.client(a.url, "/", { ...opts, label: "A" });
  const good = sio.client(a.url, "/", { ...opts, label: "B" });
  await sio.connected(bad);
  await sio.connected(good);
  const gone = new Promise((resolve) => bad.once("disconnect", (reason) => resolve(reason)));
  bad.emit("panic");
  const res = { reason: await sio.withTimeout(gone, 5000, "disconnect of the socket whose handler panicked") };
  const back = sio.next(good, "message-back");
  good.emit("message", "still here");
  res.echo = sio.ser(await back);
  res.goodConnected = good.connected;
  const fresh = sio.client(a.url, "/", { ...opts, label: "C" });
  await sio.connected(fresh);
  res.freshConnected = fresh.connected;
  sio.closeAll(bad, good, fresh);
  return res;
});
