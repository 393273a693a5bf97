// Reconnection after the server drops the client.
//
//   conn-close  the server closes the Engine.IO connection (socket.conn.close()):
//               the client sees "transport close", its Manager reconnects by
//               itself (reconnect_attempt, reconnect), the socket connects
//               again with a new id and works.
//   kick-close  socket.disconnect(true): DISCONNECT then close. The client sees
//               "io server disconnect", which by design of socket.io-client
//               is final (socket.active false, no automatic reconnection);
//               a manual socket.connect() then works.
//   kick        socket.disconnect(): same client view; the manual connect works.
//
// arg: {url, timeoutMs, transports?}
"use strict";

const sio = require("./sio-lib");

async function roundTrip(s, msg) {
  const back = sio.next(s, "message-back");
  s.emit("message", msg);
  return sio.ser(await back);
}

sio.run(async (a) => {
  const res = {};
  const opts = { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 100 };
  if (a.transports) opts.transports = a.transports;
  const s = sio.client(a.url, "/", opts);
  const attempts = [];
  let reconnects = 0;
  s.io.on("reconnect_attempt", (n) => attempts.push(n));
  s.io.on("reconnect", () => reconnects++);
  await sio.connected(s);
  const ids = [s.id];
  s.on("connect", () => ids.push(s.id));
  await roundTrip(s, "warm-up"); // let a polling client finish its upgrade first

  // conn-close: automatic reconnection.
  let id1 = s.id;
  let gone = sio.next(s, "disconnect");
  let back = sio.next(s, "connect", 5000);
  s.emit("conn-close");
  let [reason] = await gone;
  const t0 = Date.now();
  await back;
  res.connClose = {
    reason,
    reconnectedMs: Date.now() - t0,
    attempts: attempts.slice(),
    reconnects,
    newID: s.id !== id1 && typeof s.id === "string",
    recovered: !!s.recovered,
    echo: await roundTrip(s, "after conn-close"),
  };

  // kick-close: final from the client's point of view, then a manual connect.
  for (const ev of ["kick-close", "kick"]) {
    attempts.length = 0;
    reconnects = 0;
    id1 = s.id;
    gone = sio.next(s, "disconnect");
    s.emit(ev);
    [reason] = await gone;
    await sio.sleep(400); // 4x the reconnection delay: an attempt would show
    const r = { reason, active: s.active, attempts: attempts.slice(), reconnects };
    s.connect();
    await sio.connected(s);
    r.manualNewID = s.id !== id1;
    r.echo = await roundTrip(s, `after ${ev}`);
    res[ev] = r;
  }

  sio.closeAll(s);
  return { ...res, ids };
});
