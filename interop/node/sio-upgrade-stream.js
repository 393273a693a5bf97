// A stream of numbered Socket.IO events while the client upgrades from
// polling to WebSocket: every 'message' i (every 5th carries a buffer) comes
// back once as 'message-back' i, in order; every 3rd goes through
// 'message-with-ack' instead and its ack must arrive exactly once. The
// client paces its emits; if the upgrade has not completed at 80% of the
// stream it waits for it, so emits happen before, during and after the switch.
//
// The official client starts its WebSocket probe as soon as the Engine.IO
// session opens, which usually completes the upgrade before the Socket.IO
// CONNECT is answered. To put the switch inside the stream, the probe is
// deferred (engine._probe wrapped) until a quarter of the stream was emitted
// on polling; the probe itself is the client's own.
//
// arg: {url, timeoutMs, count}
// result: {count, sentOn, upgradedAfter, echoes, acks, duplicates, outOfOrder, missing, wrongType, transportAtEnd}
"use strict";

const sio = require("./sio-lib");

sio.run(async (a) => {
  const count = a.count || 300;
  const s = sio.client(a.url, "/", { transports: ["polling", "websocket"], upgrade: true });
  let upgradedAfter = -1;
  let sent = 0;
  const engine = s.io.engine;
  let deferredProbe = null;
  const probe = engine._probe.bind(engine);
  engine._probe = (name) => {
    deferredProbe = () => probe(name);
  };
  engine.on("upgrade", () => {
    upgradedAfter = sent;
    sio.note(`upgraded after ${sent}`);
  });
  const sentOn = {};
  const seen = new Map();
  let outOfOrder = 0;
  let wrongType = 0;
  let lastEcho = -1;
  let lastAck = -1;
  let echoes = 0;
  let acks = 0;

  const isAck = (i) => i % 3 === 2;
  const payload = (i) => (i % 5 === 4 ? [i, Buffer.from([i & 0xff, (i >> 8) & 0xff])] : [i, `m${i}`]);
  const check = (i, extra) => {
    const bin = Buffer.isBuffer(extra);
    if (bin !== (i % 5 === 4)) wrongType++;
    if (bin && (extra[0] !== (i & 0xff) || extra[1] !== ((i >> 8) & 0xff))) wrongType++;
    if (!bin && extra !== `m${i}`) wrongType++;
    seen.set(i, (seen.get(i) || 0) + 1);
  };

  s.on("message-back", (i, extra) => {
    echoes++;
    if (i <= lastEcho) outOfOrder++;
    lastEcho = i;
    check(i, extra);
  });
  await sio.connected(s);

  await new Promise((resolve, reject) => {
    const holdAt = Math.floor(count * 0.8);
    let done = 0;
    const finishOne = () => {
      if (++done === count) resolve();
    };
    s.on("message-back", finishOne);
    const pump = () => {
      for (let k = 0; k < 3 && sent < count; k++) {
        if (sent >= holdAt && upgradedAfter < 0) break;
        const i = sent++;
        const name = engine.transport.name;
        sentOn[name] = (sentOn[name] || 0) + 1;
        if (isAck(i)) {
          s.timeout(5000).emit("message-with-ack", ...payload(i), (err, j, extra) => {
            if (err) return reject(new Error(`ack ${i}: ${err.message}`));
            acks++;
            if (j <= lastAck) outOfOrder++;
            lastAck = j;
            check(j, extra);
            finishOne();
          });
        } else {
          s.emit("message", ...payload(i));
        }
      }
      if (deferredProbe && sent >= count / 4) {
        sio.note(`probe after ${sent}`);
        deferredProbe();
        deferredProbe = null;
      }
      if (sent < count) setTimeout(pump, 1);
    };
    pump();
  });
  await sio.sleep(150); // late duplicates would land now

  let duplicates = 0;
  const missing = [];
  for (let i = 0; i < count; i++) {
    const n = seen.get(i) || 0;
    if (n === 0) missing.push(i);
    if (n > 1) duplicates += n - 1;
  }
  const res = {
    count,
    sentOn,
    upgradedAfter,
    echoes,
    acks,
    duplicates,
    outOfOrder,
    missing: missing.slice(0, 20),
    wrongType,
    transportAtEnd: engine.transport.name,
  };
  sio.closeAll(s);
  return res;
});
