// Echo round trip with the official engine.io-client 3.x (Engine.IO
// protocol 3: the client pings, payloads are length-prefixed): text and
// binary messages come back unchanged, in order.
//
// arg: {url, transports, timeoutMs}
// result: {transport, upgraded, echoed: [...], pongs}
"use strict";

const eio = require("engine.io-client-v3");

const a = JSON.parse(process.argv[2] || "{}");
const fail = (msg) => {
  process.stdout.write(JSON.stringify({ error: msg }) + "\n");
  process.exit(1);
};
setTimeout(() => fail(`deadline exceeded; echoed ${echoed.length}`), a.timeoutMs || 8000);

const sent = ["hello", "caf\u00e9 \u2615 \ud834\udd1e", Buffer.from([1, 2, 3, 250]), "x".repeat(5000), "bye"];
const echoed = [];
let pongs = 0;
let upgraded = false;

const socket = eio(a.url, { path: "/engine.io/", transports: a.transports });
socket.on("upgrade", () => (upgraded = true));
socket.on("pong", () => pongs++);
socket.on("error", (e) => fail(`error ${e && e.message}`));
socket.on("open", () => {
  // Wait past one client ping/pong round, then (when asked) the upgrade.
  setTimeout(() => sent.forEach((m) => socket.send(m)), a.waitMs || 700);
});
socket.on("message", (m) => {
  echoed.push(typeof m === "string" ? { text: m } : { binary: Buffer.from(m).toString("hex") });
  if (echoed.length === sent.length) {
    const result = { transport: socket.transport.name, upgraded, echoed, pongs };
    socket.close();
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  }
});
