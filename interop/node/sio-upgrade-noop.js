// The packets the official client receives around its upgrade (polling,
// then WebSocket): each with its time after the client's "upgrading"
// event (the probe answered). The reference releases the held polling GET
// from a 100 ms check, so nothing arrives in the first 100 ms after the
// probe; a server that sends the noop at once adds a packet there.
//
// arg: {url, timeoutMs}
// result: {packets: [{type, afterUpgradingMs}], upgraded}
"use strict";

const sio = require("./sio-lib");

// Probe 300 ms after the open, so that the client is connected and its
// GET is held when the probe is answered.
const eioPath = require.resolve("engine.io-client", { paths: [require.resolve("socket.io-client")] });
const { Socket } = require(eioPath);
const probe = Socket.prototype._probe;
Socket.prototype._probe = function (name) {
  setTimeout(() => probe.call(this, name), 300);
};

sio.run(async (a) => {
  const s = sio.client(a.url, "/", { transports: ["polling", "websocket"] });
  const packets = [];
  let upgradingAt = 0;
  let upgraded = false;
  s.io.on("open", () => {
    const e = s.io.engine;
    e.on("upgrading", () => (upgradingAt = Date.now()));
    e.on("upgrade", () => (upgraded = true));
    e.on("packet", (p) => {
      if (upgradingAt) packets.push({ type: p.type, afterUpgradingMs: Date.now() - upgradingAt });
    });
  });
  await sio.connected(s);
  const t0 = Date.now();
  while (!upgraded && Date.now() - t0 < 5000) await sio.sleep(10);
  await sio.sleep(200);
  sio.closeAll(s);
  return { packets, upgraded };
});
