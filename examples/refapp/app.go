package main

import (
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio"
)

// The application of the golden captures (interop/testdata/golden/README.md, "The
// application on the server"), written against the public sio API.

// errNotAuthorized is the /guarded refusal: a message and a data object.
func errNotAuthorized() error {
	return &sio.ConnectError{Message: "not authorized", Details: map[string]any{"content": "Please retry later"}}
}

var dynNamespace = regexp.MustCompile(`^/dyn-\d+$`)

// binaryPayload is the second argument of the "binary" event: a struct
// (not a map) so that the keys keep their order; sio.Binary makes the
// field an attachment.
// binaryPayload holds a plain []byte: it reaches the client as a Buffer,
// as the reference sends a Buffer anywhere in the arguments.
type binaryPayload struct {
	Nested []byte `json:"nested"`
	Text   string `json:"text"`
}

func (a *app) setupSocketIO(srv *sio.Server) {
	for _, name := range []string{"/", "/custom"} {
		srv.Of(name).OnConnection(a.onConnection)
	}
	srv.Of("/guarded").Use(func(s *sio.Socket, next func(error)) {
		a.rep.report("middleware-reject", kv{"nsp", s.Namespace().Name()}, kv{"auth", rawAuth(s)})
		next(errNotAuthorized())
	})
	srv.Of("/guarded-plain").Use(func(s *sio.Socket, next func(error)) {
		a.rep.report("middleware-reject", kv{"nsp", s.Namespace().Name()})
		next(errors.New("plain refusal"))
	})
	srv.OfRegexp(dynNamespace).OnConnection(func(s *sio.Socket) {
		a.observe(s)
		_ = s.Emit("hello", s.Namespace().Name())
	})
}

// observe reports the socket's connection, incoming events and
// disconnection.
func (a *app) observe(s *sio.Socket) {
	nsp := s.Namespace().Name()
	a.rep.report("connection", kv{"nsp", nsp}, kv{"id", s.ID()}, kv{"sid", s.Session().ID()},
		kv{"recovered", s.Recovered()}, kv{"auth", rawAuth(s)}, kv{"rooms", s.Rooms()})
	s.Use(func(e *sio.Event) error {
		args := argValues(&e.Args)
		if e.HasAck() {
			args = append(args, "<function>")
		}
		a.rep.report("event-in", kv{"nsp", nsp}, kv{"id", s.ID()}, kv{"event", e.Name()}, kv{"args", args})
		return nil
	})
	s.OnDisconnecting(func(reason string) {
		a.rep.report("disconnecting", kv{"nsp", nsp}, kv{"id", s.ID()}, kv{"reason", reason}, kv{"rooms", s.Rooms()})
	})
	s.OnDisconnect(func(reason string) {
		a.rep.report("disconnect", kv{"nsp", nsp}, kv{"id", s.ID()}, kv{"reason", reason})
	})
}

