// maxPayload with the official client: a message whose encoded packet is
// exactly maxPayload bytes is echoed; one byte more is refused.
//
//   websocket: the server closes the WebSocket (1009); the client sees `close`.
//   polling:   the POST gets HTTP 413 and the payload is dropped; the
//              official client treats the failed POST as a transport error
//              and closes (it sends no further packet on that session).
//
// arg: {url, transport, maxPayload, binary, timeoutMs}
// result: {sid, underEchoed, underLen, overClose:{reason, desc, afterMs}, overEchoed}
"use strict";

const lib = require("./lib");

const a = lib.args();
const max = a.maxPayload || 1000000;
let phase = "connecting";
lib.deadline(a.timeoutMs || 15000, () => `phase=${phase}`);

// The encoded packet of a text message is "4" + text; a binary message over
// WebSocket is the raw bytes (no type byte).
function payload(packetLen, fill) {
  if (a.binary) return Buffer.alloc(packetLen, fill);
  return String.fromCharCode(fill).repeat(packetLen - 1);
}

const under = payload(max, 0x78);
const over = payload(max + 1, 0x79);

const socket = lib.open({ url: a.url, transports: [a.transport], upgrade: false });
let sid;
let underEchoed = false;
let underLen = 0;
let overSentAt = 0;
let overEchoed = false;

socket.on("open", () => {
  sid = socket.id;
  phase = "under";
  socket.send(under);
});

socket.on("message", (data) => {
  if (phase === "under") {
    underEchoed = lib.same(under, data);
    underLen = typeof data === "string" ? data.length : lib.bytes(data).length;
    if (!underEchoed) lib.fail("echo of the maxPayload message differs", { sid, got: lib.short(data) });
    phase = "over";
    overSentAt = Date.now();
    socket.send(over);
    return;
  }
  if (phase === "over") {
    overEchoed = true;
    lib.fail("the oversized message was echoed", { sid, got: lib.short(data) });
  }
});

socket.on("close", (reason, desc) => {
  if (phase !== "over") lib.fail(`unexpected close in phase ${phase}: ${reason} ${lib.describeErr(desc)}`, { sid });
  phase = "closed";
  const res = {
    sid,
    underEchoed,
    underLen,
    overEchoed,
    overClose: { reason, desc: lib.describeErr(desc), afterMs: Date.now() - overSentAt },
  };
  lib.finishAfterClose(a.url, sid, res);
});
