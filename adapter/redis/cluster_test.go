package redis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/sio"
)

// clusterNode starts a Go node running the cluster operations of
// interop/node/sio-redis-node.js (the same events, the same answers), so
// that one scenario runs against Go and Node.js nodes alike.
func clusterNode(t *testing.T, key string, mode ...string) string {
	t.Helper()
	o := redis.Options{Key: key, RequestsTimeout: 3 * time.Second}
	adapter := redis.New(redisClient(t), &o)
	if len(mode) > 0 {
		adapter = redis.NewSharded(redisClient(t), &redis.ShardedOptions{Options: o, SubscriptionMode: mode[0]})
	}
	srv := sio.NewServer(&sio.Options{Adapter: adapter})
	ctx := context.Background()
	names := func(l []*sio.RemoteSocket) []string {
		out := []string{}
		for _, s := range l {
			if m, ok := s.Data.(map[string]any); ok {
				out = append(out, fmt.Sprint(m["name"]))
			}
		}
		slices.Sort(out)
		return out
	}
	in := func(e *sio.Event, i int) *sio.BroadcastOperator {
		if room, ok := e.String(i); ok {
			return srv.In(room)
		}
		return srv.Sockets().In()
	}
	nsp := srv.Sockets()
	nsp.OnServerSideEmit("hello", func(e *sio.ServerSideEvent) {
		arg, _ := e.String(0)
		_ = srv.Local().Emit("got", arg)
	})
	nsp.OnServerSideEmit("ping", func(e *sio.ServerSideEvent) {
		arg, _ := e.String(0)
		_ = e.Ack("pong-" + arg)
	})
	srv.OnConnection(func(s *sio.Socket) {
		name := s.Handshake().Query().Get("name")
		s.Data = map[string]any{"name": name}
		s.Join("n:" + name)
		s.On("count", func(e *sio.Event) {
			ack := e.Acker()
			go func() { n, _ := nsp.ServerCount(ctx); _ = ack(n) }()
		})
		s.On("fetch", func(e *sio.Event) {
			op, ack := in(e, 0), e.Acker()
			go func() {
				l, err := op.FetchSockets(ctx)
				if err != nil {
					_ = ack(err.Error())
					return
				}
				_ = ack(names(l))
			}()
		})
		s.On("sjoin", func(e *sio.Event) {
			room, _ := e.String(1)
			in(e, 0).SocketsJoin(room)
			_ = e.Ack("ok")
		})
		s.On("sleave", func(e *sio.Event) {
			room, _ := e.String(1)
			in(e, 0).SocketsLeave(room)
			_ = e.Ack("ok")
		})
		s.On("skick", func(e *sio.Event) {
			in(e, 0).DisconnectSockets(false)
			_ = e.Ack("ok")
		})
		s.On("remote", func(e *sio.Event) {
			op, ack := in(e, 0), e.Acker()
			go func() {
				l, _ := op.FetchSockets(ctx)
				for _, r := range l {
					_ = r.Emit("msg", "direct")
					r.Join("rj")
				}
				_ = ack("ok")
			}()
		})
		s.On("toroom", func(e *sio.Event) {
			room, _ := e.String(0)
			msg, _ := e.String(1)
			_ = srv.To(room).Emit("msg", msg)
		})
		s.On("bin", func(e *sio.Event) { _ = srv.Emit("msg", sio.Binary([]byte{1, 2, 3})) })
		s.On("bcast", func(e *sio.Event) { _ = srv.Emit("msg", &e.Args) })
		s.On("join", func(e *sio.Event) {
			room, _ := e.String(0)
			s.Join(room)
			_ = e.Ack("ok")
		})
		s.On("sse", func(e *sio.Event) {
			arg, _ := e.String(0)
			_ = srv.ServerSideEmit("hello", arg)
		})
		s.On("sseack", func(e *sio.Event) {
			arg, _ := e.String(0)
			ack := e.Acker()
			go func() {
				res, err := nsp.ServerSideEmitWithAck(ctx, "ping", arg)
				if err != nil {
					_ = ack(err.Error())
					return
				}
				out := []string{}
				for _, r := range res {
					v, _ := r.String(0)
					out = append(out, v)
				}
				_ = ack(out)
			}()
		})
		s.On("ackall", func(e *sio.Event) {
			ack := e.Acker()
			_ = in(e, 0).Timeout(3*time.Second).Emit("q", sio.MultiAckFunc(func(res []*sio.Args, err error) {
				if err != nil {
					_ = ack("timeout")
					return
				}
				out := []string{}
				for _, r := range res {
					v, _ := r.String(0)
					out = append(out, v)
				}
				slices.Sort(out)
				_ = ack(out)
			}))
		})
	})
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()); <-done })
	return srv.Addr().String()
}

