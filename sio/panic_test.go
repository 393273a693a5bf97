package sio_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/sio"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// A panic in a handler costs its socket only, in every mode: the socket is
// disconnected with ReasonHandlerPanic (the client gets a DISCONNECT), the
// panic is reported and counted, and another client is served as before.
func TestHandlerPanicContained(t *testing.T) {
	for _, tc := range []struct {
		name    string
		http    bool
		workers int
	}{{"loop", false, 0}, {"net/http", true, 0}, {"workers", false, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			reported := make(chan any, 8)
			srv := sio.NewServer(&sio.Options{Workers: tc.workers, Logger: quiet, OnPanic: func(v any, stack []byte) {
				if len(stack) == 0 {
					t.Error("no stack")
				}
				reported <- v
			}})
			reasons := make(chan string, 8)
			srv.Use(func(s *sio.Socket, next func(error)) {
				if s.Handshake().Query().Get("mw") == "panic-async" {
					go next(nil) // the connection handler then runs here
					return
				}
				next(nil)
			})
			srv.OnConnection(func(s *sio.Socket) {
				if s.Handshake().Query().Get("mw") == "panic-async" {
					panic("connection handler panic")
				}
				s.On("boom", func(e *sio.Event) { panic("event handler panic") })
				s.On("echo", func(e *sio.Event) { _ = e.Ack(sio.RawJSON(e.Raw(0))) })
				s.OnDisconnect(func(reason string) {
					reasons <- reason
					if reason == sio.ReasonHandlerPanic {
						panic("disconnect handler panic too")
					}
				})
			})
			var url string
			if tc.http {
				hs := httptest.NewServer(srv)
				defer hs.Close()
				defer srv.Close()
				url = hs.URL
			} else {
				url = serveLoop(t, srv)
			}
			good := dial(url, nil)
			defer good.Manager().Close()
			bad := dial(url, nil)
			defer bad.Manager().Close()
			gone := make(chan string, 1)
			bad.OnDisconnect(func(ev *client.DisconnectEvent) { gone <- ev.Reason })
			_ = bad.Emit("boom")
			select {
			case r := <-gone:
				if r != "io server disconnect" {
					t.Errorf("client saw %q, want io server disconnect", r)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the panicking socket was not disconnected")
			}
			if r := <-reasons; r != sio.ReasonHandlerPanic {
				t.Errorf("server-side reason %q", r)
			}
			for _, want := range []string{"event handler panic", "disconnect handler panic too"} {
				select {
				case v := <-reported:
					if v != want {
						t.Errorf("reported %v, want %v", v, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("%q not reported", want)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if res, err := good.EmitWithAck(ctx, "echo", "still here"); err != nil {
				t.Fatalf("the other client: %v", err)
			} else if v, _ := res.String(0); v != "still here" {
				t.Fatalf("the other client got %q", v)
			}
			// A connection handler run from a middleware's own goroutine.
			async, err := client.New(url, &client.Options{Query: map[string][]string{"mw": {"panic-async"}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer async.Manager().Close()
			asyncGone := make(chan struct{}, 1)
			async.OnDisconnect(func(*client.DisconnectEvent) { asyncGone <- struct{}{} })
			async.Connect()
			select {
			case v := <-reported:
				if v != "connection handler panic" {
					t.Errorf("reported %v", v)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the connection handler's panic was not reported")
			}
			select {
			case <-asyncGone:
			case <-time.After(5 * time.Second):
				t.Fatal("the socket whose connection handler panicked was not disconnected")
			}
			if n := srv.PanicCount(); n != 3 {
				t.Errorf("PanicCount %d, want 3", n)
			}
		})
	}
}

// A panic in an ack callback that times out runs on the timer goroutine:
// reported, and the timers go on.
func TestAckTimeoutCallbackPanic(t *testing.T) {
	var n atomic.Int64
	srv := sio.NewServer(&sio.Options{Logger: quiet, OnPanic: func(any, []byte) { n.Add(1) }})
	fired := make(chan error, 2)
	srv.OnConnection(func(s *sio.Socket) {
		_ = s.Timeout(50*time.Millisecond).Emit("never-answered", sio.AckFunc(func(_ *sio.Args, err error) {
			panic(err)
		}))
		_ = s.Timeout(100*time.Millisecond).Emit("never-answered", sio.AckFunc(func(_ *sio.Args, err error) {
			fired <- err
		}))
	})
	c := dial(serveLoop(t, srv), nil)
	defer c.Manager().Close()
	select {
	case err := <-fired:
		if !errors.Is(err, sio.ErrAckTimeout) {
			t.Fatalf("second callback: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the timer stopped after a callback panicked")
	}
	if n.Load() != 1 {
		t.Fatalf("%d panics reported, want 1", n.Load())
	}
}
