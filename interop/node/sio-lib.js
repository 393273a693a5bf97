// Shared helpers of the Socket.IO interop scenarios (interop/node/sio-*.js),
// built on the official socket.io-client. Same contract with the Go side as
// lib.js (one JSON argument, one JSON result line, exit 1 with {"error"} on a
// failed expectation, a hard deadline).
//
// Every scenario gets at least {url, timeoutMs}.
"use strict";

const crypto = require("crypto");
const { io, Manager } = require("socket.io-client");
const lib = require("./lib");

// Client defaults for the scenarios: a fresh Manager per socket unless one is
// given, no automatic reconnection unless asked (a scenario that expects it
// says so), short delays when it is on.
function client(url, nsp = "/", opts = {}) {
  const socket = io(url + nsp, {
    forceNew: true,
    reconnection: false,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
    timeout: 5000,
    ...opts,
  });
  trace(socket, opts.label || nsp);
  return socket;
}

// trace records the socket's life cycle in lib's trace (printed on failure).
function trace(socket, label) {
  socket.on("connect", () => lib.note(`[${label}] connect id=${socket.id} transport=${transportName(socket)}`));
  socket.on("connect_error", (e) => lib.note(`[${label}] connect_error ${e && e.message} ${JSON.stringify(e && e.data)}`));
  socket.on("disconnect", (r, d) => lib.note(`[${label}] disconnect ${r} ${lib.describeErr(d)}`));
  return socket;
}

function transportName(socket) {
  const e = socket.io.engine;
  return e && e.transport ? e.transport.name : "";
}

// withTimeout rejects with a labelled error when p does not settle in ms.
function withTimeout(p, ms, what) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// connected resolves once socket is connected; connect_error rejects.
function connected(socket, ms = 5000) {
  if (socket.connected) return Promise.resolve(socket);
  return withTimeout(
    new Promise((resolve, reject) => {
      const ok = () => {
        socket.off("connect_error", ko);
        resolve(socket);
      };
      const ko = (e) => {
        socket.off("connect", ok);
        reject(new Error(`connect_error on ${socket.nsp}: ${e && e.message}`));
      };
      socket.once("connect", ok);
      socket.once("connect_error", ko);
    }),
    ms,
    `connect to ${socket.nsp}`
  );
}

// next resolves with the arguments of the next `event` on emitter.
function next(emitter, event, ms = 3000) {
  let handler;
  return withTimeout(
    new Promise((resolve) => {
      handler = (...xs) => resolve(xs);
      emitter.once(event, handler);
    }),
    ms,
    `event ${event}`
  ).catch((e) => {
    emitter.off(event, handler);
    throw e;
  });
}

// call emits with an acknowledgement and resolves with the ack's arguments
// (as a list); rejects after ms without one.
function call(socket, event, args, ms = 3000) {
  return withTimeout(
    new Promise((resolve) => socket.emit(event, ...args, (...res) => resolve(res))),
    ms,
    `ack of ${event}`
  );
}

// sync resolves once the server has processed everything socket sent
// before (a 'message-with-ack' round trip: one connection is handled in order).
function sync(socket, ms = 3000) {
  return call(socket, "message-with-ack", ["sync"], ms);
}

// record appends every listed event received by socket to log as
// [event, ...serialised args].
function record(socket, events, log = []) {
  for (const ev of events) socket.on(ev, (...xs) => log.push([ev, ...xs.map(ser)]));
  return log;
}

// ser turns received values into JSON the Go side can compare: binary
// becomes {"$bin": "<hex>", "$kind": "buffer"|"arraybuffer"|...} (over 64
// bytes: {"$len": n, "$sha256": "<hex>", "$kind": ...}), undefined
// {"$undefined": true}, functions "<function>", at any depth.
function ser(v) {
  if (v === undefined) return { $undefined: true };
  if (v === null || typeof v !== "object") return typeof v === "function" ? "<function>" : v;
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    const b = lib.bytes(v);
    if (b.length > 64) {
      return { $len: b.length, $sha256: crypto.createHash("sha256").update(b).digest("hex"), $kind: lib.kind(v) };
    }
    return { $bin: b.toString("hex"), $kind: lib.kind(v) };
  }
  if (Array.isArray(v)) return v.map(ser);
  const out = {};
  for (const k of Object.keys(v)) out[k] = ser(v[k]);
  return out;
}

// closeAll closes the sockets' Managers (and so their Engine.IO sessions).
function closeAll(...sockets) {
  for (const s of sockets) {
    if (!s) continue;
    s.disconnect();
    s.io._close();
  }
}

// run wraps a scenario: deadline, uncaught errors as failures, result.
function run(fn) {
  const a = lib.args();
  lib.deadline(a.timeoutMs || 30000, () => "scenario still running");
  process.on("unhandledRejection", (e) => lib.fail(`unhandled rejection: ${(e && e.stack) || e}`));
  process.on("uncaughtException", (e) => lib.fail(`uncaught exception: ${(e && e.stack) || e}`));
  Promise.resolve()
    .then(() => fn(a))
    .then((res) => lib.finish(res), (e) => lib.fail(String((e && e.stack) || e)));
}

module.exports = {
  io,
  Manager,
  client,
  trace,
  transportName,
  withTimeout,
  connected,
  next,
  call,
  sync,
  record,
  ser,
  closeAll,
  run,
  sleep: lib.sleep,
  note: lib.note,
  fail: lib.fail,
};
