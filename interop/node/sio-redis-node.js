// A Node.js socket.io 4.8 node of a cluster on Redis (@socket.io/redis-adapter
// 8.3, the classic pub/sub adapter), for the mixed Go + Node.js cluster tests.
//
//   node sio-redis-node.js <redis-url> <key> [sharded[:<subscriptionMode>]]
//
// With "sharded" the node uses createShardedAdapter (SPUBLISH/SSUBSCRIBE)
// with channelPrefix <key>.
//
// Listens on a free port of 127.0.0.1 and prints {"port":N} once its Redis
// subscriptions are up. Events: "bcast" (args) → io.emit("msg", ...args);
// "join" (room, ack) → socket.join(room), ack("ok"); "toroom" (room, msg) →
// io.to(room).emit("msg", msg); "others" (args) → socket.broadcast.emit("msg",
// ...args).
//
// The cluster operations (the same events as the Go node of
// adapter/redis/cluster_test.go): each socket's data is {name} from its
// handshake query and it joins "n:<name>"; "count" acks the server count;
// "fetch" (room?) acks the names of the sockets of every node (sorted);
// "sjoin"/"sleave" (target, room) and "skick" (target) act on the sockets
// of room target on every node; "remote" (target) fetches them and uses the
// RemoteSocket's emit and join; "sse" (arg) server-side emits "hello",
// answered on every other node by io.local.emit("got", arg); "sseack" (arg)
// acks the answers of every other node to "ping" ("pong-<arg>");
// "ackall" (room?) broadcasts "q" with a 3 s timeout and acks the sorted
// answers, or "timeout".
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

async function main() {
  const [url, key, kind] = process.argv.slice(2);
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = http.createServer();
  let adapter = createAdapter(pub, sub, { key });
  if (kind && kind.startsWith("sharded")) {
    const subscriptionMode = kind.split(":")[1] || "dynamic";
    adapter = createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode });
  }
  const io = new Server(httpServer, { adapter });
  const names = (sockets) => sockets.map((s) => s.data.name).sort();
  io.on("hello", (arg) => io.local.emit("got", arg));
  io.on("ping", (arg, cb) => cb("pong-" + arg));
  io.on("connection", (socket) => {
    socket.data = { name: socket.handshake.query.name };
    socket.join("n:" + socket.data.name);
    socket.on("count", async (ack) => ack(await io.of("/").adapter.serverCount()));
    socket.on("fetch", async (room, ack) => {
      if (typeof room === "function") [ack, room] = [room, undefined];
      ack(names(await (room ? io.in(room) : io).fetchSockets()));
    });
    socket.on("sjoin", (target, room, ack) => { io.in(target).socketsJoin(room); ack("ok"); });
    socket.on("sleave", (target, room, ack) => { io.in(target).socketsLeave(room); ack("ok"); });
    socket.on("skick", (target, ack) => { io.in(target).disconnectSockets(); ack("ok"); });
    socket.on("remote", async (target, ack) => {
      for (const s of await io.in(target).fetchSockets()) { s.emit("msg", "direct"); s.join("rj"); }
      ack("ok");
    });
    socket.on("sse", (arg) => io.serverSideEmit("hello", arg));
    socket.on("sseack", async (arg, ack) => ack(await io.serverSideEmitWithAck("ping", arg)));
    socket.on("ackall", (room, ack) => {
      if (typeof room === "function") [ack, room] = [room, undefined];
      (room ? io.to(room) : io).timeout(3000).emit("q", (err, res) => ack(err ? "timeout" : res.sort()));
    });
    socket.on("bcast", (...args) => io.emit("msg", ...args));
    socket.on("others", (...args) => socket.broadcast.emit("msg", ...args));
    socket.on("join", (room, ack) => { socket.join(room); ack("ok"); });
    socket.on("toroom", (room, msg) => io.to(room).emit("msg", msg));
    socket.on("bin", () => io.emit("msg", Buffer.from([1, 2, 3])));
  });
  httpServer.listen(0, "127.0.0.1", () => {
    // The adapter subscribes asynchronously: give it a moment.
    setTimeout(() => console.log(JSON.stringify({ port: httpServer.address().port })), 300);
  });
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

main().catch((e) => { console.error(e); process.exit(1); });
