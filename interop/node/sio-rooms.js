// Rooms and every broadcast operator seen by three clients: A and B on
// WebSocket, C on polling. Rooms: A in r1; B in r1 and r2; C in r2; all
// three in "all" (the fence room).
//
// Each client in turn sends a series of emits, then a fence (to-room "all");
// once every client has the fence, the next sender starts. Per recipient the
// order is therefore fixed, and after the last fence plus a quiet period
// every log must be exactly the expected one: nothing missing, nothing extra.
//
// Golden handlers: to-room (nsp.to(room)), to-room-except-me
// (socket.to(room)), broadcast (socket.broadcast). The other operators
// (several rooms, except, volatile) go through the 'op-emit' extension (see
// sio-ref-server.js); when the server has no such handler, result.opEmit is
// false and those steps are skipped.
//
// arg: {url, timeoutMs}
// result: {joins: {A: [...]...}, opEmit, logs: {A: ["event:msg", ...], ...}}
"use strict";

const sio = require("./sio-lib");

const ROOMS = { A: ["r1", "all"], B: ["r1", "r2", "all"], C: ["r2", "all"] };

// Steps per sender: [event, ...args] for golden handlers, or ["op", spec, msg].
const PLAN = {
  A: [
    ["to-room", "r1", "A1"],
    ["to-room-except-me", "r1", "A2"],
    ["to-room", "r2", "A3"],
    ["to-room-except-me", "r2", "A4"],
    ["broadcast", "A5"],
    ["to-room", "empty-room", "A6"],
    ["op", { to: ["r1", "r2"] }, "A7"],
    ["op", { except: ["r1"] }, "A8"],
    ["op", { to: ["r2"], except: ["r1"] }, "A9"],
    ["op", { from: "socket", except: ["r2"] }, "A10"],
    ["op", { from: "socket", to: ["r1", "r2"] }, "A11"],
    ["op", { to: ["r1"], volatile: true }, "A12"],
    ["op", {}, "A13"],
  ],
  B: [
    ["broadcast", "B1"],
    ["to-room-except-me", "r1", "B2"],
    ["to-room", "r1", "B3"],
    ["op", { from: "socket", except: ["r1"] }, "B4"],
    ["op", { from: "socket" }, "B5"],
  ],
  C: [
    ["to-room-except-me", "r2", "C1"],
    ["broadcast", "C2"],
    ["op", { from: "socket", to: ["r1"], except: ["r2"] }, "C3"],
    ["op", { to: ["r1", "r2", "all"] }, "C4"],
    ["op", { to: ["r2"], except: ["r2"] }, "C5"],
  ],
};

sio.run(async (a) => {
  const names = ["A", "B", "C"];
  const sockets = {};
  const logs = {};
  for (const n of names) {
    const s = sio.client(a.url, "/", { transports: n === "C" ? ["polling"] : ["websocket"], label: n });
    sockets[n] = s;
    logs[n] = [];
    for (const ev of ["room-msg", "bcast", "op-msg"]) s.on(ev, (msg) => logs[n].push(`${ev}:${msg}`));
  }
  await Promise.all(names.map((n) => sio.connected(sockets[n])));

  const joins = {};
  for (const n of names) {
    joins[n] = [];
    for (const r of ROOMS[n]) joins[n].push((await sio.call(sockets[n], "join", [r]))[0]);
  }

  const fenced = (n, tag) => logs[n].includes(`room-msg:${tag}`);
  let opEmit = true;
  for (const sender of names) {
    const s = sockets[sender];
    for (const step of PLAN[sender]) {
      if (step[0] !== "op") {
        s.emit(...step);
        continue;
      }
      if (!opEmit) continue;
      try {
        await sio.call(s, "op-emit", [step[1], step[2]], 2000);
      } catch (e) {
        sio.note(`op-emit not acknowledged: ${e.message}`);
        opEmit = false;
      }
    }
    const tag = `fence-${sender}`;
    s.emit("to-room", "all", tag);
    const t0 = Date.now();
    while (!names.every((n) => fenced(n, tag))) {
      if (Date.now() - t0 > 5000) throw new Error(`fence ${tag} missing: ${JSON.stringify(logs)}`);
      await sio.sleep(5);
    }
  }
  await sio.sleep(250); // anything extra or late lands now
  const res = { joins, opEmit, logs };
  sio.closeAll(...Object.values(sockets));
  return res;
});
