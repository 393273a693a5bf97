package sio_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

// EmitWithAck from a handler on the delivering goroutine must fail at once
// with ErrAckWouldBlock (it could only time out), in both server modes;
// from a goroutine of the handler's own, or on a worker, it gets the answer.
func TestEmitWithAckFromHandler(t *testing.T) {
	for _, tc := range []struct {
		name    string
		workers int
		http    bool
		spawn   bool
		wantErr error
	}{
		{"loop", 0, false, false, sio.ErrAckWouldBlock},
		{"net/http", 0, true, false, sio.ErrAckWouldBlock},
		{"loop/goroutine", 0, false, true, nil},
		{"loop/workers", 2, false, false, nil},
		{"net/http/workers", 2, true, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := sio.NewServer(&sio.Options{Workers: tc.workers})
			defer srv.Close()
			got := make(chan error, 2)
			srv.OnConnection(func(s *sio.Socket) {
				s.On("ask", func(e *sio.Event) {
					ask := func() {
						ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
						defer cancel()
						start := time.Now()
						res, err := s.EmitWithAck(ctx, "q", 1)
						if err == nil {
							if v, _ := res.String(0); v != "a" {
								err = errors.New("wrong answer " + string(res.Raw(0)))
							}
						}
						if errors.Is(err, sio.ErrAckWouldBlock) && time.Since(start) > 100*time.Millisecond {
							err = errors.New("ErrAckWouldBlock only after waiting")
						}
						got <- err
						_, err = srv.Timeout(3*time.Second).EmitWithAck(ctx, "q", 2)
						got <- err
					}
					if tc.spawn {
						go ask()
					} else {
						ask()
					}
				})
			})
			var url string
			if tc.http {
				hs := httptest.NewServer(srv)
				defer hs.Close()
				url = hs.URL
			} else {
				ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1,
					Routes: []loop.Route{{Prefix: srv.Path(), Server: srv.Engine()}}})
				if err != nil {
					t.Fatal(err)
				}
				go func() { _ = ls.Serve() }()
				<-ls.Ready()
				defer func() { _ = ls.Shutdown(context.Background()) }()
				url = "http://" + ls.Addr().String()
			}
			c := dial(url, func(c *client.Socket) {
				c.On("q", func(e *client.Event) { _ = e.Ack("a") })
			})
			defer c.Manager().Close()
			_ = c.Emit("ask")
			for i := 0; i < 2; i++ {
				select {
				case err := <-got:
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("emit %d: %v, want %v", i, err, tc.wantErr)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("emit %d: no result", i)
				}
			}
		})
	}
}
