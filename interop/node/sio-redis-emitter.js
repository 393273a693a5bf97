// The Node.js @socket.io/redis-emitter 5.1 publishing into a cluster, for
// adapter/redis's emitter tests:
//
//   node sio-redis-emitter.js <redis-url> <key>
//
// Emits "msg" ["from node emitter", Buffer [1,2,3]] to everyone, "msg"
// ["to o1"] to room "n:o1", makes the sockets of "n:o2" join "ej",
// server-side emits "hello" ["e"], prints "done" and exits.
"use strict";

const { Emitter } = require("@socket.io/redis-emitter");
const { createClient } = require("redis");

async function main() {
  const [url, key] = process.argv.slice(2);
  const client = createClient({ url });
  await client.connect();
  const io = new Emitter(client, { key });
  io.emit("msg", "from node emitter", Buffer.from([1, 2, 3]));
  io.to("n:o1").emit("msg", "to o1");
  io.in("n:o2").socketsJoin("ej");
  io.serverSideEmit("hello", "e");
  await client.ping(); // every publish above has been answered
  console.log("done");
  await client.quit();
}

main().catch((e) => { console.error(e); process.exit(1); });
