// Echo round trip with the official engine.io-client: text stays text, binary
// stays binary, order is kept, then a clean client close.
//
// arg: {url, transports, upgrade, binaryType, waitUpgrade, timeoutMs}
// result: {sid, transportAtOpen, transportAtEnd, upgraded, results:[...], closeReason}
"use strict";

const lib = require("./lib");

const a = lib.args();
let phase = "connecting";
lib.deadline(a.timeoutMs || 10000, () => `phase=${phase} received=${received.length}/${messages().length}`);

function messages() {
  const ab = new ArrayBuffer(256);
  new Uint8Array(ab).forEach((_, i, arr) => (arr[i] = i));
  const backing = Buffer.from([9, 9, 1, 2, 3, 9, 9]);
  const big = Buffer.alloc(200 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  return [
    "hello",
    "",
    "caf\u00e9 \u2615 \ud834\udd1e \u2028 <&>",
    "42",
    "x".repeat(100 * 1024),
    Buffer.from([1, 2, 3, 4]),
    ab,
    new Uint8Array(backing.buffer, backing.byteOffset + 2, 3), // a view into a larger buffer
    Buffer.from([0]),
    big,
    "bye",
  ];
}

const sent = messages();
const received = [];
const socket = lib.open(a);
let sid;
let transportAtOpen;
let upgraded = false;

socket.on("upgrade", () => {
  upgraded = true;
  if (a.waitUpgrade && phase === "waiting-upgrade") start();
});

socket.on("open", () => {
  sid = socket.id;
  transportAtOpen = socket.transport.name;
  if (a.waitUpgrade && !upgraded) {
    phase = "waiting-upgrade";
    return;
  }
  start();
});

function start() {
  phase = "echo";
  for (const m of sent) socket.send(m);
}

socket.on("message", (data) => {
  received.push(data);
  if (received.length === sent.length) done();
});

socket.on("close", (reason, desc) => {
  if (phase !== "closing") {
    lib.fail(`unexpected close during ${phase}: ${reason} ${lib.describeErr(desc)}`, { sid });
  }
});

function done() {
  const results = sent.map((m, i) => ({
    i,
    sent: lib.short(m),
    got: lib.short(received[i]),
    gotKind: lib.kind(received[i]),
    ok: lib.same(m, received[i]),
  }));
  const transportAtEcho = socket.transport.name;
  phase = "closing";
  // Leave the event loop a moment so late duplicates would show up.
  setTimeout(() => {
    const transportAtEnd = socket.transport.name;
    socket.once("close", (reason) => {
      // The close packet (polling) or close frame (websocket) is still in
      // flight: wait until the server has seen it.
      lib.finishAfterClose(a.url, sid, { sid, transportAtOpen, transportAtEcho, transportAtEnd, upgraded, results, extra: received.length - sent.length, closeReason: reason });
    });
    socket.close();
  }, 50);
}
