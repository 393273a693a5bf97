package main

import (
	"github.com/sioloop/sioloop/sio"
)

// newSocketIO builds the app of the public Socket.IO protocol test suite
// (repository socketio/socket.io-protocol, folder test-suite/): namespaces
// "/" and "/custom"; on connection, emit "auth" with the CONNECT payload;
// "message" → "message-back" with the same arguments; "message-with-ack"
// → acknowledged with the same arguments.
func newSocketIO(o *sio.Options) *sio.Server {
	srv := sio.NewServer(o)
	for _, name := range []string{"/", "/custom"} {
		srv.Of(name).OnConnection(func(s *sio.Socket) {
			_ = s.Emit("auth", sio.RawJSON(s.Handshake().Auth))
			s.On("message", func(e *sio.Event) {
				_ = s.Emit("message-back", rawArgs(e)...)
			})
			s.On("message-with-ack", func(e *sio.Event) {
				_ = e.Ack(rawArgs(e)...)
			})
		})
	}
	return srv
}

// rawArgs re-emits the event's arguments: unchanged JSON when the packet
// has no binary attachments (no decode, no encode), decoded values with
// []byte in place of the placeholders otherwise.
func rawArgs(e *sio.Event) []any {
	out := make([]any, e.Len())
	binary := len(e.Attachments()) > 0
	for i := range out {
		if !binary {
			out[i] = sio.RawJSON(e.Raw(i))
			continue
		}
		v, err := e.Value(i)
		if err != nil {
			v = nil
		}
		out[i] = v
	}
	return out
}
