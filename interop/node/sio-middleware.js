// Namespace middleware refusing the CONNECT: the client's connect_error
// carries the error's message and its data (when the error has some). The
// Engine.IO session stays usable for the other namespaces of the Manager.
//
// arg: {url, timeoutMs}
// result: {guarded: {message, data, active}, plain: {...}, shared: {...}}
"use strict";

const sio = require("./sio-lib");

function describe(s, err) {
  return { message: err.message, data: sio.ser(err.data), hasData: "data" in err && err.data !== undefined, active: s.active, connected: s.connected };
}

sio.run(async (a) => {
  const res = {};

  const g = sio.client(a.url, "/guarded", { auth: { token: "bad" } });
  res.guarded = describe(g, (await sio.next(g, "connect_error"))[0]);
  sio.closeAll(g);

  const p = sio.client(a.url, "/guarded-plain");
  res.plain = describe(p, (await sio.next(p, "connect_error"))[0]);
  sio.closeAll(p);

  // One Manager (one Engine.IO session): the refusal of /guarded does not
  // disturb "/".
  const m = new sio.Manager(a.url, { reconnection: false, transports: ["websocket"] });
  const root = sio.trace(m.socket("/"), "/");
  const guarded = sio.trace(m.socket("/guarded"), "/guarded");
  const refused = sio.next(guarded, "connect_error");
  await sio.connected(root);
  const engineID = m.engine.id;
  const [err] = await refused;
  await sio.sleep(50);
  const back = sio.next(root, "message-back");
  root.emit("message", "still here");
  res.shared = {
    refusal: describe(guarded, err),
    rootConnected: root.connected,
    echo: sio.ser(await back),
    sameEngine: m.engine.id === engineID,
  };
  sio.closeAll(root, guarded);
  return res;
});