// onConnection runs the handlers of "/" and "/custom".
func (a *app) onConnection(s *sio.Socket) {
	a.observe(s)
	_ = s.Emit("auth", rawAuth(s))

	s.On("message", func(e *sio.Event) {
		_ = s.Emit("message-back", relayArgs(e)...)
	})
	s.On("message-with-ack", func(e *sio.Event) {
		_ = e.Ack(relayArgs(e)...)
	})
	s.On("join", func(e *sio.Event) {
		room, _ := e.String(0)
		s.Join(room)
		_ = e.Ack(room)
	})
	s.On("to-room", func(e *sio.Event) {
		room, _ := e.String(0)
		_ = s.Namespace().To(room).Emit("room-msg", relayArg(e, 1))
	})
	s.On("to-room-except-me", func(e *sio.Event) {
		room, _ := e.String(0)
		_ = s.To(room).Emit("room-msg", relayArg(e, 1))
	})
	s.On("broadcast", func(e *sio.Event) {
		_ = s.Broadcast().Emit("bcast", relayArg(e, 0))
	})
	s.On("broadcast-ask", func(e *sio.Event) {
		_ = s.Namespace().Timeout(millis(e, 0)).Emit("poll", "which one?", sio.MultiAckFunc(func(res []*sio.Args, err error) {
			responses := make([]any, 0, len(res))
			for _, r := range res {
				var first any
				if v := argValues(r); len(v) > 0 {
					first = v[0]
				}
				responses = append(responses, first)
			}
			a.rep.report("broadcast-ask-callback", kv{"err", errValue(err)}, kv{"responses", responses})
		}))
	})
	s.On("ask", func(e *sio.Event) {
		_ = s.Timeout(millis(e, 0)).Emit("question", "are you there?", sio.AckFunc(func(res *sio.Args, err error) {
			answers := []any{}
			if res != nil {
				answers = argValues(res)
			}
			a.rep.report("ask-callback", kv{"id", s.ID()}, kv{"err", errValue(err)}, kv{"answers", answers})
		}))
	})
	s.On("send-binary", func(*sio.Event) {
		_ = s.Emit("binary", []byte{1, 2, 3}, binaryPayload{Nested: []byte{0xff}, Text: "x"})
	})
	s.On("binary-ack", func(e *sio.Event) {
		_ = e.Ack([]byte{0xde, 0xad, 0xbe, 0xef}, "text")
	})
	s.On("batch", func(*sio.Event) {
		_ = s.Emit("a", 1)
		_ = s.Emit("b", 2)
		_ = s.Emit("c", 3)
	})
	s.On("big", func(e *sio.Event) {
		var n int
		_ = e.Decode(0, &n)
		_ = s.Emit("big", strings.Repeat("x", max(n, 0)))
	})
	s.On("panic", func(*sio.Event) { panic("refapp: the client asked for a panic") })
	s.On("kick", func(*sio.Event) { s.Disconnect(false) })
	s.On("kick-close", func(*sio.Event) { s.Disconnect(true) })
	s.On("conn-close", func(*sio.Event) { s.Session().Close() })
	s.On("shutdown", func(*sio.Event) { go a.shutdown() })
	opEmit(s)
}

// relayArgs returns the event's arguments for re-emitting: the received
// JSON unchanged (sio.RawJSON) when the packet has no attachments, decoded
// values with []byte for the placeholders otherwise.
func relayArgs(e *sio.Event) []any {
	out := make([]any, e.Len())
	for i := range out {
		out[i] = relayArg(e, i)
	}
	return out
}

func relayArg(e *sio.Event, i int) any {
	if len(e.Attachments()) == 0 {
		return sio.RawJSON(e.Raw(i))
	}
	v, err := e.Value(i)
	if err != nil {
		return nil
	}
	return v
}

// millis reads argument i as a number of milliseconds.
func millis(e *sio.Event, i int) time.Duration {
	var ms float64
	_ = e.Decode(i, &ms)
	return time.Duration(ms * float64(time.Millisecond))
}

// --- the bare Engine.IO echo server on /engine.io/ ---

type echo struct{ rep *reporter }

func (a *app) newEcho(o *eio.Options) *eio.Server {
	es := eio.NewServer(o)
	h := &echo{rep: a.rep}
	es.OnConnection(func(s *eio.Session) {
		h.rep.report("eio-open", kv{"path", "/engine.io/"}, kv{"sid", s.ID()}, kv{"transport", s.Transport()})
		s.SetHandler(h)
	})
	es.SetHooks(eio.Hooks{ConnectionError: a.connectionError("/engine.io/")})
	return es
}

// OnMessage sends every message back unchanged (text as text, binary as
// binary).
func (h *echo) OnMessage(s *eio.Session, data []byte, binary bool) {
	if binary {
		h.rep.report("eio-data", kv{"sid", s.ID()}, kv{"data", "<Buffer " + hex.EncodeToString(data) + ">"})
	} else {
		h.rep.report("eio-data", kv{"sid", s.ID()}, kv{"data", string(data)})
	}
	_ = s.Send(data, binary)
}

func (h *echo) OnClose(s *eio.Session, reason string) {
	h.rep.report("eio-close", kv{"sid", s.ID()}, kv{"reason", reason})
}

func (a *app) connectionError(path string) func(*eio.Request, *eio.Error) {
	return func(_ *eio.Request, e *eio.Error) {
		a.rep.report("eio-connection_error", kv{"path", path}, kv{"code", e.Code}, kv{"message", e.Message})
	}
}
