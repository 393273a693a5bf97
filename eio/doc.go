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
//
// # Two audiences
//
// Applications (usually through package sio) use Options, Hooks,
// Server.OnConnection, Server.Count, Server.Session, Server.SetHooks,
// Server.Close, Server.ServeHTTP, and Session's ID, Transport, Handshake,
// Send, SendPacket, TrySendPacket, Buffered, Writable and Close.
//
// Network layers (package loop, or one of your own) use the rest, an
// advanced interface applications need not touch: Server.HandleRequest and
// Server.RequestStarted with the Request, ResponseWriter, Deferrer,
// PollAbortHandler, WSConn and WSHandler of transport.go and allow.go;
// Server.ReportPanic for panics they recover; Session.Direct for
// broadcasts that write frames straight to a WebSocket.
package eio
