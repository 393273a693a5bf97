#!/usr/bin/env node
// The bench app contract of docs/bench-app.md on the Node.js reference server
// (npm socket.io 4.8, default options), for siobench to compare against:
//
//   echo            → socket.emit("echo", ...args)
//   echoack         → ack(...args)
//   bcast           → io.emit("bcast", ...args)
//   join (with ack) → socket.join(String(room)); ack("ok")
//   toroom          → io.to(data.room).emit("toroom", data)
//
// usage: node bench/peers/node/server.js [--host 127.0.0.1] [--port 3000] [--path /socket.io/]
//                                         [--namespace /name [--require-token]]
//                                         [--tls-cert cert.pem --tls-key key.pem] [--allow-eio3]
//                                         [--redis redis://127.0.0.1:6379 [--sharded]] [--parser msgpack]
//
// --namespace serves the app on that namespace instead of the main one;
// --require-token admits only sockets whose CONNECT auth is
// {"token":"user-…"} (siobench --auth '{"token":"user-{{i}}"}'); --tls-cert
// and --tls-key serve https:// (the URL printed says so); --allow-eio3 admits
// Engine.IO 3 clients (socket.io-client 2.x, siobench --eio 3); --redis makes
// it one node of a cluster with the official @socket.io/redis-adapter 8.3
// (createAdapter; with --sharded, createShardedAdapter); --parser msgpack
// uses socket.io-msgpack-parser (siobench --parser msgpack).
//
// Port 0 picks a free port. Once listening it prints one JSON line on stdout:
// {"url":"http://127.0.0.1:PORT","pid":PID}. socket.io is loaded from
// interop/node_modules (`make deps`), or from $SOCKETIO_MODULE.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '3000'));
const ioPath = arg('path', '/socket.io/');
const nspName = arg('namespace', '/');
const requireToken = process.argv.includes('--require-token');
const mod = process.env.SOCKETIO_MODULE || path.resolve(__dirname, '../../../interop/node_modules/socket.io');
const { Server } = require(mod);

async function main() {
  const tlsCert = arg('tls-cert', '');
  const httpServer = tlsCert
    ? https.createServer({ cert: fs.readFileSync(tlsCert), key: fs.readFileSync(arg('tls-key', '')) })
    : http.createServer();
  const opts = { path: ioPath, allowEIO3: process.argv.includes('--allow-eio3') };
  const parser = arg('parser', 'default');
  if (parser === 'msgpack') {
    opts.parser = require(path.join(path.dirname(mod), 'socket.io-msgpack-parser'));
  } else if (parser !== 'default') {
    throw new Error('--parser: default or msgpack');
  }
  const io = new Server(httpServer, opts);
  const redisURL = arg('redis', '');
  if (redisURL) {
    const modules = path.dirname(mod);
    const { createAdapter, createShardedAdapter } = require(path.join(modules, '@socket.io/redis-adapter'));
    const { createClient } = require(path.join(modules, 'redis'));
    const pub = createClient({ url: redisURL });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(process.argv.includes('--sharded') ? createShardedAdapter(pub, sub) : createAdapter(pub, sub));
  }

  const nsp = io.of(nspName);
  if (requireToken) {
    nsp.use((socket, next) => {
      const t = socket.handshake.auth && socket.handshake.auth.token;
      next(typeof t === 'string' && t.startsWith('user-') ? undefined : new Error('not authorized'));
    });
  }

  nsp.on('connection', (socket) => {
    socket.on('echo', (...args) => socket.emit('echo', ...args));
    socket.on('echoack', (...args) => {
      const ack = args.pop();
      if (typeof ack === 'function') ack(...args);
    });
    socket.on('bcast', (...args) => nsp.emit('bcast', ...args));
    socket.on('join', (room, ack) => {
      socket.join(String(room));
      if (typeof ack === 'function') ack('ok');
    });
    socket.on('toroom', (data) => {
      if (data && data.room !== undefined) nsp.to(String(data.room)).emit('toroom', data);
    });
  });

  httpServer.listen(port, host, () => {
    const a = httpServer.address();
    const scheme = tlsCert ? 'https' : 'http';
    console.log(JSON.stringify({ url: `${scheme}://${host}:${a.port}`, pid: process.pid }));
  });

  function stop() {
    io.close();
    httpServer.close();
    setTimeout(() => process.exit(0), 200).unref();
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
