// Package loop is sioloop's network layer: the only package that imports
// gnet. It runs one event loop per core, keeps a small state machine per
// TCP connection (HTTP/1.1, then WebSocket after an upgrade), parses
// requests incrementally without copying (ParseRequest), answers the
// WebSocket handshake, routes Engine.IO paths to an eio.Server and every
// other path to an optional net/http Handler (run on its own goroutine).
//
// Writes for a connection, from any goroutine, are appended to its buffer
// and written with one write(2) when the loop pass ends (or by one posted
// task per loop when they come from elsewhere). Timers (header, idle)
// live on the server's shared timer set (internal/timer). See ARCHITECTURE.md.
//
// Bytes handed to eio (requests, WebSocket messages) alias gnet's inbound
// buffer and are valid until the callback returns.
package loop
