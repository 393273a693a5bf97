// Package bench holds whole-server micro-benchmarks: the complete server
// path of a message (Engine.IO packet → Socket.IO decode → handler → emit
// → frame bytes) without the network, on fake connections, so the
// framework's own cost per message and per recipient is measured alone.
package bench

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/benchapp"
	"github.com/sioloop/sioloop/sio"
)

// fakeConn is an eio.WSConn that counts the bytes written to it.
type fakeConn struct {
	h      eio.WSHandler
	frames int
	bytes  int
}

func (c *fakeConn) WriteFrame(op ws.OpCode, a, b []byte) { c.frames++; c.bytes += len(a) + len(b) }
func (c *fakeConn) WriteRaw(b []byte)                    { c.frames++; c.bytes += len(b) }
func (c *fakeConn) Close(ws.StatusCode)                  {}
func (c *fakeConn) Writable() bool                       { return true }
func (c *fakeConn) Buffered() int                        { return 0 }
func (c *fakeConn) SetHandler(h eio.WSHandler)           { c.h = h }
func (c *fakeConn) RemoteAddr() net.Addr                 { return nil }

// fakeWriter answers one handshake request by upgrading to a fakeConn.
type fakeWriter struct{ conn *fakeConn }

func (w *fakeWriter) Respond(*eio.Response)            {}
func (w *fakeWriter) NotifyAbort(eio.PollAbortHandler) {}
func (w *fakeWriter) Drop()                            {}
func (w *fakeWriter) Upgrade(h eio.WSHandler, _ []eio.HeaderField) (eio.WSConn, error) {
	w.conn.h = h
	return w.conn, nil
}

type noHeaders struct{}

func (noHeaders) Header(string) []byte { return nil }

// connect opens a WebSocket session on srv and joins the main namespace.
func connect(tb testing.TB, srv *sio.Server) *fakeConn {
	c := openWS(tb, srv)
	c.h.OnMessage(c, false, []byte("40"))
	if c.frames < 2 {
		tb.Fatal("no CONNECT answer")
	}
	return c
}

// openWS opens an Engine.IO session on a fake WebSocket.
func openWS(tb testing.TB, srv *sio.Server) *fakeConn {
	c := &fakeConn{}
	srv.Engine().HandleRequest(&eio.Request{
		Method:   []byte("GET"),
		RawQuery: []byte("EIO=4&transport=websocket"),
		Headers:  noHeaders{},
		Upgrade:  true,
	}, &fakeWriter{conn: c})
	if c.h == nil {
		tb.Fatal("no WebSocket session")
	}
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

func payload(n int) string { return strings.Repeat("x", n) }

// BenchmarkRelayEcho: one "echo" event in, one out — the raw-relay path
// (arguments re-emitted as raw JSON, no decode, no encode).
func BenchmarkRelayEcho(b *testing.B) { benchRelayEcho(b, nil) }

// BenchmarkRelayEchoFloodControl: BenchmarkRelayEcho with Options.EventRate
// on (a rate the benchmark never reaches: every event takes a token).
func BenchmarkRelayEchoFloodControl(b *testing.B) {
	benchRelayEcho(b, &sio.Options{EventRate: 1e12})
}

// BenchmarkRelayEchoObserved: BenchmarkRelayEcho with an observer
// attached (Server.Observe: packets and bytes counted, as with the admin
// or metrics package), the cost of instrumentation per round trip.
func BenchmarkRelayEchoObserved(b *testing.B) { benchRelayEcho(b, nil, true) }

func benchRelayEcho(b *testing.B, o *sio.Options, observed ...bool) {
	srv := benchapp.New(o)
	defer srv.Close()
	if len(observed) > 0 && observed[0] {
		defer srv.Observe(sio.NopObserver{}, false)()
	}
	c := connect(b, srv)
	msg := []byte(`42["echo","` + payload(100) + `"]`)
	in := make([]byte, len(msg))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		copy(in, msg) // the server may modify its input buffer
		c.h.OnMessage(c, false, in)
	}
}

// BenchmarkAckEcho: "echoack" with an ack id, answered by e.Ack.
func BenchmarkAckEcho(b *testing.B) {
	srv := benchapp.New(nil)
	defer srv.Close()
	c := connect(b, srv)
	msg := []byte(`4217["echoack","` + payload(100) + `"]`)
	in := make([]byte, len(msg))
	b.ReportAllocs()
	for b.Loop() {
		copy(in, msg)
		c.h.OnMessage(c, false, in)
	}
}

// BenchmarkBroadcast: one "bcast" event fanned out to N sockets; ns/op
// divided by N is the cost per recipient.
func BenchmarkBroadcast(b *testing.B) { benchBroadcast(b, false) }

// BenchmarkBroadcastObserved: BenchmarkBroadcast with an observer
// attached (the recipients counted once per broadcast).
func BenchmarkBroadcastObserved(b *testing.B) { benchBroadcast(b, true) }

func benchBroadcast(b *testing.B, observed bool) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			srv := benchapp.New(nil)
			defer srv.Close()
			if observed {
				defer srv.Observe(sio.NopObserver{}, false)()
			}
			conns := make([]*fakeConn, n)
			for i := range conns {
				conns[i] = connect(b, srv)
			}
			msg := []byte(`42["bcast","` + payload(100) + `"]`)
			in := make([]byte, len(msg))
			b.ReportAllocs()
			for b.Loop() {
				copy(in, msg)
				conns[0].h.OnMessage(conns[0], false, in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/recipient")
		})
	}
}
