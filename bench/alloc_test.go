//go:build !race

package bench

import (
	"testing"

	"github.com/sioloop/sioloop/internal/benchapp"
)

// TestAllocationBudget: the server's per-message path allocates nothing —
// decoding an event, running the handler, encoding the answer and framing
// it — and neither does a broadcast (loop/fanout_alloc_test.go holds the
// same budget on the network layer's batched path).
func TestAllocationBudget(t *testing.T) {
	srv := benchapp.New(nil)
	defer srv.Close()
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
}
