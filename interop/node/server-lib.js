// Shared by the Node reference servers (eio-ref-server.js,
// sio-ref-server.js, sio-refapp.js): Go-style flags and the option
// profiles of examples/refapp.
"use strict";

// parseFlags mimics Go's flag package: -name value, -name=value, --name.
// defaults names every flag; a name in booleans may stand alone (true).
function parseFlags(argv, defaults, booleans = []) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith("-")) throw new Error(`unexpected argument ${a}`);
    a = a.replace(/^--?/, "");
    let name = a;
    let value;
    const eq = a.indexOf("=");
    if (eq >= 0) {
      name = a.slice(0, eq);
      value = a.slice(eq + 1);
    } else if (booleans.includes(name)) {
      value = "true";
    } else {
      value = argv[++i];
    }
    if (!(name in opts)) throw new Error(`flag provided but not defined: -${name}`);
    if (value === undefined) throw new Error(`flag needs an argument: -${name}`);
    opts[name] = value;
  }
  return opts;
}

// hostPort splits host:port (an empty host is 127.0.0.1).
function hostPort(addr) {
  const colon = addr.lastIndexOf(":");
  return { host: addr.slice(0, colon) || "127.0.0.1", port: Number(addr.slice(colon + 1)) };
}

// PROFILES are the socket.io server options of examples/refapp's -profile.
const PROFILES = {
  default: {},
  ref: { pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 1e6, cors: { origin: "*" }, connectTimeout: 1000 },
  small: { maxHttpBufferSize: 1000 },
  cors: { cors: { origin: ["https://app.example.com"], credentials: true } },
  cookie: { cookie: true },
  recovery: { connectionStateRecovery: { maxDisconnectionDuration: 120000, skipMiddlewares: true } },
  msgpack: { parser: require("socket.io-msgpack-parser") },
  "recovery-msgpack": {
    connectionStateRecovery: { maxDisconnectionDuration: 120000, skipMiddlewares: true },
    parser: require("socket.io-msgpack-parser"),
  },
};

module.exports = { parseFlags, hostPort, PROFILES };
