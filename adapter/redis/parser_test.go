package redis_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/sioloop/sioloop/adapter/redis"
	sioclient "github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/sio"
)

// TestMixedParsersAcrossNodes: node A with the default parser, node B with
// sio.ParserMsgpack, one cluster: broadcasts (binary ones included) cross
// in both directions, each node writing them in its own clients' format.
func TestMixedParsersAcrossNodes(t *testing.T) {
	key := "sioloop-test-" + fmt.Sprint(time.Now().UnixNano())
	a := node(t, key)
	b, _ := nodeOpts(t, &sio.Options{Adapter: redis.New(redisClient(t), &redis.Options{Key: key}), Parser: sio.ParserMsgpack})

	got := make(chan *sioclient.Event, 8)
	s, err := sioclient.New("http://"+b, &sioclient.Options{Transports: []string{sioclient.TransportWebSocket}, NoReconnection: true,
		Parser: sioclient.ParserMsgpack}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Manager().Close()
	connected := make(chan struct{})
	s.OnConnect(func(*sioclient.ConnectEvent) { close(connected) })
	s.On("msg", func(e *sioclient.Event) { got <- e })
	s.Connect()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the msgpack client did not connect")
	}
	a1 := dial(t, a)
	time.Sleep(100 * time.Millisecond) // the subscriptions are up

	next := func() *sioclient.Event {
		t.Helper()
		select {
		case e := <-got:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no msg on the msgpack client")
			return nil
		}
	}
	// A (default parser) → B (msgpack): text and binary.
	a1.send(`42["bcast","hi"]`)
	if p := a1.read(); p != `42["msg","hi"]` {
		t.Fatalf("bcast on A: %q", p)
	}
	if e := next(); string(e.Raw(0)) != `"hi"` {
		t.Fatalf("bcast on B: %s", e.Raw(0))
	}
	a1.send(`42["bin"]`)
	_, _ = a1.read(), a1.read()
	if e := next(); !bytes.Equal(e.Bytes(0), []byte{1, 2, 3}) {
		t.Fatalf("binary bcast on B: %s %x", e.Raw(0), e.Attachments())
	}
	// B (msgpack) → A (default parser), a binary argument relayed.
	if err := s.Emit("bcast", []byte{9}, "x"); err != nil {
		t.Fatal(err)
	}
	if p := a1.read(); p != `451-["msg",{"_placeholder":true,"num":0},"x"]` {
		t.Fatalf("bcast from B on A: %q", p)
	}
	if p := a1.read(); p != "bin:\x09" {
		t.Fatalf("attachment on A: %q", p)
	}
	if e := next(); !bytes.Equal(e.Bytes(0), []byte{9}) || string(e.Raw(1)) != `"x"` {
		t.Fatalf("bcast from B on B: %s", e.Raw(0))
	}
}