// call sends event args with an ack id and returns the ack's payload.
func (c *client) call(id int, args string) string {
	c.t.Helper()
	c.send(fmt.Sprintf("42%d[%s]", id, args))
	want := fmt.Sprintf("43%d", id)
	p := c.read()
	if !strings.HasPrefix(p, want) {
		c.t.Fatalf("call %s: got %q, want the ack %s", args, p, want)
	}
	return p[len(want):]
}

// answerQ reads the broadcast "q" with its ack id and answers it.
func (c *client) answerQ(answer string) {
	c.t.Helper()
	p := c.read()
	id, rest, ok := strings.Cut(strings.TrimPrefix(p, "42"), "[")
	if !ok || rest != `"q"]` || id == "" {
		c.t.Fatalf("want q with an ack id, got %q", p)
	}
	c.send(fmt.Sprintf(`43%s["%s"]`, id, answer))
}

// clusterOps runs every cluster operation from a socket of node actor
// against sockets of node other.
func clusterOps(t *testing.T, actor, other string) {
	a := dialQ(t, actor, "name=a1")
	o1, o2 := dialQ(t, other, "name=o1"), dialQ(t, other, "name=o2")
	time.Sleep(100 * time.Millisecond)
	id := 0
	call := func(c *client, args string) string { id++; return c.call(id, args) }

	if got := call(a, `"count"`); got != `[2]` {
		t.Fatalf("server count: %s", got)
	}
	if got := call(a, `"fetch"`); got != `[["a1","o1","o2"]]` {
		t.Fatalf("fetchSockets: %s", got)
	}
	if got := call(a, `"sjoin","n:o1","r1"`); got != `["ok"]` {
		t.Fatalf("socketsJoin: %s", got)
	}
	if got := call(a, `"fetch","r1"`); got != `[["o1"]]` {
		t.Fatalf("fetchSockets after socketsJoin: %s", got)
	}
	a.send(`42["toroom","r1","hi r1"]`)
	if p := o1.read(); p != `42["msg","hi r1"]` {
		t.Fatalf("to the joined room: %q", p)
	}
	if got := call(a, `"sleave","n:o1","r1"`); got != `["ok"]` {
		t.Fatalf("socketsLeave: %s", got)
	}
	if got := call(a, `"fetch","r1"`); got != `[[]]` {
		t.Fatalf("fetchSockets after socketsLeave: %s", got)
	}
	a.send(`42["bin"]`)
	for _, c := range []*client{a, o1, o2} {
		if p := c.read(); p != `451-["msg",{"_placeholder":true,"num":0}]` {
			t.Fatalf("binary broadcast: %q", p)
		}
		if p := c.read(); p != "bin:\x01\x02\x03" {
			t.Fatalf("binary broadcast, attachment: %q", p)
		}
	}
	a.send(`42["sse","x"]`)
	for _, c := range []*client{o1, o2} {
		if p := c.read(); p != `42["got","x"]` {
			t.Fatalf("serverSideEmit: %q", p)
		}
	}
	if got := call(a, `"sseack","y"`); got != `[["pong-y"]]` {
		t.Fatalf("serverSideEmitWithAck: %s", got)
	}

	// A broadcast with acks: every socket of both nodes answers.
	id++
	a.send(fmt.Sprintf(`42%d["ackall"]`, id))
	a.answerQ("a1")
	o1.answerQ("o1")
	o2.answerQ("o2")
	if p := a.read(); p != fmt.Sprintf(`43%d[["a1","o1","o2"]]`, id) {
		t.Fatalf("broadcast with acks: %q", p)
	}
	// To a room of the other node only: this node counts 0 recipients.
	id++
	a.send(fmt.Sprintf(`42%d["ackall","n:o2"]`, id))
	o2.answerQ("o2 only")
	if p := a.read(); p != fmt.Sprintf(`43%d[["o2 only"]]`, id) {
		t.Fatalf("broadcast with acks to a remote room: %q", p)
	}
	// To an empty room: every node counts 0, done at once.
	if got := call(a, `"ackall","nobody"`); got != `[[]]` {
		t.Fatalf("broadcast with acks to nobody: %s", got)
	}

	// RemoteSocket: emit and join on a socket of the other node.
	if got := call(a, `"remote","n:o2"`); got != `["ok"]` {
		t.Fatalf("remote socket: %s", got)
	}
	if p := o2.read(); p != `42["msg","direct"]` {
		t.Fatalf("RemoteSocket.emit: %q", p)
	}
	if got := call(a, `"fetch","rj"`); got != `[["o2"]]` {
		t.Fatalf("RemoteSocket.join: %s", got)
	}
	if got := call(a, `"skick","n:o2"`); got != `["ok"]` {
		t.Fatalf("disconnectSockets: %s", got)
	}
	if p := o2.read(); p != `41` {
		t.Fatalf("disconnectSockets on the other node: %q", p)
	}
	if got := call(a, `"fetch"`); got != `[["a1","o1"]]` {
		t.Fatalf("fetchSockets after disconnectSockets: %s", got)
	}
	o1.none()
}

