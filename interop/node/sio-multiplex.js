// Several namespaces multiplexed on one Engine.IO session (one Manager):
// "/", "/custom" (with its own auth), "/dyn-7" (dynamic), plus "/nope"
// (invalid) and "/guarded" (refused by middleware), all at once.
//
// Checks: one Engine.IO session, a different socket id per namespace; each
// echo and ack comes back on the namespace it was sent on and nowhere else;
// the refusals touch nothing else; a client DISCONNECT of /custom and a
// server 'kick' of "/" leave the other namespaces connected on the same
// session; /custom then reconnects over that same session.
//
// arg: {url, timeoutMs, transports?}
"use strict";

const sio = require("./sio-lib");

sio.run(async (a) => {
  const opts = { reconnection: false };
  if (a.transports) opts.transports = a.transports;
  const m = new sio.Manager(a.url, opts);
  const root = sio.trace(m.socket("/"), "/");
  const custom = sio.trace(m.socket("/custom", { auth: { ns: "custom" } }), "/custom");
  const dyn = sio.trace(m.socket("/dyn-7"), "/dyn-7");
  const nope = sio.trace(m.socket("/nope"), "/nope");
  const guarded = sio.trace(m.socket("/guarded"), "/guarded");

  const logs = { "/": [], "/custom": [], "/dyn-7": [] };
  for (const [nsp, s] of [["/", root], ["/custom", custom], ["/dyn-7", dyn]]) {
    s.onAny((ev, ...xs) => logs[nsp].push([ev, ...xs.map(sio.ser)]));
  }
  const refusals = {};
  const refused = Promise.all(
    [nope, guarded].map((s) => sio.next(s, "connect_error").then(([e]) => (refusals[s.nsp] = { message: e.message, data: sio.ser(e.data) })))
  );
  await Promise.all([root, custom, dyn].map((s) => sio.connected(s)));
  await refused;
  const engineID = m.engine.id;
  const res = { refusals, transport: sio.transportName(root) };
  const ids = { "/": root.id, "/custom": custom.id, "/dyn-7": dyn.id };
  res.distinctIDs = new Set([root.id, custom.id, dyn.id]).size;

  // Interleaved traffic on the three namespaces.
  const backs = [sio.next(root, "message-back"), sio.next(custom, "message-back")];
  root.emit("message", "to /");
  custom.emit("message", "to /custom");
  dyn.emit("message", "to /dyn-7 (no handler)");
  await Promise.all(backs);
  res.acks = {
    "/": sio.ser(await sio.call(root, "message-with-ack", ["ack /"])),
    "/custom": sio.ser(await sio.call(custom, "message-with-ack", ["ack /custom"])),
  };
  await sio.sleep(100);
  res.logs = JSON.parse(JSON.stringify(logs));

  // The client leaves /custom: "/" and /dyn-7 stay on the same session.
  custom.disconnect();
  await sio.sleep(50);
  const back = sio.next(root, "message-back");
  root.emit("message", "after /custom left");
  res.afterCustomLeft = { echo: sio.ser(await back), dynConnected: dyn.connected, sameEngine: m.engine.id === engineID };

  // The server kicks "/": /dyn-7 keeps the session open.
  const kicked = sio.next(root, "disconnect");
  root.emit("kick");
  res.kickReason = (await kicked)[0];
  await sio.sleep(50);
  res.afterKick = { dynConnected: dyn.connected, rootConnected: root.connected, sameEngine: !!m.engine && m.engine.id === engineID };

  // /custom connects again over the same session.
  const auth = sio.next(custom, "auth");
  custom.connect();
  await sio.connected(custom);
  res.reconnectCustom = {
    auth: sio.ser((await auth)[0]),
    sameEngine: m.engine.id === engineID,
    ack: sio.ser(await sio.call(custom, "message-with-ack", ["again"])),
  };
  sio.closeAll(root, custom, dyn, nope, guarded);
  return { ...res, ids };
});
