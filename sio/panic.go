package sio

import "runtime/debug"

// ReasonHandlerPanic is the disconnect reason of a socket whose handler
// (or middleware, or callback) panicked: the panic is recovered, reported
// (Options.Logger, Options.OnPanic, PanicCount) and costs that socket
// only; the client gets a DISCONNECT packet for the namespace.
const ReasonHandlerPanic = "handler panic"

// PanicCount is how many panics of application code the server recovered
// (handlers, middlewares, callbacks, hooks; on every layer).
func (s *Server) PanicCount() int64 { return s.eio.Panics() }

// contain ends the socket of namespace nsp on c after one of its handlers
// panicked (reported already). A panic of the socket's disconnect handlers
// on the way is reported too.
func (c *client) contain(nsp string) {
	defer c.srv.recoverReport()
	if s := c.socket([]byte(nsp)); s != nil {
		if s.Connected() {
			s.sendControl(PacketDisconnect, nil)
		}
		s.onClose(ReasonHandlerPanic)
		return
	}
	// Not connected yet (a middleware or the connection handlers of a
	// CONNECT): refuse the CONNECT.
	c.mu.Lock()
	joining := c.joining[nsp]
	delete(c.joining, nsp)
	c.mu.Unlock()
	if joining {
		c.sendConnectError(nsp, ReasonHandlerPanic, nil)
	}
}

// recoverReport is deferred around application code whose panic needs no
// more than reporting (it runs where the socket is going away anyway).
func (s *Server) recoverReport() {
	if v := recover(); v != nil {
		s.eio.ReportPanic(v, debug.Stack())
	}
}

// callDisconnect runs a disconnect handler, reporting a panic.
func (s *Server) callDisconnect(fn func(reason string), reason string) {
	defer s.recoverReport()
	fn(reason)
}
