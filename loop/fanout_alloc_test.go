//go:build !race

package loop_test

import (
	"strings"
	"testing"
)

// TestFanoutAllocationBudget: a broadcast through the batched path
// (Frames shared, connections grouped by loop, flushed by the loops)
// allocates nothing per recipient once its pools are warm.
func TestFanoutAllocationBudget(t *testing.T) {
	const n = 1000
	f := newFanout(t, n, 2)
	defer f.close()
	for _, size := range []int{100, 5000} {
		frame := clientFrame(`42["bcast","` + strings.Repeat("x", size) + `"]`)
		f.broadcast(frame)
		a := testing.AllocsPerRun(100, func() { f.broadcast(frame) })
		if a != 0 {
			t.Errorf("%d-byte broadcast to %d sockets: %v allocations, want 0", size, n, a)
		}
		t.Logf("%d-byte broadcast to %d sockets: %v allocations", size, n, a)
	}
}
