// Package benchapp is the bench app contract of docs/bench-app.md on the
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
	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/sio/parser"
)

// New returns a Socket.IO server running the bench app.
func New(o *sio.Options) *sio.Server {
	srv := sio.NewServer(o)
	srv.OnConnection(func(s *sio.Socket) { Attach(srv, s) })
	return srv
}

// Attach installs the bench handlers on s. They capture nothing (the
// socket comes with the event), so a socket's handlers cost one slice.
func Attach(_ *sio.Server, s *sio.Socket) {
	s.On("echo", onEcho)
	s.On("echoack", onEchoAck)
	s.On("bcast", onBcast)
	s.On("join", onJoin)
	s.On("toroom", onToRoom)
}

func onEcho(e *sio.Event)    { _ = e.Socket.Emit("echo", &e.Args) }
func onEchoAck(e *sio.Event) { _ = e.Ack(&e.Args) }
func onBcast(e *sio.Event)   { _ = e.Socket.Namespace().Emit("bcast", &e.Args) }

func onJoin(e *sio.Event) {
	e.Socket.Join(jsString(e.Raw(0)))
	_ = e.Ack("ok")
}

func onToRoom(e *sio.Event) {
	room := e.Member(0, "room")
	if room == nil {
		return
	}
	_ = e.Socket.Namespace().To(jsString(room)).Emit("toroom", &e.Args)
}

// jsString is JavaScript's String(v) for a JSON string or number: the
// string's contents, or the number's JSON text (integers print alike).
func jsString(raw []byte) string {
	if s, ok := parser.Unquote(raw); ok {
		return string(s)
	}
	if len(raw) > 0 && raw[0] == '"' {
		if s, err := parser.AppendUnquote(nil, raw); err == nil {
			return string(s)
		}
	}
	return string(raw)
}
