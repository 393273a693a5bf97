//go:build !race

package bench

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sioloop/sioloop/internal/benchapp"
	"github.com/sioloop/sioloop/metrics"
	"github.com/sioloop/sioloop/sio"
)

// TestAllocationBudget: the server's per-message path allocates nothing —
// decoding an event, running the handler, encoding the answer and framing
// it — and neither does a broadcast (loop/fanout_alloc_test.go holds the
// same budget on the network layer's batched path).
func TestAllocationBudget(t *testing.T) { allocationBudget(t, nil) }

// TestAllocationBudgetObserved: the same budget with an observer attached
// (sio.Server.Observe: packets and bytes counted, as the admin and
// metrics packages do), and the counts add up.
func TestAllocationBudgetObserved(t *testing.T) {
	allocationBudget(t, func(srv *sio.Server) func() { return srv.Observe(sio.NopObserver{}, false) })
}

// TestAllocationBudgetMetrics: the same budget with the Prometheus
// collector attached (and scraped once, so that its series exist).
func TestAllocationBudgetMetrics(t *testing.T) {
	allocationBudget(t, func(srv *sio.Server) func() {
		m := metrics.New(srv, nil)
		reg := prometheus.NewRegistry()
		reg.MustRegister(m)
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
		return m.Close
	})
}

// allocationBudget runs the budget with attach's observer (nil: none).
func allocationBudget(t *testing.T, attach func(*sio.Server) (detach func())) {
	srv := benchapp.New(nil)
	defer srv.Close()
	observed := attach != nil
	if observed {
		defer attach(srv)()
	}
	c := connect(t, srv)
	msg := []byte(`42["echo","` + payload(100) + `"]`)
	ack := []byte(`4217["echoack","` + payload(100) + `"]`)
	in := make([]byte, 256)
	run := func(p []byte) func() {
		return func() { c.h.OnMessage(c, false, in[:copy(in, p)]) }
	}
	if a := testing.AllocsPerRun(1000, run(msg)); a != 0 {
		t.Errorf("echo relay: %v allocations per message, want 0", a)
	}
	if a := testing.AllocsPerRun(1000, run(ack)); a != 0 {
		t.Errorf("ack: %v allocations per message, want 0", a)
	}

	const n = 200
	for i := 1; i < n; i++ {
		connect(t, srv)
	}
	bc := []byte(`42["bcast","` + payload(100) + `"]`)
	if a := testing.AllocsPerRun(200, run(bc)); a != 0 {
		t.Errorf("broadcast to %d sockets: %v allocations, want 0", n, a)
	}
	st := srv.Stats().Transports[sio.TransportWebSocket]
	if !observed {
		if st != (sio.TransportStats{}) {
			t.Errorf("counted without an observer: %+v", st)
		}
		return
	}
	// AllocsPerRun runs each function once more than asked (warm-up).
	// In: 1001 echo + 1001 ack + 201 bcast (+ the 200 CONNECTs);
	// out: 1001 + 1001 + 201 broadcasts to 200 sockets (+ 200 CONNECTs).
	if want := int64(1001 + 1001 + 201 + n); st.PacketsIn != want {
		t.Errorf("packets in: %d, want %d", st.PacketsIn, want)
	}
	if want := int64(1001 + 1001 + 201*n + n); st.PacketsOut != want {
		t.Errorf("packets out: %d, want %d", st.PacketsOut, want)
	}
	if got := srv.Stats(); got.Broadcasts != 201 || got.Deliveries != 201*n {
		t.Errorf("broadcasts %d, deliveries %d; want 201, %d", got.Broadcasts, got.Deliveries, 201*n)
	}
}

// TestMsgpackBroadcastEncodedOnce: with the msgpack parser a broadcast's
// msgpack form is made once and shared, so its allocations do not grow
// with the recipients (10 or 300 sockets: the same count), and every
// recipient gets one binary frame per broadcast.
func TestMsgpackBroadcastEncodedOnce(t *testing.T) {
	allocs := func(n int) (float64, []*fakeConn) {
		srv := benchapp.New(msgpackOpts)
		t.Cleanup(srv.Close)
		conns := make([]*fakeConn, n)
		for i := range conns {
			conns[i] = connectMsgpack(t, srv)
		}
		msg := mp(t, `2["bcast","`+payload(100)+`"]`)
		in := make([]byte, len(msg))
		a := testing.AllocsPerRun(100, func() {
			copy(in, msg)
			conns[0].h.OnMessage(conns[0], true, in)
		})
		return a, conns
	}
	small, _ := allocs(10)
	large, conns := allocs(300)
	if large != small {
		t.Errorf("allocations per broadcast: %v to 10 sockets, %v to 300: not encoded once", small, large)
	}
	for i, c := range conns {
		if c.frames != 2+101 { // CONNECT answer (header + payload), then one frame per broadcast
			t.Fatalf("socket %d got %d frames, want %d", i, c.frames, 2+101)
		}
	}
	t.Logf("msgpack broadcast: %v allocations per broadcast", large)
}
