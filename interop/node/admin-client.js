// The Admin UI's side of the wire, with the official socket.io-client 4.8:
// logs in to <url>/admin, connects an application socket (WebSocket only)
// that sends "hello" and joins "lobby", disconnects it with the UI's
// "_disconnect" action, and reports the shape of every event the admin
// socket received (types, object keys; values where the protocol fixes
// them), so that package admin can be compared with the Node.js reference
// (admin/node_test.go).
//
// Argument: {url, username, password, timeoutMs}. Result: {shapes: {event:
// shape}, values: {...}} on the last stdout line; {error, trace} on failure.
"use strict";

const { io } = require("socket.io-client");

const a = JSON.parse(process.argv[2] || "{}");
const trace = [];
const started = Date.now();
const note = (m) => trace.push(`${Date.now() - started}ms ${m}`);
function finish(r) {
  process.stdout.write(JSON.stringify(r) + "\n");
  process.exit(0);
}
function fail(m) {
  process.stdout.write(JSON.stringify({ error: m, trace }) + "\n");
  process.exit(1);
}
setTimeout(() => fail("deadline exceeded"), a.timeoutMs || 20000);

// shape describes a value: its type; an object's keys with their shapes;
// the union of an array's element shapes.
function shape(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) {
    const set = new Map();
    for (const e of v) {
      const s = shape(e);
      set.set(JSON.stringify(s), s);
    }
    return { array: [...set.keys()].sort().map((k) => set.get(k)) };
  }
  if (typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = shape(v[k]);
    return { object: o };
  }
  return typeof v;
}

const got = {}; // event → list of argument arrays
const waiters = [];
function record(ev, args) {
  note(`${ev} ${JSON.stringify(args).slice(0, 200)}`);
  (got[ev] = got[ev] || []).push(args);
  for (const w of waiters.slice()) if (w.ev === ev && w.ok(args)) {
    waiters.splice(waiters.indexOf(w), 1);
    w.resolve(args);
  }
}
function wait(ev, ok = () => true) {
  for (const args of got[ev] || []) if (ok(args)) return Promise.resolve(args);
  return new Promise((resolve) => waiters.push({ ev, ok, resolve }));
}

async function main() {
  const admin = io(a.url + "/admin", { auth: { username: a.username, password: a.password }, forceNew: true, reconnection: false });
  admin.onAny((ev, ...args) => record(ev, args));
  await new Promise((res, rej) => {
    admin.on("connect", res);
    admin.on("connect_error", (e) => rej(new Error("admin connect_error: " + e.message)));
  });
  const [config] = await wait("config");
  await wait("session");
  await wait("all_sockets");
  await wait("server_stats");

  const app = io(a.url, { transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise((res) => app.on("connect", res));
  const id = app.id;
  await wait("socket_connected", (args) => args[0].id === id);
  const ack = await app.emitWithAck("hello", "x", 1);
  if (ack !== "hi") fail(`hello acked ${JSON.stringify(ack)}`);
  await wait("event_received", (args) => args[1] === id);
  await wait("room_joined", (args) => args[1] === "lobby" && args[2] === id);
  const reason = new Promise((res) => app.on("disconnect", res));
  admin.emit("_disconnect", "/", false, id);
  const r = await reason;
  await wait("room_left", (args) => args[1] === "lobby" && args[2] === id);
  const [, , dreason] = await wait("socket_disconnected", (args) => args[1] === id);
  // A report after all that: aggregated events with a disconnection.
  await wait("server_stats", (args) => args[0].aggregatedEvents.some((e) => e.type === "rawDisconnection"));

  const shapes = {};
  for (const [ev, list] of Object.entries(got)) {
    const set = new Map();
    for (const args of list) {
      const s = shape(args);
      set.set(JSON.stringify(s), s);
    }
    shapes[ev] = [...set.keys()].sort().map((k) => set.get(k));
  }
  const types = new Set();
  for (const [st] of got.server_stats) for (const e of st.aggregatedEvents) types.add(e.type + (e.subType ? "/" + e.subType : ""));
  admin.disconnect();
  finish({
    shapes,
    values: {
      features: config.supportedFeatures,
      clientReason: r,
      serverReason: dreason,
      aggregated: [...types].sort(),
    },
  });
}

main().catch((e) => fail(String((e && e.message) || e)));
