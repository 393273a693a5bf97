// The Node.js reference of the Admin UI's server side: socket.io 4.8 with
// @socket.io/admin-ui 0.5.1's instrument(), in development mode, for the
// comparison test of package admin (admin/node_test.go).
//
//   node admin-ref-server.js '{"username":"admin","hash":"$2a$...","serverId":"ref"}'
//
// Without "hash" the UI needs no login (auth: false). With "redis"
// (redis://host:port) and "key", the server is a node of a cluster through
// @socket.io/redis-adapter 8.3 (admin-ui's stats and actions then cross
// nodes). Listens on a free port of 127.0.0.1 and prints {"port":N} once
// ready. The app:
// "hello" (…, ack) joins the room "lobby" and acks "hi". Exits when stdin
// ends.
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { instrument } = require("@socket.io/admin-ui");

async function main() {
const a = JSON.parse(process.argv[2] || "{}");
const httpServer = http.createServer();
const opts = {};
if (a.redis) {
  const { createAdapter } = require("@socket.io/redis-adapter");
  const { createClient } = require("redis");
  const pub = createClient({ url: a.redis });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  opts.adapter = createAdapter(pub, sub, { key: a.key });
}
const io = new Server(httpServer, opts);
io.on("connection", (socket) => {
  socket.on("hello", (...args) => {
    const ack = args.pop();
    socket.join("lobby");
    ack("hi");
  });
});
instrument(io, {
  auth: a.hash ? { type: "basic", username: a.username, password: a.hash } : false,
  mode: "development",
  serverId: a.serverId,
});
httpServer.listen(0, "127.0.0.1", () => {
  // The adapter subscribes asynchronously: give it a moment.
  setTimeout(() => console.log(JSON.stringify({ port: httpServer.address().port })), a.redis ? 300 : 0);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
}

main().catch((e) => { console.error(e); process.exit(1); });