// Every cluster operation between two Go nodes.
func TestClusterGoGo(t *testing.T) {
	key := "sioloop-ops-" + fmt.Sprint(time.Now().UnixNano())
	clusterOps(t, clusterNode(t, key), clusterNode(t, key))
}

// Every cluster operation between a Go node and a Node.js node, in both
// directions: asked by Go and answered by Node.js, and the reverse.
func TestClusterGoNode(t *testing.T) {
	for _, dir := range []string{"go→node", "node→go"} {
		t.Run(dir, func(t *testing.T) {
			key := "sioloop-mixed-ops-" + fmt.Sprint(time.Now().UnixNano())
			g, n := clusterNode(t, key), nodeNode(t, key)
			if dir == "go→node" {
				clusterOps(t, g, n)
			} else {
				clusterOps(t, n, g)
			}
		})
	}
}

// The sharded adapter (SPUBLISH/SSUBSCRIBE), in each subscription mode:
// every cluster operation between two Go nodes, and between a Go node and
// a Node.js node with createShardedAdapter, both directions.
func TestClusterSharded(t *testing.T) {
	for _, mode := range []string{redis.Dynamic, redis.DynamicPrivate, redis.Static} {
		t.Run(mode, func(t *testing.T) {
			for _, dir := range []string{"go→go", "go→node", "node→go"} {
				t.Run(dir, func(t *testing.T) {
					key := "sioloop-sharded-" + fmt.Sprint(time.Now().UnixNano())
					g := clusterNode(t, key, mode)
					switch dir {
					case "go→go":
						clusterOps(t, g, clusterNode(t, key, mode))
					case "go→node":
						clusterOps(t, g, nodeNode(t, key, "sharded:"+mode))
					default:
						clusterOps(t, nodeNode(t, key, "sharded:"+mode), g)
					}
				})
			}
		})
	}
}

// The official socket.io-client 4.8 on both nodes (WebSocket and
// long-polling upgraded): broadcasts with binary from each node, a room
// joined on one node reached from the other, a broadcast with acks,
// fetchSockets and a server-side emit, for Go + Go and Go + Node.js
// clusters, classic and sharded (interop/node/sio-cluster-clients.js).
func TestClusterOfficialClients(t *testing.T) {
	script, _ := filepath.Abs("../../interop/node/sio-cluster-clients.js")
	for _, sharded := range []bool{false, true} {
		for _, pair := range []string{"go+go", "go+node", "node+go"} {
			t.Run(fmt.Sprintf("%s sharded=%v", pair, sharded), func(t *testing.T) {
				key := "sioloop-official-" + fmt.Sprint(time.Now().UnixNano())
				start := func(kind string) string {
					switch {
					case kind == "go" && sharded:
						return clusterNode(t, key, redis.Dynamic)
					case kind == "go":
						return clusterNode(t, key)
					case sharded:
						return nodeNode(t, key, "sharded")
					}
					return nodeNode(t, key)
				}
				kinds := strings.Split(pair, "+")
				a, b := start(kinds[0]), start(kinds[1])
				arg, _ := json.Marshal(map[string]string{"a": "http://" + a, "b": "http://" + b})
				cmd := exec.Command("node", script, string(arg))
				cmd.Dir = filepath.Dir(script)
				cmd.Stderr = os.Stderr
				out, err := cmd.Output()
				if err != nil || !strings.Contains(string(out), `"ok":true`) {
					t.Fatalf("official clients: %s %v", out, err)
				}
			})
		}
	}
}
