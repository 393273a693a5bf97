package client

import (
	"time"

	"github.com/sioloop/sioloop/sio"
)

// ourApp is testdata/server.js written for our server: namespaces "/" and
// "/admin" with the same handlers, "/private" behind an auth check.
func ourApp(srv *sio.Server) {
	for _, name := range []string{"/", "/admin"} {
		nsp := srv.Of(name)
		nsp.OnConnection(func(s *sio.Socket) {
			_ = s.Emit("hello", s.ID())
			s.On("echo", func(e *sio.Event) {
				_ = s.Emit("echo-back", argsOf(&e.Args)...)
			})
			s.On("echo-ack", func(e *sio.Event) {
				_ = e.Ack(argsOf(&e.Args)...)
			})
			s.On("ask", func(e *sio.Event) {
				name, _ := e.String(0)
				args := argsOf(&e.Args)[1:]
				args = append(args, sio.AckFunc(func(res *sio.Args, err error) {
					if err != nil {
						_ = s.Emit("answer", map[string]any{"error": err.Error()})
						return
					}
					_ = s.Emit("answer", argsOf(res))
				}))
				_ = s.Timeout(5*time.Second).Emit(name, args...)
			})
			s.On("binary", func(e *sio.Event) {
				_ = s.Emit("binary", []byte{1, 2, 3}, map[string]any{
					"nested": []byte{0xff},
					"list":   []any{[]byte{}, "x"},
				})
			})
			s.On("whoami", func(e *sio.Event) {
				_ = e.Ack(map[string]any{
					"id":        s.ID(),
					"recovered": s.Recovered(),
					"auth":      sio.RawJSON(s.Handshake().Auth),
					"transport": s.Session().Transport(),
				})
			})
			s.On("server-disconnect", func(e *sio.Event) { s.Disconnect(false) })
			s.On("drop", func(e *sio.Event) {
				var miss int
				_ = e.Decode(0, &miss)
				s.Data = miss
				s.Session().Close()
			})
			s.OnDisconnect(func(reason string) {
				miss, _ := s.Data.(int)
				for i := 1; i <= miss; i++ {
					_ = nsp.To(s.ID()).Emit("missed", i)
				}
			})
		})
	}
	private := srv.Of("/private")
	private.Use(func(s *sio.Socket, next func(error)) {
		var auth struct {
			Token string `json:"token"`
		}
		_ = decodeJSON(s.Handshake().Auth, &auth)
		if auth.Token == "secret" {
			next(nil)
			return
		}
		next(&sio.ConnectError{Message: "not authorized", Details: map[string]any{"code": 42, "reason": "bad token"}})
	})
	private.OnConnection(func(s *sio.Socket) { _ = s.Emit("hello", s.ID()) })
}

// argsOf re-emits received arguments: raw JSON when there are no
// attachments, decoded values ([]byte for the binary ones) otherwise.
func argsOf(a *sio.Args) []any {
	out := make([]any, a.Len())
	for i := range out {
		if len(a.Attachments()) == 0 {
			out[i] = sio.RawJSON(append([]byte(nil), a.Raw(i)...))
			continue
		}
		v, err := a.Value(i)
		if err != nil {
			v = nil
		}
		out[i] = v
	}
	return out
}
