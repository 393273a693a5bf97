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
