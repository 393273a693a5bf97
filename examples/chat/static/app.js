"use strict";
// The chat page. ?transport=polling or ?transport=websocket forces one
// transport; by default the client starts with HTTP long-polling and
// upgrades to WebSocket.
(() => {
  const $ = (id) => document.getElementById(id);
  const opts = {};
  const forced = new URLSearchParams(location.search).get("transport");
  if (forced === "polling" || forced === "websocket") opts.transports = [forced];
  const socket = io(opts);

  let me = null; // {name, room} once joined
  const typists = new Set(); // who is typing in the room
  let typingTimer = 0;

  // ---- connection ----

  function showStatus() {
    const st = $("status");
    st.textContent = socket.connected ? socket.io.engine.transport.name : "offline";
    st.classList.toggle("offline", !socket.connected);
  }
  socket.io.on("open", () => socket.io.engine.on("upgrade", showStatus));

  socket.on("connect", () => {
    $("join-button").disabled = false;
    $("join-button").textContent = "Join";
    showStatus();
    if (me) join(me.name, me.room); // a new connection: join again
  });
  socket.on("disconnect", () => {
    showStatus();
    typists.clear();
    showTyping();
  });

  // ---- joining a room ----

  function join(name, room) {
    socket.timeout(5000).emit("join", { name, room }, (err, res) => {
      if (err || res.error) {
        const msg = err ? "The server did not answer." : res.error;
        if (me) notice(`Could not join again: ${msg}`);
        else showJoinError(msg);
        return;
      }
      const first = !me;
      me = { name: res.name, room: res.room };
      $("room-name").textContent = res.room;
      setOnline(res.users.length);
      $("join").hidden = true;
      $("chat").hidden = false;
      if (first) notice(`You joined #${res.room} as ${res.name}. Here: ${res.users.join(", ")}`);
      $("text").focus();
    });
  }

  function showJoinError(msg) {
    $("join-error").textContent = msg;
    $("join-error").hidden = false;
  }

  $("join").addEventListener("submit", (ev) => {
    ev.preventDefault();
    $("join-error").hidden = true;
    join($("name").value.trim(), $("room").value.trim());
  });

  // ---- messages ----

  function add(className, ...children) {
    const li = document.createElement("li");
    li.className = className;
    li.append(...children);
    const list = $("messages");
    list.append(li);
    list.scrollTop = list.scrollHeight;
  }

  function span(className, text) {
    const s = document.createElement(className === "time" ? "time" : "span");
    s.className = className;
    s.textContent = text;
    return s;
  }

  function notice(text) {
    add("notice", text);
  }

  function setOnline(n) {
    $("online").textContent = `${n} online`;
  }

  socket.on("message", (m) => {
    typists.delete(m.from);
    showTyping();
    const at = new Date(m.time).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    add(m.id === socket.id ? "message mine" : "message", span("from", m.from), span("text", m.text), span("time", at));
  });

  socket.on("joined", ({ name, online }) => {
    notice(`${name} joined`);
    setOnline(online);
  });

  socket.on("left", ({ name, online }) => {
    typists.delete(name);
    showTyping();
    notice(`${name} left`);
    setOnline(online);
  });

  $("send").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    socket.emit("message", text);
    $("text").value = "";
    stopTyping();
  });

  // ---- typing indicator ----

  $("text").addEventListener("input", () => {
    if (typingTimer) clearTimeout(typingTimer);
    else socket.emit("typing", true);
    typingTimer = setTimeout(stopTyping, 2000);
  });

  function stopTyping() {
    if (!typingTimer) return;
    clearTimeout(typingTimer);
    typingTimer = 0;
    socket.emit("typing", false);
  }

  socket.on("typing", ({ name, typing }) => {
    if (typing) typists.add(name);
    else typists.delete(name);
    showTyping();
  });

  function showTyping() {
    const n = [...typists];
    $("typing").textContent =
      n.length === 0 ? "" :
      n.length === 1 ? `${n[0]} is typing…` :
      n.length === 2 ? `${n[0]} and ${n[1]} are typing…` :
      "Several people are typing…";
  }
})();
