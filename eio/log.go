package eio

import (
	"context"
	"log/slog"
	"strconv"
)

// Logging.
//
// Options.Logger (slog.Default when nil) receives, by level:
//   - Error: panics of application code (ReportPanic).
//   - Info: sessions closed for their output (slow consumer).
//   - Debug: every refused request (code, message, remote address),
//     every session opened and closed (transport, reason), and a trace of
//     every packet received and sent outside broadcasts (type, size, the
//     first bytes), like Node's DEBUG=engine* output.
//
// Nothing is logged per packet unless the logger was enabled for Debug
// when NewServer ran (the check is made once: a packet costs one branch).

// traceBytes is how much of a packet's data the Debug trace shows.
const traceBytes = 120

// logger is Options.Logger or slog's default.
func (s *Server) logger() *slog.Logger {
	if l := s.opts.Logger; l != nil {
		return l
	}
	return slog.Default()
}

// debugOn reports whether the logger takes Debug records now.
func (s *Server) debugOn() bool {
	return s.logger().Enabled(context.Background(), slog.LevelDebug)
}

// tracePacket logs one packet at Debug (callers check s.trace first).
func (s *Server) tracePacket(dir string, sess *Session, p Packet) {
	attrs := []any{"sid", sess.id, "type", p.Type.String(), "bytes", len(p.Data)}
	switch {
	case p.Binary:
		attrs = append(attrs, "data", "<binary>")
	case len(p.Data) > traceBytes:
		attrs = append(attrs, "data", string(p.Data[:traceBytes])+"…")
	case len(p.Data) > 0:
		attrs = append(attrs, "data", string(p.Data))
	}
	s.logger().Debug("eio: packet "+dir, attrs...)
}

// logRefused logs a refused request at Debug.
func (s *Server) logRefused(r *Request, e *Error) {
	remote := ""
	if r.RemoteAddr != nil {
		remote = r.RemoteAddr.String()
	}
	s.logger().Debug("eio: request refused", "code", e.Code, "message", e.Message,
		"method", string(r.Method), "path", string(r.Path), "remote", remote)
}

// logClosed logs a session's end: Info for a slow consumer (the server
// cut it off), Debug otherwise.
func (s *Server) logClosed(sess *Session, reason string) {
	lvl := slog.LevelDebug
	if reason == ReasonSlowConsumer {
		lvl = slog.LevelInfo
	}
	s.logger().Log(context.Background(), lvl, "eio: session closed", "sid", sess.id, "reason", reason,
		"protocol", strconv.Itoa(int(sess.protocol)))
}
