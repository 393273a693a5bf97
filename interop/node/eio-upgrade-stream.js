// A numbered message stream that keeps flowing while the official client
// upgrades polling -> websocket: every message must come back exactly once,
// in order, text as text and binary as binary.
//
// The client paces its sends (a few per timer tick). It starts on polling;
// if the upgrade has not completed by 80% of the stream it waits for it, so
// the stream always has messages before, during and after the switch.
//
// arg: {url, count, timeoutMs}
// result: {sid, count, sentOn:{polling,websocket}, upgradedAfter, received, duplicates, outOfOrder, missing, wrongType, transportAtEnd}
"use strict";

const lib = require("./lib");

const a = lib.args();
const count = a.count || 500;
const socket = lib.open({ url: a.url, transports: ["polling", "websocket"], upgrade: true });

let sid;
let sent = 0;
let upgradedAfter = -1; // number of messages sent when the upgrade completed
let upgradingAfter = -1;
const sentOn = { polling: 0, websocket: 0 };
const seen = new Map();
let received = 0;
let outOfOrder = 0;
let wrongType = 0;
let last = -1;

lib.deadline(a.timeoutMs || 15000, () => `sent=${sent} received=${received} upgradedAfter=${upgradedAfter}`);

// Every 5th message is binary: 4 bytes big-endian index.
function make(i) {
  if (i % 5 === 4) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(i);
    return b;
  }
  return `m${i}`;
}

function index(data) {
  if (typeof data === "string") return { i: Number(data.slice(1)), binary: false };
  const b = lib.bytes(data);
  return { i: b.length === 4 ? b.readUInt32BE(0) : -1, binary: true };
}

socket.on("upgrading", () => {
  upgradingAfter = sent;
});
socket.on("upgrade", () => {
  upgradedAfter = sent;
});

socket.on("open", () => {
  sid = socket.id;
  pump();
});

function pump() {
  const holdAt = Math.floor(count * 0.8);
  for (let k = 0; k < 3 && sent < count; k++) {
    if (sent >= holdAt && upgradedAfter < 0) break; // wait for the upgrade to complete
    sentOn[socket.transport.name] = (sentOn[socket.transport.name] || 0) + 1;
    socket.send(make(sent));
    sent++;
  }
  if (sent < count) setTimeout(pump, 1);
}

socket.on("message", (data) => {
  const { i, binary } = index(data);
  received++;
  seen.set(i, (seen.get(i) || 0) + 1);
  if (i !== last + 1) outOfOrder++;
  if (binary !== (i % 5 === 4)) wrongType++;
  last = i;
  if (received === count) setTimeout(report, 100); // late duplicates would land in this window
});

socket.on("close", (reason, desc) => lib.fail(`closed: ${reason} ${lib.describeErr(desc)}`, { sid, sent, received }));

function report() {
  let duplicates = 0;
  const missing = [];
  for (let i = 0; i < count; i++) {
    const n = seen.get(i) || 0;
    if (n === 0) missing.push(i);
    if (n > 1) duplicates += n - 1;
  }
  const res = {
    sid,
    count,
    sentOn,
    upgradingAfter,
    upgradedAfter,
    received,
    duplicates,
    outOfOrder,
    missing: missing.slice(0, 20),
    wrongType,
    transportAtEnd: socket.transport.name,
  };
  socket.removeAllListeners("close");
  socket.once("close", () => lib.finishAfterClose(a.url, sid, res));
  socket.close();
}
