package client

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHeartbeat(t *testing.T) {
	// A short heartbeat: the connections survive several pings only if the
	// client answers them in time.
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{PingInterval: 150, PingTimeout: 600})
		var wg sync.WaitGroup
		for _, tr := range []string{TransportPolling, TransportWebSocket} {
			s, r := newSocket(t, url, "/", &Options{Transports: []string{tr}}, nil)
			pings := make(chan *PingEvent, 64)
			s.Manager().OnPing(func(e *PingEvent) { pings <- e })
			s.Connect()
			r.waitConnect()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 4 {
					recv(t, pings, tr+" ping")
				}
				select {
				case d := <-r.disc:
					t.Errorf("%s: disconnected: %s", tr, d.Reason)
				default:
				}
			}()
		}
		wg.Wait()
	})
}

func TestMaxPayloadPolling(t *testing.T) {
	// The server accepts at most 2000 bytes per request: a burst of emits
	// must leave in several POSTs.
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{MaxPayload: 2000})
		s, r := newSocket(t, url, "/", &Options{Transports: []string{TransportPolling}}, nil)
		s.Connect()
		r.waitConnect()
		const n = 20
		for i := range n {
			_ = s.Emit("echo", fmt.Sprintf("%02d%s", i, strings.Repeat("x", 300)))
		}
		for i := range n {
			e := r.waitEvent("echo-back")
			if v, _ := e.String(0); !strings.HasPrefix(v, fmt.Sprintf("%02d", i)) {
				t.Fatalf("echo %d: %.5q", i, v)
			}
		}
		select {
		case d := <-r.disc:
			t.Fatalf("disconnected: %s", d.Reason)
		default:
		}
	})
}

func TestOrderAcrossUpgrade(t *testing.T) {
	// Emits made while the connection upgrades arrive once, in order.
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})
		s, r := newSocket(t, url, "/", nil, nil)
		upgraded := make(chan *UpgradeEvent, 1)
		s.Manager().OnUpgrade(func(e *UpgradeEvent) { upgraded <- e })
		const n = 200
		go func() {
			for i := range n {
				_ = s.Emit("echo", i)
				if i%20 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
		s.Connect()
		r.waitConnect()
		for i := range n {
			e := r.waitEvent("echo-back")
			if string(e.Raw(0)) != fmt.Sprint(i) {
				t.Fatalf("echo %d: got %s", i, e.Raw(0))
			}
		}
		if u := recv(t, upgraded, "upgrade"); u.Transport != TransportWebSocket {
			t.Fatalf("upgraded to %q", u.Transport)
		}
	})
}

func TestConcurrentEmitsAcrossDrop(t *testing.T) {
	// Every acknowledgement callback runs exactly once, whether the ack
	// arrives, the packet is lost with the connection (ErrDisconnected) or
	// waits in the send buffer and goes out after the reconnection.
	// WebSocket only: a drop during the polling → WebSocket upgrade hits a
	// server bug of ours (the upgrade completes on a closing session, which
	// then never closes).
	o := quickReconnect
	o.Transports = []string{TransportWebSocket}
	url := serverURL(t, "ours", serverConfig{})
	s, r := newSocket(t, url, "/", &o, &SocketOptions{AckTimeout: waitTimeout})
	s.Connect()
	r.waitConnect()
	const workers, per = 4, 40
	var mu sync.Mutex
	calls := make(map[string]int)
	var done sync.WaitGroup
	done.Add(workers * per)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				key := fmt.Sprintf("%d-%d", w, i)
				err := s.Emit("echo-ack", key, AckFunc(func(res *Args, err error) {
					mu.Lock()
					calls[key]++
					mu.Unlock()
					if err == nil {
						if v, _ := res.String(0); v != key {
							t.Errorf("ack for %s answered %q", key, v)
						}
					}
					done.Done()
				}))
				if err != nil {
					t.Error(err)
				}
				if i == per/2 && w == 0 {
					_ = s.Emit("drop")
				}
			}
		}()
	}
	wg.Wait()
	ch := make(chan struct{})
	go func() { done.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(waitTimeout + 2*time.Second):
		mu.Lock()
		for w := range workers {
			for i := range per {
				if k := fmt.Sprintf("%d-%d", w, i); calls[k] == 0 {
					t.Errorf("no callback for %s", k)
				}
			}
		}
		mu.Unlock()
		t.Fatal("timeout")
	}
	mu.Lock()
	defer mu.Unlock()
	for k, n := range calls {
		if n != 1 {
			t.Errorf("callback of %s ran %d times", k, n)
		}
	}
}
