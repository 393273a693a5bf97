package sio

import (
	"testing"
	"unsafe"

	"github.com/sioloop/sioloop/eio"
)

// TestSizes keeps the per-connection structs within their allocation
// size classes: every idle connection carries one of each
// (ARCHITECTURE.md, "Memory per connection").
func TestSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		size, max uintptr
	}{
		{"sio.Socket", unsafe.Sizeof(Socket{}), 160},
		{"sio.client", unsafe.Sizeof(client{}), 112},       // 96 + the EventRate bucket
		{"eio.Session", unsafe.Sizeof(eio.Session{}), 128}, // on WebSocket; polling adds its pollState
	} {
		if c.size > c.max {
			t.Errorf("%s is %d bytes, budget %d", c.name, c.size, c.max)
		}
	}
}
