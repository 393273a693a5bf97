package sio_test

import (
	"testing"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/sio"
)

// The io.* shortcuts act on the main namespace, and Socket.Send emits
// "message", as in Node.
func TestServerShortcutsAndSend(t *testing.T) {
	srv := sio.NewServer(nil)
	joined := make(chan *sio.Socket, 1)
	srv.OnConnection(func(s *sio.Socket) { joined <- s })
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	defer func() { _ = srv.Shutdown(t.Context()); <-done }()
	c, err := client.New("http://"+srv.Addr().String(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect()
	got := make(chan string, 1)
	c.On("message", func(e *client.Event) { m, _ := e.String(0); got <- m })
	c.Connect()
	s := <-joined
	if l, err := srv.FetchSockets(t.Context()); len(l) != 1 || l[0].Local() != s || l[0].ID != s.ID() || err != nil {
		t.Fatalf("FetchSockets: %v %v", l, err)
	}
	srv.SocketsJoin("r")
	if !s.InRoom("r") {
		t.Fatal("SocketsJoin did not join")
	}
	srv.SocketsLeave("r")
	if s.InRoom("r") {
		t.Fatal("SocketsLeave did not leave")
	}
	if err := s.Send("hi"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "hi" {
			t.Fatalf("message %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message event")
	}
	srv.DisconnectSockets(false)
	deadline := time.Now().Add(5 * time.Second)
	for s.Connected() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.Connected() {
		t.Fatal("DisconnectSockets left the socket connected")
	}
}
