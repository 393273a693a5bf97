// The Node.js reference server of the client tests: socket.io 4.8 from
// interop/node_modules (found through NODE_PATH). It prints
// "listening <port>" and serves until killed (it exits by itself after
// two minutes, or when its stdin closes, so it never outlives the test).
//
// argv[2] is JSON: {recovery, pingInterval, pingTimeout, maxPayload,
// msgpack (the socket.io-msgpack-parser wire format)}.
//
// Namespaces "/" and "/admin" share the handlers below; "/private" only
// admits auth {token: "secret"} and refuses others with data.
"use strict";

const { Server } = require("socket.io");

const opts = JSON.parse(process.argv[2] || "{}");
const io = new Server({
  pingInterval: opts.pingInterval || 25000,
  pingTimeout: opts.pingTimeout || 20000,
  maxHttpBufferSize: opts.maxPayload || 1e6,
  connectionStateRecovery: opts.recovery
    ? { maxDisconnectionDuration: 60000, skipMiddlewares: true }
    : undefined,
  parser: opts.msgpack ? require("socket.io-msgpack-parser") : undefined,
});

function handlers(nsp) {
  nsp.on("connection", (socket) => {
    socket.emit("hello", socket.id);
    // Echo the arguments back as an event, or as the acknowledgement.
    socket.on("echo", (...args) => socket.emit("echo-back", ...args));
    socket.on("echo-ack", (...args) => {
      const cb = args.pop();
      cb(...args);
    });
    // Ask the client: emit `name` with args and an ack; report the answer.
    socket.on("ask", (name, ...args) => {
      socket.timeout(5000).emit(name, ...args, (err, ...res) => {
        socket.emit("answer", err ? { error: err.message } : res);
      });
    });
    socket.on("binary", () => {
      socket.emit("binary", Buffer.from([1, 2, 3]), {
        nested: Buffer.from([0xff]),
        list: [Buffer.alloc(0), "x"],
      });
    });
    socket.on("whoami", (cb) =>
      cb({
        id: socket.id,
        recovered: socket.recovered,
        auth: socket.handshake.auth,
        transport: socket.conn.transport.name,
      })
    );
    socket.on("server-disconnect", () => socket.disconnect());
    // Drop the connection; with miss, emit events while the client is away.
    socket.on("drop", (miss) => {
      socket.data.miss = miss || 0;
      socket.conn.close();
    });
    socket.on("disconnect", () => {
      for (let i = 1; i <= (socket.data.miss || 0); i++) {
        nsp.to(socket.id).emit("missed", i);
      }
    });
  });
}
handlers(io.of("/"));
handlers(io.of("/admin"));

io.of("/private").use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === "secret") return next();
  const err = new Error("not authorized");
  err.data = { code: 42, reason: "bad token" };
  next(err);
});
io.of("/private").on("connection", (socket) => socket.emit("hello", socket.id));

io.listen(0);
const port = io.httpServer.address().port;
process.stdout.write(`listening ${port}\n`);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 120000).unref();
