package sio

import (
	"context"
	"log/slog"
)

// Logging: Options.Logger (slog.Default when nil; it is also the
// Engine.IO layer's, see eio.Options.Logger) gets recovered panics at
// Error and, when it takes Debug records at NewServer, a trace like
// Node's DEBUG=socket.io*: sockets joining and leaving namespaces (with
// the disconnect reason), refused CONNECTs, and the protocol violations
// that close a connection. The Engine.IO layer traces every packet.

func (s *Server) logger() *slog.Logger {
	if l := s.opts.Logger; l != nil {
		return l
	}
	return slog.Default()
}

// violation closes the connection for a protocol violation, as Node does,
// and says why at Debug.
func (c *client) violation(why string) {
	if c.srv.trace {
		c.srv.logger().Debug("sio: protocol violation: connection closed", "sid", c.sess.ID(), "why", why)
	}
	c.forceClose()
}

func (s *Server) debugOn() bool {
	return s.logger().Enabled(context.Background(), slog.LevelDebug)
}
