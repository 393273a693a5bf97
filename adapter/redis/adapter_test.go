package redis_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/wsframe"
)

// redisAddr is the Redis server of the tests (make test starts one there
// if none answers).
const redisAddr = "127.0.0.1:6379"

func redisClient(t *testing.T) goredis.UniversalClient {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: redisAddr})
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v (make test starts one)", redisAddr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// node starts a Socket.IO server with the Redis adapter under key; its
// "bcast" event broadcasts to everyone, "toroom" [room, msg] to a room,
// "join" [room] joins one, "others" broadcasts to all but the sender.
func node(t *testing.T, key string) string {
	t.Helper()
	addr, _ := nodeWith(t, redis.New(redisClient(t), &redis.Options{Key: key}))
	return addr
}

// nodeWith starts the node of node on an adapter of its own.
func nodeWith(t *testing.T, adapter func(*sio.Namespace) sio.Adapter) (string, *sio.Server) {
	t.Helper()
	return nodeOpts(t, &sio.Options{Adapter: adapter})
}

// nodeOpts is nodeWith with more server options.
func nodeOpts(t *testing.T, o *sio.Options) (string, *sio.Server) {
	t.Helper()
	srv := sio.NewServer(o)
	srv.OnConnection(func(s *sio.Socket) {
		s.On("bcast", func(e *sio.Event) { _ = srv.Emit("msg", &e.Args) })
		s.On("others", func(e *sio.Event) { _ = s.Broadcast().Emit("msg", &e.Args) })
		s.On("join", func(e *sio.Event) {
			room, _ := e.String(0)
			s.Join(room)
			_ = e.Ack("ok")
		})
		s.On("toroom", func(e *sio.Event) {
			room, _ := e.String(0)
			msg, _ := e.String(1)
			_ = srv.To(room).Emit("msg", msg)
		})
		s.On("bin", func(e *sio.Event) { _ = srv.Emit("msg", sio.Binary([]byte{1, 2, 3})) })
	})
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()); <-done })
	return srv.Addr().String(), srv
}

type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client { t.Helper(); return dialQ(t, addr, "") }

// dialQ connects a WebSocket client with query added to the URL.
func dialQ(t *testing.T, addr, query string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprint(c, "GET /socket.io/?EIO=4&transport=websocket&"+query+" HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	cl := &client{t, c, br}
	cl.read() // open
	cl.send("40")
	if p := cl.read(); !strings.HasPrefix(p, "40{") {
		t.Fatalf("connect: %q", p)
	}
	return cl
}

func (c *client) send(p string) {
	c.c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte(p), [4]byte{1, 2, 3, 4}))
}

// read returns the next text message, skipping pings (answered).
func (c *client) read() string {
	c.t.Helper()
	for {
		_ = c.c.SetReadDeadline(time.Now().Add(3 * time.Second))
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		p := make([]byte, h.Length)
		io.ReadFull(c.br, p)
		if h.OpCode == ws.OpBinary {
			return "bin:" + string(bytes.TrimPrefix(p, []byte{4}))
		}
		if string(p) == "2" {
			c.send("3")
			continue
		}
		return string(p)
	}
}

// tryRead returns the next text message if one comes within d (pings
// answered).
func (c *client) tryRead(d time.Duration) (string, bool) {
	for {
		_ = c.c.SetReadDeadline(time.Now().Add(d))
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return "", false
		}
		p := make([]byte, h.Length)
		io.ReadFull(c.br, p)
		if string(p) == "2" {
			c.send("3")
			continue
		}
		return string(p), true
	}
}

// none checks that nothing arrives for a while.
func (c *client) none() {
	c.t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if h, err := ws.ReadHeader(c.br); err == nil {
		p := make([]byte, h.Length)
		io.ReadFull(c.br, p)
		c.t.Fatalf("unexpected message %q", p)
	}
}

