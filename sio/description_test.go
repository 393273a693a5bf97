package sio_test

import (
	"testing"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/sio"
)

// OnDisconnectDescribed gets the error behind a transport error (here a
// WebSocket protocol violation: an unmasked frame) and nil otherwise.
func TestDisconnectDescription(t *testing.T) {
	srv := sio.NewServer(nil)
	type got struct {
		reason string
		desc   error
	}
	out := make(chan got, 2)
	srv.OnConnection(func(s *sio.Socket) {
		s.OnDisconnectDescribed(func(reason string, desc error) { out <- got{reason, desc} })
	})
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	defer func() { _ = srv.Shutdown(t.Context()); <-done }()
	c, _ := hwsOpen(t, srv.Addr().String())
	c.Write([]byte{0x81, 0x02, '4', '1'}) // unmasked
	g := <-out
	if g.reason != "transport error" || g.desc == nil {
		t.Fatalf("unmasked frame: %q %v, want transport error with a description", g.reason, g.desc)
	}
	c2, _ := hwsOpen(t, srv.Addr().String())
	c2.Write(hframe(ws.OpText, []byte("41")))
	g = <-out
	if g.reason != "client namespace disconnect" || g.desc != nil {
		t.Fatalf("client disconnect: %q %v", g.reason, g.desc)
	}
}
