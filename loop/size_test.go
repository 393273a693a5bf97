package loop

import (
	"testing"
	"unsafe"
)

// TestConnSize keeps the per-connection struct small: it lives in every
// connection, idle ones included (ARCHITECTURE.md, "Memory per connection").
func TestConnSize(t *testing.T) {
	const max = 208 // its allocation size class
	if n := unsafe.Sizeof(conn{}); n > max {
		t.Errorf("loop.conn is %d bytes, budget %d", n, max)
	}
}
