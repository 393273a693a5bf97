package sio_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/sio"
)

// TestBroadcastOrderAndSizes mixes broadcasts (small frames copied into
// each connection's buffer, large ones shared by reference) with direct
// emits from the same goroutine, to WebSocket, upgraded and polling
// clients: each client must get every message once, whole, in order.
func TestBroadcastOrderAndSizes(t *testing.T) {
	srv := sio.NewServer(nil)
	var mu sync.Mutex
	var socks []*sio.Socket
	joined := make(chan struct{}, 16)
	srv.OnConnection(func(s *sio.Socket) {
		mu.Lock()
		socks = append(socks, s)
		mu.Unlock()
		joined <- struct{}{}
	})
	url, stop := serve(srv)
	defer stop()

	const n, msgs = 6, 240
	payload := func(i int) string {
		if i%2 == 0 {
			return strings.Repeat(string(rune('a'+i%26)), 10_000+i) // shared by reference
		}
		return strings.Repeat("s", i) // copied
	}
	type rec struct {
		mu   sync.Mutex
		got  []int
		errs []string
		done chan struct{}
	}
	recs := make([]*rec, n)
	for k := range n {
		o := &client.Options{}
		switch k % 3 {
		case 0:
			o.Transports = []string{"websocket"}
		case 1:
			o.Transports = []string{"polling"}
		} // case 2: polling upgraded to WebSocket
		cl, err := client.New(url, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Disconnect()
		r := &rec{done: make(chan struct{})}
		recs[k] = r
		cl.On("m", func(e *client.Event) {
			var i int
			if err := e.Decode(0, &i); err != nil {
				t.Error(err)
				return
			}
			p, _ := e.String(1)
			r.mu.Lock()
			defer r.mu.Unlock()
			if p != payload(i) {
				r.errs = append(r.errs, fmt.Sprintf("message %d: payload of %d bytes, want %d", i, len(p), len(payload(i))))
			}
			r.got = append(r.got, i)
			if len(r.got) == msgs {
				close(r.done)
			}
		})
		cl.Connect()
		select {
		case <-joined:
		case <-time.After(10 * time.Second):
			t.Fatal("client did not connect")
		}
	}
	time.Sleep(300 * time.Millisecond) // let the upgrades happen (or not) mid-stream

	for i := range msgs {
		if i%3 == 0 {
			for _, s := range socks {
				if err := s.Emit("m", i, payload(i)); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		if err := srv.Emit("m", i, payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	for k, r := range recs {
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			r.mu.Lock()
			t.Fatalf("client %d got %d of %d messages", k, len(r.got), msgs)
		}
		r.mu.Lock()
		for i, v := range r.got {
			if v != i {
				t.Fatalf("client %d: message %d arrived at position %d", k, v, i)
			}
		}
		for _, e := range r.errs {
			t.Errorf("client %d: %s", k, e)
		}
		r.mu.Unlock()
	}
}
