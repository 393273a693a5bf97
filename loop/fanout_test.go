package loop_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/benchapp"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/wsframe"
)

// fanout is a bench-app server on virtual connections: the whole server
// path (HTTP upgrade, Engine.IO, Socket.IO, the broadcast batch, the
// loops' flushes) with counters where the kernel would be.
type fanout struct {
	v     *loop.Virtual
	srv   *sio.Server
	conns []*loop.VConn
}

const upgradeReq = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n" +
	"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

func clientFrame(s string) []byte {
	return wsframe.AppendClientFrame(nil, ws.OpText, []byte(s), [4]byte{1, 2, 3, 4})
}

func newFanout(tb testing.TB, n, loops int) *fanout {
	tb.Helper()
	srv := benchapp.New(&sio.Options{EIO: eio.Options{PingInterval: time.Hour, PingTimeout: time.Hour}})
	v, err := loop.NewVirtual(loop.Config{Routes: []loop.Route{{Prefix: "/socket.io/", Server: srv.Engine()}}}, loops)
	if err != nil {
		tb.Fatal(err)
	}
	f := &fanout{v: v, srv: srv, conns: make([]*loop.VConn, n)}
	up, connect := []byte(upgradeReq), clientFrame("40")
	for i := range f.conns {
		c := v.Dial(i)
		v.Feed(c, up)
		v.Feed(c, connect)
		f.conns[i] = c
	}
	v.RunLoops()
	for i, c := range f.conns {
		if c.Closed || c.Written < 150 {
			tb.Fatalf("connection %d: closed %v, %d bytes written: the handshake failed", i, c.Closed, c.Written)
		}
	}
	return f
}

func (f *fanout) close() {
	f.v.Close()
	f.srv.Close()
}

// broadcast makes connection 0 emit "bcast" (the bench app sends it to
// every socket) and runs the loops until every copy is written.
func (f *fanout) broadcast(frame []byte) {
	f.v.Feed(f.conns[0], frame)
	f.v.RunLoops()
}

// TestVirtualFanout checks the fan-out path end to end on virtual
// connections: every connection gets each broadcast exactly once and
// whole, small frames (copied) and large ones (shared by reference)
// alike, with one write per connection per broadcast.
func TestVirtualFanout(t *testing.T) {
	f := newFanout(t, 2000, 2)
	defer f.close()
	for _, size := range []int{10, 100, 5000, 70_000} {
		payload := strings.Repeat("x", size)
		frame := clientFrame(`42["bcast","` + payload + `"]`)
		pkt := `42["bcast","` + payload + `"]`
		want := wsframe.HeaderSize(len(pkt), false) + len(pkt)
		before := make([][2]int, len(f.conns))
		for i, c := range f.conns {
			before[i] = [2]int{c.Written, c.Writes}
		}
		f.broadcast(frame)
		for i, c := range f.conns {
			if got := c.Written - before[i][0]; got != want {
				t.Fatalf("payload %d B, connection %d: %d bytes written, want %d", size, i, got, want)
			}
			if got := c.Writes - before[i][1]; got != 1 {
				t.Fatalf("payload %d B, connection %d: %d writes, want 1", size, i, got)
			}
		}
	}
}

// BenchmarkFanout: one broadcast to n sockets through the real path, the
// server's own work per recipient (no kernel). heap-B/conn is the heap
// kept per connected socket (server side, after GC). Set
// SIOLOOP_FANOUT_MAX to bound n (default 1,000,000).
func BenchmarkFanout(b *testing.B) {
	limit := 1_000_000
	if s := os.Getenv("SIOLOOP_FANOUT_MAX"); s != "" {
		limit, _ = strconv.Atoi(s)
	}
	for _, n := range []int{1000, 100_000, 1_000_000} {
		if n > limit {
			break
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			f := newFanout(b, n, 2)
			defer f.close()
			runtime.GC()
			runtime.ReadMemStats(&m1)
			frame := clientFrame(`42["bcast","` + strings.Repeat("x", 100) + `"]`)
			f.broadcast(frame) // warm the pools
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				f.broadcast(frame)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/recipient")
			b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n), "heap-B/conn")
		})
	}
}
