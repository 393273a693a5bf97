// A client that stops answering pings: the official client with its pong
// suppressed (and its own heartbeat watchdog disabled, so that only the
// server can end the session). The server must drop it pingInterval +
// pingTimeout after the open packet, with reason "ping timeout" (checked by
// the Go side in /admin/sessions).
//
// arg: {url, transport, timeoutMs}
// result: {sid, transport, pings, closeReason, closeDesc, closedAfterMs, firstPingAfterMs}
"use strict";

const lib = require("./lib");

const a = lib.args();
lib.deadline(a.timeoutMs || 8000, () => `pings=${pings}`);

const socket = lib.open({ url: a.url, transports: [a.transport], upgrade: false });

// Drop outgoing pongs; keep everything else.
const sendPacket = socket._sendPacket.bind(socket);
socket._sendPacket = (type, ...rest) => {
  if (type === "pong") {
    lib.note("pong suppressed");
    return;
  }
  return sendPacket(type, ...rest);
};
// The client's own watchdog (pingInterval + pingTimeout after each ping)
// would close the session from the client side; silence it.
socket._resetPingTimeout = () => {};

let sid;
let openedAt = 0;
let pings = 0;
let firstPingAfterMs = -1;

socket.on("open", () => {
  sid = socket.id;
  openedAt = Date.now();
});
socket.on("ping", () => {
  pings++;
  if (firstPingAfterMs < 0) firstPingAfterMs = Date.now() - openedAt;
});
socket.on("close", (reason, desc) => {
  const res = {
    sid,
    transport: a.transport,
    pings,
    closeReason: reason,
    closeDesc: lib.describeErr(desc),
    closedAfterMs: Date.now() - openedAt,
    firstPingAfterMs,
  };
  lib.finishAfterClose(a.url, sid, res);
});
