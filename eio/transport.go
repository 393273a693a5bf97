package eio

import (
	"net"
	"time"

	"github.com/gobwas/ws"
)

// This file is the seam between Engine.IO and the network layer. Two network
// layers implement it: package loop (gnet event loops, the fast path) and the
// net/http adapter in handler.go (Server as an http.Handler).

// Request is one HTTP request for the Engine.IO path, as parsed by the network
// layer. Every byte slice aliases the network layer's buffer and is valid only
// until HandleRequest returns: eio copies what it keeps.
type Request struct {
	Method []byte
	// Path is the request target's path, without the query.
	Path     []byte
	RawQuery []byte
	// RawHeaders is the request's header block ("Name: value" lines joined
	// by CRLF, no trailing blank line); kept (copied) for the handshake.
	RawHeaders []byte
	Headers    HeaderReader
	Body       []byte
	// Upgrade reports a well-formed WebSocket upgrade request (GET, Upgrade:
	// websocket, Connection: upgrade, Sec-WebSocket-Version 13 and a key).
	Upgrade    bool
	RemoteAddr net.Addr
	Secure     bool
	// Arrived is, for the first request of a connection, when it reached
	// the server (the kernel's receive stamp), or when its connection was
	// accepted if the request came later (it may have been sent from then
	// on); zero for later requests, or when the network layer cannot tell.
	// Requests of one session may come on several connections served by
	// different event loops (or goroutines), and the one that arrived
	// first is not always applied first: Arrived tells them apart (see
	// Server.lingerLocked).
	Arrived time.Time
}

// HeaderReader looks up a request header by name, case-insensitively,
// without allocating. The slice is valid as long as the Request is.
type HeaderReader interface {
	Header(name string) []byte
}

// HeaderField is one response header.
type HeaderField struct{ Name, Value string }

// Response is a complete HTTP response chosen by eio.
type Response struct {
	Status      int
	ContentType string
	Header      []HeaderField
	Body        []byte
	// Close asks the network layer to close the connection after writing.
	Close bool
}

// ResponseWriter is the network side of one HTTP request.
//
// If HandleRequest returns without calling Respond or Upgrade, the request
// is pending (a held polling GET): the network layer sends nothing more on
// that connection until Respond is called, from any goroutine.
type ResponseWriter interface {
	// Respond writes r. Call it once. Any goroutine; r and its slices are
	// copied before it returns.
	Respond(r *Response)
	// NotifyAbort registers p: if the connection closes while the request is
	// pending, p.PollAborted(w) is called once, from any goroutine.
	NotifyAbort(p PollAbortHandler)
	// Drop closes the connection without answering. Any goroutine.
	Drop()
	// Upgrade writes the 101 answer (with extra headers) and switches the
	// connection to WebSocket; h then receives its messages. Only on the
	// goroutine that called HandleRequest, before it returns.
	Upgrade(h WSHandler, extra []HeaderField) (WSConn, error)
}

// PollAbortHandler is told that a pending request's connection went away.
type PollAbortHandler interface {
	PollAborted(w ResponseWriter)
}

// WSConn is an open WebSocket connection. All methods are safe from any
// goroutine; writes made during one event-loop pass are coalesced into one
// write(2) by the network layer.
type WSConn interface {
	// WriteFrame sends one unfragmented message whose payload is a followed
	// by b. a and b are copied before it returns.
	WriteFrame(op ws.OpCode, a, b []byte)
	// WriteRaw sends bytes that already hold complete frames (a
	// pre-encoded broadcast). b is copied before it returns.
	WriteRaw(b []byte)
	// Close sends a close frame (code 0: no status code) after the pending
	// writes, then closes the connection. Further writes are dropped.
	Close(code ws.StatusCode)
	// Writable reports whether the connection has no output backlog (the
	// kernel took everything written so far): volatile packets are dropped
	// when it is false.
	Writable() bool
	// Buffered is how many bytes written to the connection have not yet
	// been taken by the kernel (an estimate: what the network layer knew
	// at its last flush, plus what is pending since). Any goroutine.
	Buffered() int
	// SetHandler replaces the connection's handler. Only from within its
	// handler's OnMessage (on the connection's event loop).
	SetHandler(h WSHandler)
	RemoteAddr() net.Addr
}

// WSHandler receives the messages of a WebSocket connection, in order, on
// the connection's event loop.
type WSHandler interface {
	// OnMessage gets one complete message. data is valid until it returns.
	OnMessage(c WSConn, binary bool, data []byte)
	// OnClose is called once when the connection is gone; err is nil for a
	// clean close by the peer, a *wsframe.CloseError for a protocol error.
	OnClose(c WSConn, err error)
}
