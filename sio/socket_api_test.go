package sio_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

func serveLoop(t *testing.T, srv *sio.Server) string {
	t.Helper()
	ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1,
		Routes: []loop.Route{{Prefix: srv.Path(), Server: srv.Engine()}}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ls.Serve() }()
	<-ls.Ready()
	t.Cleanup(func() { srv.Close(); _ = ls.Shutdown(context.Background()) })
	return "http://" + ls.Addr().String()
}

// Once, OnError (a packet middleware's refusal), Compress, OnNewNamespace
// and eio's GenerateID, as Node's socket.once, the socket "error" event,
// socket.compress, "new_namespace" and engine.generateId.
func TestSocketAPIParity(t *testing.T) {
	var ids atomic.Int64
	srv := sio.NewServer(&sio.Options{EIO: eio.Options{GenerateID: func(*eio.Request) string {
		return "custom-" + string(rune('a'+ids.Add(1)))
	}}})
	var mu sync.Mutex
	var onceCalls, onCalls int
	var errs []string
	var created []string
	srv.OnNewNamespace(func(n *sio.Namespace) {
		mu.Lock()
		created = append(created, n.Name())
		mu.Unlock()
	})
	srv.Of("/admin")
	srv.Of("/admin") // exists: no second event
	srv.OfFunc(func(name string, _ []byte) bool { return name == "/dyn" })
	engineIDs := make(chan string, 2)
	srv.OnConnection(func(s *sio.Socket) {
		engineIDs <- s.Session().ID()
		s.Use(func(e *sio.Event) error {
			if e.Name() == "forbidden" {
				return errors.New("not allowed")
			}
			return nil
		})
		s.OnError(func(err error) {
			mu.Lock()
			errs = append(errs, err.Error())
			mu.Unlock()
		})
		s.Once("ping", func(e *sio.Event) {
			mu.Lock()
			onceCalls++
			mu.Unlock()
		})
		s.On("ping", func(e *sio.Event) {
			mu.Lock()
			onCalls++
			mu.Unlock()
			_ = e.Ack("pong")
		})
		s.On("compressed", func(e *sio.Event) { _ = s.Compress(false).Emit("plain", 1) })
	})
	url := serveLoop(t, srv)
	c := dial(url, nil)
	defer c.Manager().Close()
	if id := <-engineIDs; id != "custom-b" {
		t.Errorf("engine id %q, want custom-b (GenerateID)", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if _, err := c.EmitWithAck(ctx, "ping"); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Emit("forbidden")
	got := make(chan struct{})
	c.On("plain", func(*client.Event) { close(got) })
	_ = c.Emit("compressed")
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("Compress(false).Emit did not arrive")
	}
	dyn, err := client.New(url+"/dyn", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	connected := make(chan struct{})
	dyn.OnConnect(func(*client.ConnectEvent) { close(connected) })
	dyn.Connect()
	defer dyn.Manager().Close()
	select {
	case <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("/dyn did not connect")
	}
	mu.Lock()
	defer mu.Unlock()
	if onceCalls != 1 || onCalls != 3 {
		t.Errorf("Once handler ran %d times, On %d, want 1 and 3", onceCalls, onCalls)
	}
	if len(errs) != 1 || errs[0] != "not allowed" {
		t.Errorf("OnError got %q, want [not allowed]", errs)
	}
	if len(created) != 2 || created[0] != "/admin" || created[1] != "/dyn" {
		t.Errorf("OnNewNamespace saw %q, want [/admin /dyn]", created)
	}
}

// A connection may join at most MaxNamespaces namespaces; the next CONNECT
// gets a CONNECT_ERROR and the others stay.
func TestMaxNamespaces(t *testing.T) {
	srv := sio.NewServer(&sio.Options{MaxNamespaces: 2})
	srv.OfFunc(func(string, []byte) bool { return true })
	url := serveLoop(t, srv)
	m, err := client.NewManager(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	results := make(chan string, 3)
	for _, nsp := range []string{"/a", "/b", "/c"} {
		s, err := m.Socket(nsp, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.OnConnect(func(*client.ConnectEvent) { results <- nsp + " ok" })
		s.OnConnectError(func(e *client.ConnectError) { results <- nsp + " " + e.Message })
		s.Connect()
		select {
		case r := <-results:
			want := nsp + " ok"
			if nsp == "/c" {
				want = "/c Too many namespaces"
			}
			if r != want {
				t.Fatalf("%q, want %q", r, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no answer", nsp)
		}
	}
}
