// The Node.js reference of the Admin UI's server side: socket.io 4.8 with
// @socket.io/admin-ui 0.5.1's instrument(), in development mode, for the
// comparison test of package admin (admin/node_test.go).
//
//   node admin-ref-server.js '{"username":"admin","hash":"$2a$...","serverId":"ref"}'
//
// Listens on a free port of 127.0.0.1 and prints {"port":N}. The app:
// "hello" (…, ack) joins the room "lobby" and acks "hi". Exits when stdin
// ends.
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { instrument } = require("@socket.io/admin-ui");

const a = JSON.parse(process.argv[2] || "{}");
const httpServer = http.createServer();
const io = new Server(httpServer);
io.on("connection", (socket) => {
  socket.on("hello", (...args) => {
    const ack = args.pop();
    socket.join("lobby");
    ack("hi");
  });
});
instrument(io, {
  auth: { type: "basic", username: a.username, password: a.hash },
  mode: "development",
  serverId: a.serverId,
});
httpServer.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: httpServer.address().port })));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