// Broadcasts cross nodes through Redis: to all, to a room, to all but the
// sender, with binary data; each reaches every matching socket once.
func TestBroadcastAcrossNodes(t *testing.T) {
	key := "sioloop-test-" + fmt.Sprint(time.Now().UnixNano())
	a, b := node(t, key), node(t, key)
	a1, b1, b2 := dial(t, a), dial(t, b), dial(t, b)
	time.Sleep(100 * time.Millisecond) // the subscriptions are up

	a1.send(`42["bcast","hi"]`)
	for _, c := range []*client{a1, b1, b2} {
		if p := c.read(); p != `42["msg","hi"]` {
			t.Fatalf("bcast: %q", p)
		}
	}
	b1.send(`420["join","r1"]`)
	if p := b1.read(); p != `430["ok"]` {
		t.Fatalf("join: %q", p)
	}
	a1.send(`42["toroom","r1","to r1"]`)
	if p := b1.read(); p != `42["msg","to r1"]` {
		t.Fatalf("toroom: %q", p)
	}
	b2.none()
	a1.none()
	b2.send(`42["others","not you"]`)
	for _, c := range []*client{a1, b1} {
		if p := c.read(); p != `42["msg","not you"]` {
			t.Fatalf("others: %q", p)
		}
	}
	b2.none()
	a1.send(`42["bin"]`)
	for _, c := range []*client{a1, b1, b2} {
		if p := c.read(); p != `451-["msg",{"_placeholder":true,"num":0}]` {
			t.Fatalf("binary: %q", p)
		}
		if p := c.read(); p != "bin:\x01\x02\x03" {
			t.Fatalf("attachment: %q", p)
		}
	}
}

// nodeNode starts interop/node/sio-redis-node.js: a Node.js socket.io 4.8
// node with @socket.io/redis-adapter 8.3 on key, and returns its address.
func nodeNode(t *testing.T, key string, kind ...string) string {
	t.Helper()
	script, _ := filepath.Abs("../../interop/node/sio-redis-node.js")
	if _, err := os.Stat("../../interop/node_modules/@socket.io/redis-adapter/package.json"); err != nil {
		t.Fatalf("the Node.js peer needs the npm packages of interop/ (make npm-deps): %v", err)
	}
	cmd := exec.Command("node", append([]string{script, "redis://" + redisAddr, key}, kind...)...)
	cmd.Dir = filepath.Dir(script)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var hello struct{ Port int }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || json.Unmarshal([]byte(line), &hello) != nil {
		t.Fatalf("Node.js node: %q %v", line, err)
	}
	return fmt.Sprintf("127.0.0.1:%d", hello.Port)
}

// A mixed cluster: one Go node and one Node.js node on the same Redis.
// Broadcasts to all, to a room and to all but the sender cross in both
// directions, binary included, and reach every matching socket once.
func TestMixedClusterWithNode(t *testing.T) {
	key := "sioloop-mixed-" + fmt.Sprint(time.Now().UnixNano())
	goAddr, nodeAddr := node(t, key), nodeNode(t, key)
	g, n1, n2 := dial(t, goAddr), dial(t, nodeAddr), dial(t, nodeAddr)
	time.Sleep(200 * time.Millisecond)

	g.send(`42["bcast","from go",{"x":1.5},[1,2]]`)
	for _, c := range []*client{g, n1, n2} {
		if p := c.read(); p != `42["msg","from go",{"x":1.5},[1,2]]` {
			t.Fatalf("Go → all: %q", p)
		}
	}
	n1.send(`42["bcast","from node"]`)
	for _, c := range []*client{g, n1, n2} {
		if p := c.read(); p != `42["msg","from node"]` {
			t.Fatalf("Node → all: %q", p)
		}
	}
	g.send(`420["join","r"]`)
	if p := g.read(); p != `430["ok"]` {
		t.Fatalf("join: %q", p)
	}
	n2.send(`42["toroom","r","to r"]`)
	if p := g.read(); p != `42["msg","to r"]` {
		t.Fatalf("Node → room on Go: %q", p)
	}
	n1.none()
	n2.none()
	n2.send(`42["others","not n2"]`)
	for _, c := range []*client{g, n1} {
		if p := c.read(); p != `42["msg","not n2"]` {
			t.Fatalf("Node → others: %q", p)
		}
	}
	n2.none()
	g.send(`42["bin"]`)
	for _, c := range []*client{n1, n2} {
		if p := c.read(); p != `451-["msg",{"_placeholder":true,"num":0}]` {
			t.Fatalf("Go binary on Node: %q", p)
		}
		if p := c.read(); p != "bin:\x01\x02\x03" {
			t.Fatalf("attachment on Node: %q", p)
		}
	}
}
