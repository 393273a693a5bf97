package sio_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

// TestWorkersKeepOrderAndDoNotBlockTheLoop: with Options.Workers, a
// handler that blocks does not hold up other sockets (the loop is free),
// and each socket still sees its events in order.
func TestWorkersKeepOrderAndDoNotBlockTheLoop(t *testing.T) {
	srv := sio.NewServer(&sio.Options{Workers: 4})
	release := make(chan struct{})
	var mu sync.Mutex
	seen := map[string][]int{}
	srv.OnConnection(func(s *sio.Socket) {
		s.On("block", func(e *sio.Event) { <-release })
		s.On("n", func(e *sio.Event) {
			var n int
			_ = e.Decode(0, &n)
			mu.Lock()
			seen[s.ID()] = append(seen[s.ID()], n)
			mu.Unlock()
			_ = e.Ack(n)
		})
	})
	// One event loop: without workers, the blocked handler would stall it.
	ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1,
		Routes: []loop.Route{{Prefix: srv.Path(), Server: srv.Engine()}}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ls.Serve() }()
	<-ls.Ready()
	defer func() { _ = ls.Shutdown(context.Background()) }()
	defer srv.Close()
	url := "http://" + ls.Addr().String()
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock() // runs first: a failing run must not leave the loop stuck

	blocked := dial(url, nil)
	defer blocked.Manager().Close()
	_ = blocked.Emit("block")

	// Another client is served while the first one's handler blocks.
	other := dial(url, nil)
	defer other.Manager().Close()
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 200; i++ {
			if err := other.Timeout(5*time.Second).Emit("n", i); err != nil {
				done <- err
				return
			}
		}
		res, err := other.Timeout(5*time.Second).EmitWithAck(t.Context(), "n", 200)
		if err == nil && res.Len() != 1 {
			err = fmt.Errorf("ack %v", res.RawArgs())
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a blocked handler held up another socket")
	}
	unblock()
	mu.Lock()
	defer mu.Unlock()
	got := seen[other.ID()]
	if len(got) != 201 {
		t.Fatalf("%d events, want 201", len(got))
	}
	for i, n := range got {
		if n != i {
			t.Fatalf("event %d carried %d: order lost", i, n)
		}
	}
}
