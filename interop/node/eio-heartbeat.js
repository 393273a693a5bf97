// A well-behaved official client stays connected across several heartbeats
// (server ping, client pong) and can still exchange messages afterwards.
//
// arg: {url, transports, upgrade, pings, timeoutMs}
// result: {sid, transport, pings, pingGapsMs:[...], echoed, openInAdmin}
"use strict";

const lib = require("./lib");

const a = lib.args();
const want = a.pings || 4;
lib.deadline(a.timeoutMs || 8000, () => `pings=${pings}`);

const socket = lib.open({ url: a.url, transports: a.transports, upgrade: !!a.upgrade });
let sid;
let pings = 0;
let lastPing = 0;
const pingGapsMs = [];

socket.on("open", () => {
  sid = socket.id;
  lastPing = Date.now();
});
socket.on("ping", async () => {
  const now = Date.now();
  pingGapsMs.push(now - lastPing);
  lastPing = now;
  pings++;
  if (pings !== want) return;
  const res = await fetch(`${a.url}/admin/sessions`);
  const sessions = await res.json();
  const openInAdmin = sessions.open.includes(sid);
  socket.send("still here");
  socket.once("message", (data) => {
    const result = { sid, transport: socket.transport.name, pings, pingGapsMs, echoed: data === "still here", openInAdmin };
    socket.removeAllListeners("close");
    socket.once("close", () => lib.finishAfterClose(a.url, sid, result));
    socket.close();
  });
});
socket.on("close", (reason, desc) => lib.fail(`closed after ${pings} pings: ${reason} ${lib.describeErr(desc)}`, { sid }));
