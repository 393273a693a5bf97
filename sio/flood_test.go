package sio_test

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/sio"
)

// FloodDrop: events past the bucket are dropped (no handler, no ack) and
// counted, the connection stays, and the bucket refills with time.
func TestFloodDrop(t *testing.T) {
	var told atomic.Int64
	srv := sio.NewServer(&sio.Options{EventRate: 10, EventBurst: 5,
		OnFlood: func(s *sio.Socket, event string) {
			if event == "ping" {
				told.Add(1)
			}
		}})
	var handled atomic.Int64
	srv.OnConnection(func(s *sio.Socket) {
		s.On("ping", func(e *sio.Event) { handled.Add(1); _ = e.Ack("pong") })
	})
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	defer func() { _ = srv.Shutdown(t.Context()); <-done }()
	c, br := hwsOpen(t, srv.Addr().String())
	defer c.Close()
	var burst []byte
	for i := 0; i < 20; i++ {
		burst = append(burst, hframe(ws.OpText, []byte(`421["ping"]`))...)
	}
	c.Write(burst)
	time.Sleep(300 * time.Millisecond) // refills ~3 tokens
	c.Write(hframe(ws.OpText, []byte(`422["ping"]`)))
	acks := 0
	for acks < 6 {
		op, p := hreadFrame(t, br)
		if op != ws.OpText {
			t.Fatalf("frame %v %q", op, p)
		}
		if bytes.HasPrefix(p, []byte("43")) {
			acks++
			if acks == 6 && string(p) != `432["pong"]` {
				t.Fatalf("ack after the refill: %q", p)
			}
		}
	}
	if n := handled.Load(); n != 6 {
		t.Errorf("%d events handled, want 5 (the burst) + 1 after the refill", n)
	}
	if n := srv.FloodCount(); n != 15 || told.Load() != 15 {
		t.Errorf("FloodCount %d, OnFlood told %d, want 15", n, told.Load())
	}
}
