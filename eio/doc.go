// Package eio is Engine.IO protocol 4 (and 3, behind Options.AllowEIO3):
// the packet and payload codecs (pure functions over bytes), sessions with
// unguessable ids, the handshake, HTTP long-polling (held GETs, batching,
// compression), the WebSocket transport, the polling → WebSocket upgrade,
// server heartbeats, maxPayload, CORS, and the reference server's status
// codes, error bodies and close reasons.
//
// A Server owns sessions, not sockets: a network layer parses HTTP and
// calls HandleRequest with the interfaces of transport.go. Package loop is
// the fast one; Server.ServeHTTP lets a net/http server mount it.
//
// A session's state is guarded by its own mutex, because its requests can
// arrive on different connections and event loops. Handlers
// (SessionHandler) run without it, in packet order.
package eio
