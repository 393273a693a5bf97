// A broadcast with acknowledgements ('broadcast-ask': nsp.timeout(ms).emit
// ("poll", ..., cb)) to three clients A, B, C (B on polling). Every
// recipient gets the same ack id (read from the raw Socket.IO packets). First
// all three answer: the callback gets the three answers and no error. Then C
// does not answer: after the timeout the callback gets the error and the two
// answers received. The server reports its callback's (err, responses) on
// stdout ("server: broadcast-ask-callback ..."): the Go side checks those.
// C's late answer is ignored.
//
// arg: {url, timeoutMs}
"use strict";

const sio = require("./sio-lib");

async function waitLen(list, n) {
  while (list.length < n) await sio.sleep(5);
}

sio.run(async (a) => {
  const names = ["A", "B", "C"];
  const sockets = {};
  const polls = {};
  const ackIDs = {};
  let silent = null; // the client that does not answer
  for (const n of names) {
    const s = sio.client(a.url, "/", { transports: n === "B" ? ["polling"] : ["websocket"], label: n });
    sockets[n] = s;
    polls[n] = [];
    ackIDs[n] = [];
    s.on("poll", (...xs) => {
      const ack = xs.pop();
      polls[n].push(sio.ser(xs));
      if (n !== silent) ack(`${n} says hi (${polls[n].length})`);
    });
  }
  await Promise.all(names.map((n) => sio.connected(sockets[n])));
  for (const n of names) {
    // "42<id>[\"poll\"…" → id
    sockets[n].io.engine.on("packet", (p) => {
      const m = typeof p.data === "string" && /^2(\d+)\["poll"/.exec(p.data);
      if (m) ackIDs[n].push(Number(m[1]));
    });
  }

  const res = { polls, ackIDs };
  const polled = (k) => names.map((n) => sio.withTimeout(waitLen(polls[n], k), 3000, `poll ${k} on ${n}`));
  sockets.A.emit("broadcast-ask", 2000);
  await Promise.all(polled(1));
  await Promise.all(names.map((n) => sio.sync(sockets[n]))); // the three answers are processed

  silent = "C";
  let late;
  sockets.C.once("poll", (...xs) => (late = xs.pop()));
  sockets.A.emit("broadcast-ask", 400);
  await Promise.all(polled(2));
  await Promise.all(names.map((n) => sio.sync(sockets[n])));
  await sio.sleep(400 + 600); // well past the timeout, even on a loaded machine
  late("C too late");
  await sio.sync(sockets.C);

  // Everyone still works afterwards.
  const backs = names.map((n) => sio.next(sockets[n], "message-back"));
  for (const n of names) sockets[n].emit("message", `after ${n}`);
  res.after = (await Promise.all(backs)).map(sio.ser);
  sio.closeAll(...Object.values(sockets));
  return res;
});
