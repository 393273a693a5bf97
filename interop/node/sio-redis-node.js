// A Node.js socket.io 4.8 node of a cluster on Redis (@socket.io/redis-adapter
// 8.3, the classic pub/sub adapter), for the mixed Go + Node.js cluster tests.
//
//   node sio-redis-node.js <redis-url> <key>
//
// Listens on a free port of 127.0.0.1 and prints {"port":N} once its Redis
// subscriptions are up. Events: "bcast" (args) → io.emit("msg", ...args);
// "join" (room, ack) → socket.join(room), ack("ok"); "toroom" (room, msg) →
// io.to(room).emit("msg", msg); "others" (args) → socket.broadcast.emit("msg",
// ...args).
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

async function main() {
  const [url, key] = process.argv.slice(2);
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(pub, sub, { key }) });
  io.on("connection", (socket) => {
    socket.on("bcast", (...args) => io.emit("msg", ...args));
    socket.on("others", (...args) => socket.broadcast.emit("msg", ...args));
    socket.on("join", (room, ack) => { socket.join(room); ack("ok"); });
    socket.on("toroom", (room, msg) => io.to(room).emit("msg", msg));
  });
  httpServer.listen(0, "127.0.0.1", () => {
    // The adapter subscribes asynchronously: give it a moment.
    setTimeout(() => console.log(JSON.stringify({ port: httpServer.address().port })), 300);
  });
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

main().catch((e) => { console.error(e); process.exit(1); });
