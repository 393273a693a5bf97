// Shared helpers of the interop Node scripts (interop/node/eio-*.js).
//
// Contract with the Go side (interop/harness_test.go, RunNode): the script
// gets one JSON argument (argv[2]), prints exactly one JSON object on its
// last stdout line and exits 0; on a failed expectation it prints
// {"error": "..."} and exits 1. Every script arms a hard deadline so that it
// never outlives the Go test that started it.
"use strict";

const { Socket } = require("engine.io-client");

const started = Date.now();
const trace = [];

function args() {
  return JSON.parse(process.argv[2] || "{}");
}

// note appends a timestamped line to the trace that is printed on failure.
function note(msg) {
  trace.push(`${Date.now() - started}ms ${msg}`);
}

function finish(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

function fail(msg, extra = {}) {
  process.stdout.write(JSON.stringify({ error: msg, ...extra, trace }) + "\n");
  process.exit(1);
}

// deadline fails the script after ms milliseconds; state() describes where it stood.
function deadline(ms, state = () => "") {
  setTimeout(() => fail(`deadline of ${ms} ms exceeded: ${state()}`), ms);
}

// open creates an official engine.io-client Socket.
//   a.url        http://127.0.0.1:PORT
//   a.transports ["polling"], ["websocket"] or ["polling","websocket"]
//   a.upgrade    allow the polling -> websocket upgrade
//   a.binaryType undefined (nodebuffer) or "arraybuffer"
function open(a, extra = {}) {
  const socket = new Socket(a.url, {
    path: "/engine.io/",
    transports: a.transports || ["polling", "websocket"],
    upgrade: a.upgrade !== false,
    ...extra,
  });
  if (a.binaryType) {
    socket.binaryType = a.binaryType;
    // The first transport was created synchronously by the constructor.
    if (socket.transport && socket.transport.ws) socket.transport.ws.binaryType = a.binaryType;
  }
  socket.on("open", () => note(`open sid=${socket.id} transport=${socket.transport.name}`));
  socket.on("upgrade", (t) => note(`upgrade to ${t.name}`));
  socket.on("upgradeError", (e) => note(`upgradeError ${e && e.message}`));
  socket.on("error", (e) => note(`error ${e && e.message}`));
  socket.on("close", (r, d) => note(`close ${r} ${describeErr(d)}`));
  return socket;
}

function describeErr(d) {
  if (d === undefined || d === null) return "";
  if (typeof d !== "object") return String(d);
  // engine.io-client TransportError: {message, description: status code or Error, context}
  let text = d.message || d.type || "";
  const inner = d.description;
  if (inner !== undefined && inner !== null) {
    const t = typeof inner === "object" ? inner.message || inner.type || JSON.stringify(inner) : String(inner);
    text = text ? `${text} (${t})` : t;
  }
  if (text) return text;
  try {
    return JSON.stringify(d);
  } catch (_) {
    return String(d);
  }
}

// kind classifies a received payload the way the tests assert on it.
function kind(data) {
  if (typeof data === "string") return "string";
  if (Buffer.isBuffer(data)) return "buffer";
  if (data instanceof ArrayBuffer) return "arraybuffer";
  if (ArrayBuffer.isView(data)) return "typedarray";
  return typeof data;
}

// bytes returns a Buffer view of any binary payload.
function bytes(data) {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new Error(`not binary: ${kind(data)}`);
}

// same reports whether a received payload equals the sent one, binary kept binary.
// An empty text message arrives as undefined: the encoded packet is a bare "4"
// and the parser leaves data unset (reference behaviour, not a client bug).
function same(sent, got) {
  if (sent === "" && got === undefined) return true;
  if (typeof sent === "string") return typeof got === "string" && got === sent;
  if (got === undefined || got === null) return false;
  if (typeof got === "string") return false;
  return bytes(sent).equals(bytes(got));
}

// short renders a payload for diagnostics.
function short(data) {
  if (data === undefined || data === null) return String(data);
  if (typeof data === "string") {
    return data.length > 40 ? `string(${data.length}) ${JSON.stringify(data.slice(0, 20))}...` : `string ${JSON.stringify(data)}`;
  }
  const b = bytes(data);
  const hex = b.subarray(0, 16).toString("hex");
  return `${kind(data)}(${b.length}) ${hex}${b.length > 16 ? "..." : ""}`;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// once resolves with the arguments of the next `event` on emitter.
function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...xs) => resolve(xs)));
}

// settle waits (at most maxMs) until the server lists sid as closed in
// /admin/sessions, so that the script does not exit while its close packet
// or close frame is still in flight (an exit would abort the connection
// and change the server's close reason).
async function settle(url, sid, maxMs = 3000) {
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    try {
      const res = await fetch(`${url}/admin/sessions`);
      const s = await res.json();
      if (s.closed.some((c) => c.sid === sid)) return true;
    } catch (_) {
      // keep trying until the deadline
    }
    await sleep(20);
  }
  return false;
}

// finishAfterClose prints the result once the server has seen the close.
function finishAfterClose(url, sid, result) {
  settle(url, sid).then(() => finish(result));
}

module.exports = { args, note, finish, fail, deadline, open, kind, bytes, same, short, sleep, once, describeErr, trace, settle, finishAfterClose };
