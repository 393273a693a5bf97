package sio_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/sio"
)

// syncBuffer is a log sink safe for the event loops' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With a Debug logger the server traces sessions, sockets, packets,
// refusals and protocol violations; at Info it logs none of that.
func TestLoggerTrace(t *testing.T) {
	for _, lvl := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		t.Run(lvl.String(), func(t *testing.T) {
			var buf syncBuffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: lvl}))
			srv := sio.NewServer(&sio.Options{Logger: log})
			srv.OnConnection(func(s *sio.Socket) {
				s.On("echo", func(e *sio.Event) { _ = s.Emit("echo", &e.Args) })
			})
			done := make(chan error, 1)
			go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
			<-srv.Ready()
			defer func() { _ = srv.Shutdown(t.Context()); <-done }()
			addr := srv.Addr().String()

			c, br := hwsOpen(t, addr)
			c.Write(hframe(ws.OpText, []byte(`42["echo","hi"]`)))
			hreadFrame(t, br)
			c.Write(hframe(ws.OpText, []byte(`42/nowhere,["x"]`))) // a violation: closes
			for {
				if op, _ := hreadFrame(t, br); op == ws.OpClose {
					break
				}
			}
			c.Close()
			r := hdial(t, addr)
			r.Write([]byte("GET /socket.io/?EIO=4&transport=polling&sid=nope HTTP/1.1\r\nHost: x\r\n\r\n"))
			r.Read(make([]byte, 512))
			r.Close()
			time.Sleep(100 * time.Millisecond)

			out := buf.String()
			want := []string{
				`msg="eio: session opened"`, `msg="sio: socket connected"`,
				`msg="eio: packet received"`, `data="2[\"echo\",\"hi\"]"`, `msg="eio: packet sent"`,
				`msg="sio: protocol violation: connection closed"`, `why="an event for a namespace not joined"`,
				`msg="sio: socket disconnected"`, `msg="eio: session closed"`,
				`msg="eio: request refused"`, `message="Session ID unknown"`,
			}
			for _, w := range want {
				if has := strings.Contains(out, w); has != (lvl == slog.LevelDebug) {
					t.Errorf("level %v: %q logged: %v\n%s", lvl, w, has, out)
				}
			}
		})
	}
}
