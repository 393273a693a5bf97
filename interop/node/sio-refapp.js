// The application of the golden captures (interop/testdata/golden/README.md, "The
// application on the server") on the npm socket.io 4.8.4 server: the Node
// twin of examples/refapp, with the same flags and the same report lines
// on stdout, so that interop/golden_sio_test.go can check itself against
// the implementation that produced the captures.
//
//   node interop/node/sio-refapp.js -profile default -addr 127.0.0.1:3000
"use strict";

const http = require("http");
const flags = require("./server-lib");
const { Server } = require("socket.io");
const engine = require("engine.io");

// render turns a value into what the report shows: buffers as
// "<Buffer hex>", functions as "<function>", at any depth.
function render(v) {
  if (Buffer.isBuffer(v)) return `<Buffer ${v.toString("hex")}>`;
  if (v instanceof ArrayBuffer) return render(Buffer.from(v));
  if (typeof v === "function") return "<function>";
  if (Array.isArray(v)) return v.map(render);
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v)) o[k] = render(v[k]);
    return o;
  }
  return v;
}

function report(event, fields) {
  let line = `server: ${event}`;
  for (const [k, v] of fields) line += ` ${k}=${JSON.stringify(v === undefined ? "<undefined>" : render(v))}`;
  process.stdout.write(line + "\n");
}

const errValue = (err) => (err ? { error: err.message } : null);

let f;
try {
  f = flags.parseFlags(process.argv.slice(2), { profile: "default", addr: "127.0.0.1:3000" });
} catch (e) {
  process.stderr.write(`sio-refapp: ${e.message}\n`);
  process.exit(2);
}
const opts = flags.PROFILES[f.profile];
if (!opts) {
  process.stderr.write(`unknown profile ${f.profile}\n`);
  process.exit(2);
}
const { host, port } = flags.hostPort(f.addr);

const httpServer = http.createServer((req, res) => {
  report("http-404", [["method", req.method], ["url", req.url]]);
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("not found");
});

const io = new Server(httpServer, { serveClient: false, ...opts });

function observeEngine(eng, path) {
  eng.on("connection", (s) => {
    report("eio-open", [["path", path], ["sid", s.id], ["transport", s.transport.name]]);
    s.on("upgrading", (t) => report("eio-upgrading", [["sid", s.id], ["transport", t.name]]));
    s.on("upgrade", (t) => report("eio-upgrade", [["sid", s.id], ["transport", t.name]]));
    s.on("close", (reason, description) =>
      report("eio-close", [["sid", s.id], ["reason", reason], ["description", description && { error: String(description.message || description) }]]));
  });
  eng.on("connection_error", (err) =>
    report("eio-connection_error", [["path", path], ["code", err.code], ["message", err.message], ["context", err.context]]));
}
observeEngine(io.engine, "/socket.io/");

// The echo server gets the profile's Engine.IO options (undefined ones
// would override engine.io's defaults).
const eioOpts = { path: "/engine.io/" };
for (const k of ["pingInterval", "pingTimeout", "maxHttpBufferSize", "cors", "cookie"]) {
  if (opts[k] !== undefined) eioOpts[k] = opts[k];
}
const echo = engine.attach(httpServer, eioOpts);
observeEngine(echo, "/engine.io/");
echo.on("connection", (s) => {
  s.on("message", (data) => {
    report("eio-data", [["sid", s.id], ["data", data]]);
    s.send(data);
  });
});

function observe(socket) {
  const nsp = socket.nsp.name;
  report("connection", [["nsp", nsp], ["id", socket.id], ["sid", socket.conn.id], ["recovered", socket.recovered],
    ["auth", socket.handshake.auth], ["rooms", [...socket.rooms]]]);
  socket.onAny((event, ...args) => report("event-in", [["nsp", nsp], ["id", socket.id], ["event", event], ["args", args]]));
  socket.on("error", (err) => report("socket-error", [["nsp", nsp], ["id", socket.id], ["err", errValue(err)]]));
  socket.on("disconnecting", (reason) =>
    report("disconnecting", [["nsp", nsp], ["id", socket.id], ["reason", reason], ["rooms", [...socket.rooms]]]));
  socket.on("disconnect", (reason) => report("disconnect", [["nsp", nsp], ["id", socket.id], ["reason", reason]]));
}

function onConnection(socket) {
  observe(socket);
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack(room);
  });
  socket.on("to-room", (room, msg) => socket.nsp.to(room).emit("room-msg", msg));
  socket.on("to-room-except-me", (room, msg) => socket.to(room).emit("room-msg", msg));
  socket.on("broadcast", (msg) => socket.broadcast.emit("bcast", msg));
  socket.on("broadcast-ask", (ms) =>
    socket.nsp.timeout(ms).emit("poll", "which one?", (err, responses) =>
      report("broadcast-ask-callback", [["err", errValue(err)], ["responses", responses]])));
  socket.on("ask", (ms) =>
    socket.timeout(ms).emit("question", "are you there?", (err, ...answers) =>
      report("ask-callback", [["id", socket.id], ["err", errValue(err)], ["answers", answers]])));
  socket.on("send-binary", () => socket.emit("binary", Buffer.from([1, 2, 3]), { nested: Buffer.from([0xff]), text: "x" }));
  socket.on("binary-ack", (ack) => ack(Buffer.from([0xde, 0xad, 0xbe, 0xef]), "text"));
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
}

io.of("/").on("connection", onConnection);
io.of("/custom").on("connection", onConnection);
io.of("/guarded").use((socket, next) => {
  report("middleware-reject", [["nsp", "/guarded"], ["auth", socket.handshake.auth]]);
  const err = new Error("not authorized");
  err.data = { content: "Please retry later" };
  next(err);
});
io.of("/guarded-plain").use((socket, next) => {
  report("middleware-reject", [["nsp", "/guarded-plain"]]);
  next(new Error("plain refusal"));
});
io.of(/^\/dyn-\d+$/).on("connection", (socket) => {
  observe(socket);
  socket.emit("hello", socket.nsp.name);
});

httpServer.listen(Number(port), host, () => {
  const a = httpServer.address();
  process.stdout.write(`listening on http://${a.address}:${a.port}\n`);
});
// After io.close() the process stays up until the harness kills it.
setInterval(() => {}, 1 << 30);
