// A client restricted to one transport (polling only, or WebSocket only):
// it stays on it for the whole session and every kind of traffic works:
// events, acks both ways, binary both ways, three emits in one tick ('batch',
// order kept), a large payload ('big'), several client emits in one tick.
//
// arg: {url, timeoutMs, transports: ["polling"] | ["websocket"]}
"use strict";

const sio = require("./sio-lib");

sio.run(async (a) => {
  const s = sio.client(a.url, "/", { transports: a.transports });
  const seen = new Set();
  s.io.on("open", () => seen.add(sio.transportName(s)));
  s.io.engine && s.io.engine.on("upgrade", (t) => seen.add(`upgrade:${t.name}`));
  await sio.connected(s);
  seen.add(sio.transportName(s));
  const res = { transportAtConnect: sio.transportName(s) };

  const back = sio.next(s, "message-back");
  s.emit("message", "hi", { n: 1 });
  res.echo = sio.ser(await back);
  res.ack = sio.ser(await sio.call(s, "message-with-ack", ["acked", 2]));

  const q = sio.next(s, "question");
  s.emit("ask", 2000);
  (await q).pop()("yes");
  await sio.sync(s); // the server's callback report is checked by the Go side

  const bin = sio.next(s, "binary");
  s.emit("send-binary");
  res.binary = sio.ser(await bin);
  res.binaryAck = sio.ser(await sio.call(s, "binary-ack", []));

  const order = [];
  for (const ev of ["a", "b", "c"]) s.on(ev, (v) => order.push(`${ev}${v}`));
  s.emit("batch");
  const t0 = Date.now();
  while (order.length < 3 && Date.now() - t0 < 3000) await sio.sleep(5);
  res.batch = order.slice();

  const big = sio.next(s, "big", 5000);
  s.emit("big", 200000);
  const [str] = await big;
  res.big = { type: typeof str, length: str.length, allX: /^x*$/.test(str) };

  // Ten client emits in one tick (one POST over polling), in order.
  const many = [];
  s.on("message-back", (v) => many.push(v));
  for (let i = 0; i < 10; i++) s.emit("message", i);
  const t1 = Date.now();
  while (many.length < 10 && Date.now() - t1 < 3000) await sio.sleep(5);
  res.many = many.slice();

  await sio.sleep(300); // an upgrade would have happened by now
  res.transportAtEnd = sio.transportName(s);
  res.seen = [...seen];
  sio.closeAll(s);
  return res;
});
