// Package benchapp is the bench app contract of ../shared/BENCH.md on the
// main namespace, served by `siobench serve` and embedded by siobench when
// it has no target URL:
//
//	echo            → socket.emit("echo", data)
//	echoack         → ack(data)
//	bcast           → io.emit("bcast", data)
//	join (with ack) → socket.join(String(room)); ack("ok")
//	toroom          → io.to(data.room).emit("toroom", data)
//
// Arguments are relayed unchanged (&e.Args: raw JSON and attachments): the
// app decodes nothing it does not need (only toroom's room name).
package benchapp

import (
	"github.com/bytedance/sonic"

	"github.com/sioloop/sioloop/sio"
)

// New returns a Socket.IO server running the bench app.
func New(o *sio.Options) *sio.Server {
	srv := sio.NewServer(o)
	srv.OnConnection(func(s *sio.Socket) { Attach(srv, s) })
	return srv
}

// Attach installs the bench handlers on s.
func Attach(srv *sio.Server, s *sio.Socket) {
	s.On("echo", func(e *sio.Event) {
		_ = s.Emit("echo", &e.Args)
	})
	s.On("echoack", func(e *sio.Event) {
		_ = e.Ack(&e.Args)
	})
	s.On("bcast", func(e *sio.Event) {
		_ = srv.Emit("bcast", &e.Args)
	})
	s.On("join", func(e *sio.Event) {
		room, ok := e.String(0)
		if !ok {
			room = string(e.Raw(0)) // String(room) of a number is its JSON text
		}
		s.Join(room)
		_ = e.Ack("ok")
	})
	s.On("toroom", func(e *sio.Event) {
		var d struct {
			Room sonicAny `json:"room"`
		}
		if err := e.Decode(0, &d); err != nil {
			return
		}
		_ = srv.To(d.Room.String()).Emit("toroom", &e.Args)
	})
}

// sonicAny keeps a JSON value raw so that a numeric room is stringified
// the way JavaScript's String() does for integers.
type sonicAny []byte

func (a *sonicAny) UnmarshalJSON(b []byte) error {
	*a = append((*a)[:0], b...)
	return nil
}

func (a sonicAny) String() string {
	if len(a) > 1 && a[0] == '"' {
		var s string
		if err := sonic.ConfigStd.Unmarshal(a, &s); err == nil {
			return s
		}
	}
	return string(a)
}
