// Official socket.io-client 4.8 sockets on two nodes of a cluster, for
// adapter/redis's cluster tests:
//
//   node sio-cluster-clients.js '{"a":"http://127.0.0.1:P1","b":"http://127.0.0.1:P2"}'
//
// Socket a1 on node A, b1 and b2 on node B (both transports in turn: a1
// and b1 WebSocket, b2 long-polling then upgraded). It checks, against the
// events of interop/node/sio-redis-node.js (which the Go test node
// mirrors): a broadcast from each node reaches all three sockets, once;
// a room joined on B is reached from A; a broadcast with acks from A
// collects the answers of all three clients; fetchSockets from B lists
// every socket by name; a server-side emit from A reaches B's sockets. It
// prints {"ok":true} or {"error":…} (lib.js contract).
"use strict";

const { io } = require("socket.io-client");
const { args, fail, finish, deadline, note } = require("./lib");

const a = args();
deadline(15000, () => "steps done: " + steps.join(","));
const steps = [];

function connect(url, name, transports) {
  return new Promise((resolve, reject) => {
    const s = io(url, { query: { name }, transports, reconnection: false, forceNew: true });
    s.on("connect", () => resolve(s));
    s.on("connect_error", reject);
    s.on("q", (cb) => cb("ans-" + name));
  });
}

function next(s, ev) {
  return new Promise((resolve) => s.once(ev, (...args) => resolve(args)));
}

async function main() {
  const a1 = await connect(a.a, "a1", ["websocket"]);
  const b1 = await connect(a.b, "b1", ["websocket"]);
  const b2 = await connect(a.b, "b2", ["polling", "websocket"]);
  const all = [a1, b1, b2];
  await new Promise((r) => setTimeout(r, 200));

  for (const [from, text] of [[a1, "from A"], [b2, "from B"]]) {
    const got = all.map((s) => next(s, "msg"));
    from.emit("bcast", text, Buffer.from([7, 8]));
    for (const [msg, bin] of await Promise.all(got)) {
      if (msg !== text || !Buffer.isBuffer(bin) || bin[1] !== 8) fail(`broadcast ${text}: got ${msg} ${bin}`);
    }
  }
  steps.push("broadcasts");

  if ((await b1.emitWithAck("join", "room-b1")) !== "ok") fail("join");
  // With the sharded adapter's dynamic mode, node B subscribes to the
  // room's channel when the room is created, asynchronously: a broadcast
  // published before that subscription is up is not seen by B (Node's
  // adapter behaves the same). Repeat until one arrives.
  const inRoom = next(b1, "msg");
  a1.emit("toroom", "room-b1", "to b1");
  const again = setInterval(() => a1.emit("toroom", "room-b1", "to b1"), 300);
  const [roomMsg] = await inRoom;
  clearInterval(again);
  if (roomMsg !== "to b1") fail("room broadcast: " + roomMsg);
  steps.push("room");

  const answers = await a1.emitWithAck("ackall");
  if (JSON.stringify(answers) !== JSON.stringify(["ans-a1", "ans-b1", "ans-b2"])) fail("broadcast with acks: " + JSON.stringify(answers));
  steps.push("acks");

  const names = await b1.emitWithAck("fetch");
  if (JSON.stringify(names) !== JSON.stringify(["a1", "b1", "b2"])) fail("fetchSockets: " + JSON.stringify(names));
  steps.push("fetch");

  const got = [next(b1, "got"), next(b2, "got")];
  a1.emit("sse", "hello B");
  for (const [arg] of await Promise.all(got)) if (arg !== "hello B") fail("serverSideEmit: " + arg);
  steps.push("sse");

  note("done");
  all.forEach((s) => s.disconnect());
  finish({ ok: true, transportB2: b2.io.engine.transport.name });
}

main().catch((e) => fail(String(e && e.stack || e)));
