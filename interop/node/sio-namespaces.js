// Namespaces: a static one (/custom, same handlers as /), dynamic ones
// matching ^/dyn-\d+$ (their connection handler emits 'hello' with the
// namespace name), and invalid ones (connect_error "Invalid namespace").
//
// arg: {url, timeoutMs}
// result: {custom: {auth, echo, ack}, dyn: [{nsp, hello, id}], invalid: [{nsp, message, data, active}]}
"use strict";

const sio = require("./sio-lib");

// refused connects and reports the connect_error of a CONNECT to nsp.
async function refused(url, nsp, opts = {}) {
  const s = sio.client(url, nsp, opts);
  const [err] = await sio.next(s, "connect_error");
  await sio.sleep(50); // a retry would show up as a second connect attempt
  const out = { nsp, message: err.message, data: sio.ser(err.data), active: s.active, connected: s.connected };
  sio.closeAll(s);
  return out;
}

sio.run(async (a) => {
  const res = {};

  const c = sio.client(a.url, "/custom", { auth: { who: "custom" } });
  const auth = sio.next(c, "auth");
  await sio.connected(c);
  res.custom = { nsp: c.nsp, auth: sio.ser((await auth)[0]) };
  const back = sio.next(c, "message-back");
  c.emit("message", "on custom", 1);
  res.custom.echo = sio.ser(await back);
  res.custom.ack = sio.ser(await sio.call(c, "message-with-ack", ["ack on custom"]));
  sio.closeAll(c);

  res.dyn = [];
  for (const nsp of ["/dyn-42", "/dyn-7", "/dyn-42"]) {
    const d = sio.client(a.url, nsp);
    const hello = sio.next(d, "hello");
    await sio.connected(d);
    res.dyn.push({ nsp, hello: sio.ser(await hello), hasID: typeof d.id === "string" && d.id.length > 0 });
    sio.closeAll(d);
  }

  res.invalid = [];
  for (const nsp of ["/nope", "/dyn-x", "/dyn-", "/custom/sub"]) res.invalid.push(await refused(a.url, nsp));
  return res;
});
