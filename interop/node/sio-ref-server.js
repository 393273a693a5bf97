#!/usr/bin/env node
// Reference peer for the Socket.IO interop scenarios (interop/sio_client_test.go):
// the npm `socket.io` 4.8.4 server (pinned in interop/package.json) running the
// application of the golden captures (interop/testdata/golden/README.md, "The
// application on the server"), with the flags and the "listening on" line of
// examples/refapp, so that every scenario runs against both.
//
//   node interop/node/sio-ref-server.js -addr 127.0.0.1:3000 \
//        [-profile default|ref|small|cors|cookie|recovery] [-mode gnet|http]
//
// -mode is accepted and ignored (Node has one network layer).
//
// One http.Server carries Socket.IO on /socket.io/ and a bare Engine.IO echo
// server on /engine.io/ (every message sent back unchanged); any other path
// gets 404 "not found".
//
// Like examples/refapp, the server reports what it observes on stdout, one
// line per event, in the notation of the captures' "# server:" lines (without
// the "# "); the scenarios read these: connection, disconnect,
// middleware-reject, ask-callback, broadcast-ask-callback, e.g.
//
//   server: ask-callback id="…" err={"error":"operation has timed out"} answers=[]
//
// Extension to the golden app (the golden captures never send it, so it
// changes none of their bytes); the scenarios need it for the broadcast
// operators the golden handlers do not cover:
//
//   'op-emit' (spec, msg[, done]): emits "op-msg" with msg through the
//   broadcast operator described by spec, then calls done():
//     spec.from     "nsp" (default): the namespace (nsp.to/except/volatile)
//                   "socket": socket.broadcast (the sender excluded)
//                   "self": this socket only (socket.emit, socket.volatile.emit)
//     spec.to       room list for .to(...)      (optional)
//     spec.except   room list for .except(...)  (optional)
//     spec.volatile use .volatile                (optional)
"use strict";

const http = require("http");
const flags = require("./server-lib");
const { Server } = require("socket.io");
const engineio = require("engine.io");

// parseFlags reads the flags of examples/refapp.
function parseFlags(argv) {
  const opts = flags.parseFlags(argv, { addr: "127.0.0.1:3000", profile: "default", mode: "gnet" });
  if (opts.mode !== "gnet" && opts.mode !== "http") throw new Error(`-mode must be gnet or http, got ${opts.mode}`);
  if (!(opts.profile in flags.PROFILES)) throw new Error(`unknown -profile ${opts.profile}`);
  return { ...flags.hostPort(opts.addr), profile: opts.profile };
}

// report writes one "server: <event> key=<JSON> ..." line.
function report(event, fields) {
  let line = `server: ${event}`;
  for (const [k, v] of Object.entries(fields)) line += ` ${k}=${JSON.stringify(notation(v))}`;
  process.stdout.write(line + "\n");
}

// notation renders buffers as "<Buffer hex>" at any depth, an error as {error}.
function notation(v) {
  if (v === undefined) return null;
  if (Buffer.isBuffer(v)) return `<Buffer ${v.toString("hex")}>`;
  if (v instanceof Error) return { error: v.message };
  if (Array.isArray(v)) return v.map(notation);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) out[k] = notation(v[k]);
    return out;
  }
  return v;
}

function observe(socket) {
  report("connection", {
    nsp: socket.nsp.name,
    id: socket.id,
    sid: socket.conn.id,
    recovered: socket.recovered,
    auth: socket.handshake.auth,
    rooms: [...socket.rooms],
  });
  socket.on("disconnect", (reason) => report("disconnect", { nsp: socket.nsp.name, id: socket.id, reason }));
}

