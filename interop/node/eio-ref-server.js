#!/usr/bin/env node
// Reference peer for sioloop's interop tests: the npm `engine.io` server
// (pinned in interop/package.json) configured exactly like
// examples/conformance, with the same flags, admin endpoints and
// "listening on" line, so every interop test can run against both.
//
//   node interop/node/eio-ref-server.js -addr 127.0.0.1:3000 \
//        [-mode gnet|http] [-ping-interval 300ms] [-ping-timeout 200ms] \
//        [-max-payload 1000000]
//
// Bare Engine.IO on /engine.io/, CORS origin "*", every message echoed back
// unchanged (text as text, binary as binary).
//   GET  /admin/sessions      -> {"open":[sid...],"closed":[{"sid","reason"}...]}
//   POST /admin/close?sid=ID  -> server-side close (200), 404 if unknown
//   anything else             -> 404 "not found"
"use strict";

const http = require("http");
const flags = require("./server-lib");
const { Server } = require("engine.io");

// parseDuration accepts Go duration syntax ("300ms", "1.5s", "2m30s", "0").
function parseDuration(s) {
  if (s === "0") return 0;
  const unitMs = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m;
  while ((m = re.exec(s)) !== null) {
    total += parseFloat(m[1]) * unitMs[m[2]];
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) {
    throw new Error(`invalid duration ${JSON.stringify(s)}`);
  }
  return Math.round(total);
}

// parseFlags reads the flags of examples/conformance.
function parseFlags(argv) {
  const opts = flags.parseFlags(argv, {
    addr: "127.0.0.1:3000",
    mode: "gnet",
    loops: "0", // accepted and ignored (Node has one event loop)
    greet: "",
    "ping-interval": "300ms",
    "ping-timeout": "200ms",
    "max-payload": "1000000",
    "allow-eio3": "false",
  }, ["allow-eio3"]);
  if (opts.mode !== "gnet" && opts.mode !== "http") {
    throw new Error(`-mode must be gnet or http, got ${opts.mode}`);
  }
  const maxPayload = Number(opts["max-payload"]);
  if (!Number.isInteger(maxPayload) || maxPayload <= 0) {
    throw new Error(`invalid -max-payload ${opts["max-payload"]}`);
  }
  return {
    ...flags.hostPort(opts.addr),
    pingInterval: parseDuration(opts["ping-interval"]),
    pingTimeout: parseDuration(opts["ping-timeout"]),
    maxPayload,
    allowEIO3: opts["allow-eio3"] === "true",
    greet: opts.greet,
  };
}

function main() {
  let cfg;
  try {
    cfg = parseFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`eio-ref-server: ${e.message}\n`);
    process.exit(2);
  }

  const closed = [];

  // The fallback handler: everything engine.io does not claim.
  const httpServer = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/admin/sessions" && req.method === "GET") {
      const body = JSON.stringify({ open: Object.keys(engine.clients), closed });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(body);
      return;
    }
    if (url.pathname === "/admin/close" && req.method === "POST") {
      const socket = engine.clients[url.searchParams.get("sid") || ""];
      if (!socket) {
        res.writeHead(404, { "Content-Type": "text/plain" });
        res.end("unknown sid");
        return;
      }
      socket.close();
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
      return;
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found");
  });

  const engine = new Server({
    pingInterval: cfg.pingInterval,
    pingTimeout: cfg.pingTimeout,
    maxHttpBufferSize: cfg.maxPayload,
    allowEIO3: cfg.allowEIO3,
    cors: { origin: "*" },
  });
  engine.attach(httpServer, { path: "/engine.io" });

  engine.on("connection", (socket) => {
    if (cfg.greet) socket.send(cfg.greet);
    socket.on("message", (data) => socket.send(data));
    socket.on("close", (reason, desc) => {
      const entry = { sid: socket.id, reason };
      // Not part of the contract: a diagnostic for humans.
      if (desc) entry.description = String((desc && (desc.message || desc.description)) || desc);
      closed.push(entry);
    });
  });

  httpServer.on("error", (err) => {
    process.stderr.write(`eio-ref-server: ${err.message}\n`);
    process.exit(1);
  });
  httpServer.listen(cfg.port, cfg.host, () => {
    const { address, port } = httpServer.address();
    process.stdout.write(`listening on http://${address}:${port}\n`);
  });

  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
