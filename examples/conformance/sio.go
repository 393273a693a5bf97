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
				_ = s.Emit("message-back", &e.Args) // relayed unchanged
			})
			s.On("message-with-ack", func(e *sio.Event) {
				_ = e.Ack(&e.Args)
			})
		})
	}
	return srv
}
