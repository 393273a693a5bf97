// An asynchronous allowRequest (eio.Options.AllowRequestAsync; the refapp's
// "asyncallow" profile: decided 20 ms later, refused when the handshake's
// query has deny=1).
//
//   client A (deny=0) connects and gets its echo; client B (deny=1) gets a
//   connect_error.
//
// arg: {url, timeoutMs, transports}
"use strict";

const sio = require("./sio-lib");

sio.run(async (a) => {
  const opts = { transports: a.transports };
  const t0 = Date.now();
  const ok = sio.client(a.url, "/", { ...opts, label: "A", query: { deny: "0" } });
  await sio.connected(ok);
  const back = sio.next(ok, "message-back");
  ok.emit("message", "hi");
  const res = { echo: sio.ser(await back), transport: sio.transportName(ok), okMs: Date.now() - t0 };
  const t1 = Date.now();
  const bad = sio.client(a.url, "/", { ...opts, label: "B", query: { deny: "1" } });
  res.refused = await sio.withTimeout(
    new Promise((resolve) => bad.once("connect_error", (e) => resolve(String(e && e.message)))),
    5000, "connect_error of the refused client");
  res.badConnected = bad.connected;
  res.refusedMs = Date.now() - t1;
  sio.closeAll(ok, bad);
  return res;
});
