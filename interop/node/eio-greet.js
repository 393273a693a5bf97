// The official engine.io-client on one transport, recording the messages
// it receives in its first 500 ms (the server may send one from its
// connection callback: -greet), and "(open)" where the open event came.
//
// arg: {url, transport, timeoutMs}
// result: {messages: [string]}
"use strict";

const lib = require("./lib");

const a = lib.args();
lib.deadline(a.timeoutMs || 8000, () => "still running");
const socket = lib.open({ url: a.url, transports: [a.transport], upgrade: false });
const messages = [];
socket.on("message", (m) => messages.push(String(m)));
socket.on("open", () => {
  messages.push("(open)");
  setTimeout(() => {
    socket.close();
    lib.finish({ messages });
  }, 500);
});
