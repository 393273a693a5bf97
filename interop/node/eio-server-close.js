// Server-side close seen by the official client: once open (optionally
// after the upgrade), the script asks the server to close the session
// (POST /admin/close?sid=...) and expects the client's `close` event.
// The Go side checks the server-side reason ("forced close").
//
// arg: {url, transports, waitUpgrade, timeoutMs}
// result: {sid, transport, adminStatus, closeReason, closeDesc, closedAfterMs}
"use strict";

const lib = require("./lib");

const a = lib.args();
let phase = "connecting";
lib.deadline(a.timeoutMs || 8000, () => `phase=${phase}`);

const socket = lib.open({ url: a.url, transports: a.transports, upgrade: !!a.waitUpgrade });
let sid;
let askedAt = 0;
let adminStatus = 0;
let transport = "";

socket.on("open", () => {
  sid = socket.id;
  if (a.waitUpgrade) {
    phase = "waiting-upgrade";
    socket.once("upgrade", () => setTimeout(askClose, 20));
    return;
  }
  // Let the polling client settle into its held GET first.
  setTimeout(askClose, 50);
});

async function askClose() {
  phase = "closing";
  transport = socket.transport.name;
  askedAt = Date.now();
  try {
    const res = await fetch(`${a.url}/admin/close?sid=${encodeURIComponent(sid)}`, { method: "POST" });
    adminStatus = res.status;
    await res.text();
  } catch (e) {
    lib.fail(`admin close failed: ${e.message}`, { sid });
  }
  if (adminStatus !== 200) lib.fail(`POST /admin/close answered ${adminStatus}`, { sid });
  // The close must reach the client promptly.
  setTimeout(() => lib.fail(`no close event within 5 s of the server-side close`, { sid, adminStatus }), 5000);
}

socket.on("close", (reason, desc) => {
  if (phase !== "closing") lib.fail(`unexpected close in phase ${phase}: ${reason} ${lib.describeErr(desc)}`, { sid });
  const res = { sid, transport, closeReason: reason, closeDesc: lib.describeErr(desc), closedAfterMs: Date.now() - askedAt };
  // The admin response may still be on its way.
  const wait = () => (adminStatus ? lib.finish({ ...res, adminStatus }) : setTimeout(wait, 10));
  wait();
});
