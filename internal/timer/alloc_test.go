//go:build !race

package timer

import (
	"testing"
	"time"
)

// TestAllocationBudget: arming, re-arming and stopping a timer allocate
// nothing once the heaps have room for the armed timers.
func TestAllocationBudget(t *testing.T) {
	w := New()
	defer w.Close()
	var c counter
	nodes := make([]Node, 64)
	for i := range nodes {
		nodes[i].Init(&c)
		w.Schedule(&nodes[i], time.Hour)
	}
	for i := range nodes {
		w.Stop(&nodes[i])
	}
	i := 0
	a := testing.AllocsPerRun(1000, func() {
		n := &nodes[i%len(nodes)]
		i++
		w.Schedule(n, time.Hour)
		w.Schedule(n, 2*time.Hour)
		w.Stop(n)
	})
	if a != 0 {
		t.Errorf("Schedule+reschedule+Stop: %v allocations, want 0", a)
	}
}
