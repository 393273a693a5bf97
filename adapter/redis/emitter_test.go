package redis_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/sio"
)

// emitterChecks reads what the emitter scripts send on the sockets o1 and
// o2 of one node and a1 of another, then checks the join with a fetch.
func emitterChecks(t *testing.T, a, o1, o2 *client, first string) {
	t.Helper()
	for _, c := range []*client{a, o1, o2} {
		if p := c.read(); p != `451-["msg","`+first+`",{"_placeholder":true,"num":0}]` {
			t.Fatalf("emit to all: %q", p)
		}
		if p := c.read(); p != "bin:\x01\x02\x03" {
			t.Fatalf("emit to all, attachment: %q", p)
		}
	}
	if p := o1.read(); p != `42["msg","to o1"]` {
		t.Fatalf("emit to a room: %q", p)
	}
	for _, c := range []*client{a, o1, o2} {
		if p := c.read(); p != `42["got","e"]` {
			t.Fatalf("serverSideEmit: %q", p)
		}
	}
	if got := a.call(1, `"fetch","ej"`); got != `[["o2"]]` {
		t.Fatalf("socketsJoin: %s", got)
	}
	o2.none()
}

// Our emitter publishes into a Go node and a Node.js node at once; the
// Node.js emitter publishes into a Go node (and a Node.js one).
func TestEmitter(t *testing.T) {
	for _, from := range []string{"go", "node"} {
		t.Run("from "+from, func(t *testing.T) {
			key := "sioloop-emitter-" + fmt.Sprint(time.Now().UnixNano())
			g, n := clusterNode(t, key), nodeNode(t, key)
			if from == "node" { // the Go node is the one to check most
				g, n = n, g
			}
			a := dialQ(t, g, "name=a1")
			o1, o2 := dialQ(t, n, "name=o1"), dialQ(t, n, "name=o2")
			time.Sleep(100 * time.Millisecond)
			if from == "go" {
				ctx := context.Background()
				e := redis.NewEmitter(redisClient(t), key)
				must := func(err error) {
					t.Helper()
					if err != nil {
						t.Fatal(err)
					}
				}
				must(e.Emit(ctx, "msg", "from go emitter", sio.Binary([]byte{1, 2, 3})))
				must(e.To("n:o1").Emit(ctx, "msg", "to o1"))
				must(e.In("n:o2").SocketsJoin(ctx, "ej"))
				must(e.ServerSideEmit(ctx, "hello", "e"))
				if err := e.Emit(ctx, "disconnect"); err == nil {
					t.Fatal("a reserved event name was published")
				}
				emitterChecks(t, a, o1, o2, "from go emitter")
				must(e.In("n:o1").DisconnectSockets(ctx, false))
				if p := o1.read(); p != "41" {
					t.Fatalf("disconnectSockets: %q", p)
				}
				return
			}
			script, _ := filepath.Abs("../../interop/node/sio-redis-emitter.js")
			cmd := exec.Command("node", script, "redis://"+redisAddr, key)
			cmd.Dir = filepath.Dir(script)
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil || strings.TrimSpace(string(out)) != "done" {
				t.Fatalf("Node.js emitter: %q %v", out, err)
			}
			emitterChecks(t, a, o1, o2, "from node emitter")
		})
	}
}
