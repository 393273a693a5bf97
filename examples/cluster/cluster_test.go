package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/client"
)

// Three nodes behind the proxy, classic and sharded: long-polling clients
// (every request must reach the session's node) and WebSocket ones land
// on different nodes, and a message said on one node reaches all of them.
func TestCluster(t *testing.T) {
	for _, sharded := range []bool{false, true} {
		t.Run(fmt.Sprint("sharded=", sharded), func(t *testing.T) {
			rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
			defer rdb.Close()
			if err := rdb.Ping(t.Context()).Err(); err != nil {
				t.Fatalf("Redis at 127.0.0.1:6379: %v (make test starts one)", err)
			}
			c, err := start(rdb, 3, sharded, fmt.Sprint("sioloop-example-", time.Now().UnixNano()), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.stop()
			hs := httptest.NewServer(c.proxy)
			defer hs.Close()

			said := make(chan string, 16)
			nodes := map[string]bool{}
			var socks []*client.Socket
			for i, tr := range []string{client.TransportPolling, client.TransportPolling, client.TransportWebSocket} {
				s, err := client.New(hs.URL, &client.Options{Transports: []string{tr}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Manager().Close()
				s.On("said", func(e *client.Event) {
					node, _ := e.String(0)
					msg, _ := e.String(1)
					said <- fmt.Sprintf("%d got %q from %s", i, msg, node)
				})
				s.Connect()
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				res, err := s.EmitWithAck(ctx, "whoami")
				cancel()
				if err != nil {
					t.Fatalf("client %d (%s): %v", i, tr, err)
				}
				node, _ := res.String(0)
				nodes[node] = true
				socks = append(socks, s)
			}
			if len(nodes) != 3 {
				t.Fatalf("clients on nodes %v, want three different ones", nodes)
			}
			time.Sleep(100 * time.Millisecond)
			// Many polling round trips after the handshake, all on one node.
			for i := 0; i < 3; i++ {
				if err := socks[0].Emit("say", fmt.Sprint("hi ", i)); err != nil {
					t.Fatal(err)
				}
			}
			got := map[string]bool{}
			for len(got) < 9 {
				select {
				case m := <-said:
					got[m] = true
				case <-time.After(5 * time.Second):
					t.Fatalf("only %d of 9 deliveries: %v", len(got), got)
				}
			}
		})
	}
}