// app installs the handlers shared by "/" and "/custom".
function app(io, nsp) {
  nsp.on("connection", (socket) => {
    observe(socket);
    socket.emit("auth", socket.handshake.auth);

    socket.on("message", (...args) => socket.emit("message-back", ...args));
    socket.on("message-with-ack", (...args) => {
      const ack = args.pop();
      if (typeof ack === "function") ack(...args);
    });
    socket.on("join", (room, cb) => {
      socket.join(room);
      if (typeof cb === "function") cb(room);
    });
    socket.on("to-room", (room, msg) => nsp.to(room).emit("room-msg", msg));
    socket.on("to-room-except-me", (room, msg) => socket.to(room).emit("room-msg", msg));
    socket.on("broadcast", (msg) => socket.broadcast.emit("bcast", msg));
    socket.on("broadcast-ask", (ms) => {
      nsp.timeout(ms).emit("poll", "which one?", (err, responses) => {
        report("broadcast-ask-callback", { err: err || null, responses });
      });
    });
    socket.on("ask", (ms) => {
      socket.timeout(ms).emit("question", "are you there?", (err, ...answers) => {
        report("ask-callback", { id: socket.id, err: err || null, answers });
      });
    });
    socket.on("send-binary", () => {
      socket.emit("binary", Buffer.from([1, 2, 3]), { nested: Buffer.from([0xff]), text: "x" });
    });
    socket.on("binary-ack", (ack) => {
      if (typeof ack === "function") ack(Buffer.from([0xde, 0xad, 0xbe, 0xef]), "text");
    });
    socket.on("batch", () => {
      socket.emit("a", 1);
      socket.emit("b", 2);
      socket.emit("c", 3);
    });
    socket.on("big", (n) => socket.emit("big", "x".repeat(n)));
    socket.on("kick", () => socket.disconnect());
    socket.on("kick-close", () => socket.disconnect(true));
    socket.on("conn-close", () => socket.conn.close());
    socket.on("shutdown", () => io.close());

    // Extension (see the header comment).
    socket.on("op-emit", (spec, msg, done) => {
      spec = spec || {};
      let op;
      if (spec.from === "self") op = socket;
      else if (spec.from === "socket") op = socket.broadcast;
      else op = nsp;
      if (spec.to && spec.to.length) op = op.to(spec.to);
      if (spec.except && spec.except.length) op = op.except(spec.except);
      if (spec.volatile) op = op.volatile;
      op.emit("op-msg", msg);
      if (typeof done === "function") done();
    });
  });
}

function main() {
  let cfg;
  try {
    cfg = parseFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`sio-ref-server: ${e.message}\n`);
    process.exit(2);
  }
  const options = flags.PROFILES[cfg.profile];

  const httpServer = http.createServer((req, res) => {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found");
  });

  const io = new Server(httpServer, { ...options, serveClient: false });
  app(io, io.of("/"));
  app(io, io.of("/custom"));

  const reject = (message, data) => (socket, next) => {
    report("middleware-reject", data ? { nsp: socket.nsp.name, auth: socket.handshake.auth } : { nsp: socket.nsp.name });
    const err = new Error(message);
    if (data !== undefined) err.data = data;
    next(err);
  };
  io.of("/guarded").use(reject("not authorized", { content: "Please retry later" }));
  io.of("/guarded-plain").use(reject("plain refusal"));

  io.of(/^\/dyn-\d+$/).on("connection", (socket) => {
    observe(socket);
    socket.emit("hello", socket.nsp.name);
  });

  // Bare Engine.IO echo on /engine.io/, same Engine.IO options.
  const { connectionStateRecovery, connectTimeout, ...eioOptions } = options;
  const engine = new engineio.Server(eioOptions);
  engine.attach(httpServer, { path: "/engine.io" });
  engine.on("connection", (socket) => socket.on("message", (data) => socket.send(data)));

  httpServer.on("error", (err) => {
    process.stderr.write(`sio-ref-server: ${err.message}\n`);
    process.exit(1);
  });
  httpServer.listen(cfg.port, cfg.host, () => {
    const { address, port } = httpServer.address();
    process.stdout.write(`listening on http://${address}:${port}\n`);
  });

  // 'shutdown' closes the servers; like a Go main blocked until it is
  // killed, the process stays alive (the harness kills it).
  setInterval(() => {}, 1 << 30);
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
