package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/sio"
)

// ownRedis starts a redis-server of the test's own on a free port (one it
// may stop and start again without disturbing other tests) and returns
// its address and a function that (re)starts it.
func ownRedis(t *testing.T) (addr string, start, stop func()) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server: %v (make deps installs it)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	var cmd *exec.Cmd
	start = func() {
		t.Helper()
		cmd = exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("redis-server did not start")
	}
	stop = func() {
		if cmd != nil && cmd.Process != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			cmd = nil
		}
	}
	start()
	t.Cleanup(stop)
	return addr, start, stop
}

// Redis goes away in the middle of traffic and comes back: local delivery
// never stops, what could not be published is counted and reported,
// requests fail fast instead of hanging, and the adapters reconnect and
// resubscribe by themselves.
func TestRedisRestart(t *testing.T) {
	addr, start, stop := ownRedis(t)
	var reported atomic.Int64
	mk := func() (string, *sio.Server) {
		c := goredis.NewClient(&goredis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return nodeWith(t, redis.New(c, &redis.Options{Key: "restart", RequestsTimeout: time.Second,
			OnError: func(error) { reported.Add(1) }}))
	}
	a, srvA := mk()
	b, _ := mk()
	a1, b1 := dial(t, a), dial(t, b)
	time.Sleep(100 * time.Millisecond)
	a1.send(`42["bcast","before"]`)
	for _, c := range []*client{a1, b1} {
		if p := c.read(); p != `42["msg","before"]` {
			t.Fatalf("before the restart: %q", p)
		}
	}

	stop()
	adapterA := srvA.Sockets().Adapter().(*redis.Adapter)
	for i := 0; i < 5; i++ {
		a1.send(fmt.Sprintf(`42["bcast","during %d"]`, i))
		if p := a1.read(); p != fmt.Sprintf(`42["msg","during %d"]`, i) {
			t.Fatalf("local delivery while Redis is down: %q", p)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := srvA.FetchSockets(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("FetchSockets with Redis down: %v, want Redis's error at once", err)
	}
	for adapterA.Dropped() < 5 {
		time.Sleep(20 * time.Millisecond) // the publisher gives up on each in turn
	}
	if reported.Load() == 0 {
		t.Fatal("lost broadcasts were not reported")
	}
	b1.none()

	start()
	// Reconnected and resubscribed: a broadcast crosses again.
	for i := 0; ; i++ {
		if i == 100 {
			t.Fatal("no broadcast crossed nodes after Redis came back")
		}
		a1.send(fmt.Sprintf(`42["bcast","after %d"]`, i))
		a1.read()
		if p, ok := b1.tryRead(200 * time.Millisecond); ok {
			if !strings.HasPrefix(p, `42["msg","after `) {
				t.Fatalf("after the restart: %q", p)
			}
			break
		}
	}
	t.Logf("dropped while down: %d, reported: %d", adapterA.Dropped(), reported.Load())
}

// A node that Redis counts but that never answers (the Node adapters' most
// reported failure: a subscriber of another version, a hung process) costs
// a request its timeout, not forever: FetchSockets returns what came with
// ErrTimeout, ServerSideEmitWithAck the answers it got; a node that leaves
// stops being counted at once.
func TestSilentAndVanishedNodes(t *testing.T) {
	key := "sioloop-silent-" + fmt.Sprint(time.Now().UnixNano())
	rdb := redisClient(t)
	mk := func() *sio.Server {
		_, srv := nodeWith(t, redis.New(rdb, &redis.Options{Key: key, RequestsTimeout: 300 * time.Millisecond}))
		return srv
	}
	a, b := mk(), mk()
	aAddr := a.Addr().String()
	dial(t, aAddr)
	dial(t, b.Addr().String())
	b.Sockets().OnServerSideEmit("ping", func(e *sio.ServerSideEvent) { _ = e.Ack("pong") })
	time.Sleep(100 * time.Millisecond)
	ctx := context.Background()
	if l, err := a.FetchSockets(ctx); len(l) != 2 || err != nil {
		t.Fatalf("two answering nodes: %d sockets, %v", len(l), err)
	}

	// A silent subscriber of the request channel: counted, never answers.
	silent := rdb.Subscribe(ctx, key+"-request#/#")
	defer silent.Close()
	if _, err := silent.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Sockets().ServerCount(ctx); n != 3 {
		t.Fatalf("server count with the silent node: %d", n)
	}
	l, err := a.FetchSockets(ctx)
	if !errors.Is(err, redis.ErrTimeout) || len(l) != 2 {
		t.Fatalf("FetchSockets with a silent node: %d sockets, %v; want both answering nodes' sockets and ErrTimeout", len(l), err)
	}
	res, err := a.Sockets().ServerSideEmitWithAck(ctx, "ping")
	if !errors.Is(err, sio.ErrAckTimeout) || len(res) != 1 {
		t.Fatalf("ServerSideEmitWithAck with a silent node: %d answers, %v", len(res), err)
	}
	if got := a.Sockets().Adapter().(*redis.Adapter).RequestTimeouts(); got != 2 {
		t.Fatalf("RequestTimeouts: %d", got)
	}
	silent.Close()

	// Node B leaves: no longer counted, nothing waits for it.
	_ = b.Shutdown(ctx)
	for i := 0; ; i++ {
		n, _ := a.Sockets().ServerCount(ctx)
		if n == 1 {
			break
		}
		if i == 50 {
			t.Fatalf("server count after B left: %d", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l, err := a.FetchSockets(ctx); len(l) != 1 || err != nil {
		t.Fatalf("FetchSockets alone: %d sockets, %v", len(l), err)
	}
}

// Application code the adapter runs on its own goroutines (an ack
// callback, OnError) may panic: the panic is reported and counted, the
// process goes on.
func TestCallbackPanicsContained(t *testing.T) {
	key := "sioloop-panic-" + fmt.Sprint(time.Now().UnixNano())
	_, srv := nodeWith(t, redis.New(redisClient(t), &redis.Options{Key: key}))
	before := srv.PanicCount()
	done := make(chan struct{})
	err := srv.ServerSideEmit("ping", sio.MultiAckFunc(func([]*sio.Args, error) {
		close(done)
		panic("in the application's ack callback")
	}))
	if err != nil {
		t.Fatal(err)
	}
	<-done
	for i := 0; srv.PanicCount() == before; i++ {
		if i == 100 {
			t.Fatal("the panic was not reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
