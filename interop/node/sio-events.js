// Events and acknowledgements in both directions, with the official client.
//
//   client -> server event   'message' echoed as 'message-back' (same args)
//   client -> server ack     'message-with-ack' acknowledged with its args
//   server -> client ack     'ask': the server emits 'question' with an ack
//                            callback and a timeout; answered, then not
//                            answered (timeout), then answered too late. The
//                            server reports its callback's (err, answers) on
//                            stdout ("server: ask-callback ..."): the Go side
//                            checks those lines
//   client-side ack timeout  an event no handler acknowledges
//
// arg: {url, timeoutMs, transports?}
// result: {auth, echo, ackEcho, ackEmpty, question, afterLate, connected, clientTimeout}
"use strict";

const sio = require("./sio-lib");

const ARGS = ["hello", 42, { a: [1, 2, { b: null }], t: true }, "caf\u00e9 \u2615", -1.5, [], {}];

sio.run(async (a) => {
  const opts = { auth: { token: "abc", n: 1 } };
  if (a.transports) opts.transports = a.transports;
  const s = sio.client(a.url, "/", opts);
  const auth = sio.next(s, "auth");
  await sio.connected(s);
  const res = { auth: sio.ser((await auth)[0]) };

  const back = sio.next(s, "message-back");
  s.emit("message", ...ARGS);
  res.echo = sio.ser(await back);

  res.ackEcho = sio.ser(await sio.call(s, "message-with-ack", ARGS));
  res.ackEmpty = sio.ser(await sio.call(s, "message-with-ack", []));

  // Server -> client ack, answered.
  let q = sio.next(s, "question");
  s.emit("ask", 2000);
  let xs = await q;
  res.question = sio.ser(xs);
  xs.pop()("yes", 42);
  await sio.sync(s);

  // Not answered: the server's callback gets a timeout error.
  q = sio.next(s, "question");
  s.emit("ask", 300);
  xs = await q;
  await sio.sleep(300 + 600); // well past the timeout, even on a loaded machine

  // A late answer for the expired id is ignored; the socket stays usable.
  xs.pop()("too late");
  const back2 = sio.next(s, "message-back");
  s.emit("message", "still connected");
  res.afterLate = sio.ser(await back2);
  res.connected = s.connected;

  // The client's own ack timeout (no handler answers this event).
  res.clientTimeout = await new Promise((resolve) =>
    s.timeout(200).emit("nobody-answers", 1, (err, ...xs) => resolve({ err: err ? err.message : null, args: sio.ser(xs) }))
  );

  sio.closeAll(s);
  return res;
});
