//go:build !race

package wsframe

import (
	"testing"

	"github.com/gobwas/ws"
)

// The hot path allocates nothing: parsing, unmasking, encoding into a reused
// buffer and decoding an unfragmented message or control frame. (The race
// detector changes allocation counts, hence the build tag.)
func TestAllocationBudget(t *testing.T) {
	payload := []byte(`42["message","hello"]`)
	text := AppendClientFrame(nil, ws.OpText, payload, mask37)
	binary := AppendClientFrame(nil, ws.OpBinary, make([]byte, 4096), mask37)
	ping := AppendClientFrame(nil, ws.OpPing, []byte("hi"), mask37)
	closeF := AppendClientFrame(nil, ws.OpClose, []byte("\x03\xe8bye"), mask37)
	work := make([]byte, 8192)
	out := make([]byte, 0, 8192)
	big := make([]byte, 4096)
	var d Decoder
	dLimit := Decoder{MaxMessage: 1 << 20}

	next := func(d *Decoder, wire []byte) func() {
		return func() {
			buf := work[:len(wire)]
			copy(buf, wire)
			if _, _, err := d.Next(buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name string
		fn   func()
	}{
		{"ParseHeader", func() { _, _, _ = ParseHeader(text) }},
		{"Unmask 100", func() { Unmask(big[:100], mask37, 0) }},
		{"Unmask 4096", func() { Unmask(big, mask37, 1) }},
		{"AppendHeader", func() { out = AppendHeader(out[:0], Header{Fin: true, OpCode: ws.OpBinary, Length: 70000}) }},
		{"AppendFrame", func() { out = AppendFrame(out[:0], ws.OpText, payload) }},
		{"AppendClientFrame", func() { out = AppendClientFrame(out[:0], ws.OpText, payload, mask37) }},
		{"AppendClose", func() { out = AppendClose(out[:0], ws.StatusGoingAway, "bye") }},
		{"ParseClose", func() { _, _, _ = ParseClose([]byte{0x03, 0xe8}) }},
		{"Next text", next(&d, text)},
		{"Next text with limit", next(&dLimit, text)},
		{"Next binary 4096", next(&d, binary)},
		{"Next ping", next(&d, ping)},
		{"Next close", next(&d, closeF)},
		{"Next incomplete", func() { _, _, _ = d.Next(text[:5]) }},
	}
	for _, tt := range tests {
		if a := testing.AllocsPerRun(200, tt.fn); a != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tt.name, a)
		}
	}
}
