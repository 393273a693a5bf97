//go:build !race

package parser

import (
	"strings"
	"testing"
)

// TestCodecAllocs is the codec's allocation budget: parsing, scanning and
// encoding into reused buffers allocate nothing.
func TestCodecAllocs(t *testing.T) {
	deep := []byte(`2["x",` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]`)
	escaped := []byte(`2["conn\u0065ct_x",1]`)
	buf := make([]byte, 0, 256)
	atts := make([][]byte, 0, 4)
	scratch := make([]byte, 0, 64)
	eventArgs := []any{"hello"}
	mixedArgs := []any{"text", 42, 1.5, true, nil, RawJSON(`{"a":1}`), []any{"x", map[string]any{"k": "v"}}}
	binArgs := []any{[]byte{1, 2, 3}, map[string]any{"k": []byte{4}}}
	p, _ := ParsePacket(benchEventNsp)
	tests := []struct {
		name string
		fn   func()
	}{
		{"ParsePacket event", func() { mustParse(t, benchEvent) }},
		{"ParsePacket namespace+ack", func() { mustParse(t, benchEventNsp) }},
		{"ParsePacket binary", func() { mustParse(t, benchBinary) }},
		{"ParsePacket escaped name", func() { mustParse(t, escaped) }},
		{"ParsePacket deep", func() { mustParse(t, deep) }},
		{"ParsePacket invalid", func() {
			if _, err := ParsePacket([]byte(`2["connect"]`)); err == nil {
				t.Fatal("accepted")
			}
		}},
		{"EventName", func() {
			if _, err := EventName(benchEventNsp[9:]); err != nil {
				t.Fatal(err)
			}
		}},
		{"AppendEventName escaped", func() { scratch, _ = AppendEventName(scratch[:0], escaped[1:]) }},
		{"ArrayIter", func() {
			it, _ := NewArrayIter(benchEventNsp[9:])
			for _, ok := it.Next(); ok; _, ok = it.Next() {
			}
			if it.Err() != nil {
				t.Fatal(it.Err())
			}
		}},
		{"SkipValue 1KiB", func() {
			if _, err := SkipValue(benchObject1K); err != nil {
				t.Fatal(err)
			}
		}},
		{"Unquote", func() { Unquote([]byte(`"hello"`)) }},
		{"ValidatePlaceholders", func() {
			if err := ValidatePlaceholders(benchBinary[3:], 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"AppendPacket", func() { buf = AppendPacket(buf[:0], &p) }},
		{"AppendPacketHeader", func() { buf = AppendPacketHeader(buf[:0], &p) }},
		{"AppendEvent string", func() { buf, _, _ = AppendEvent(buf[:0], "/chat", 7, "chat", eventArgs, nil) }},
		{"AppendEvent mixed", func() { buf, _, _ = AppendEvent(buf[:0], "/", NoID, "m", mixedArgs, nil) }},
		{"AppendEvent binary", func() { buf, atts, _ = AppendEvent(buf[:0], "/", NoID, "b", binArgs, atts[:0]) }},
		{"AppendAck", func() { buf, _, _ = AppendAck(buf[:0], "/", 3, eventArgs, nil) }},
		{"AppendEventArgs bytes", func() { buf, atts, _ = AppendEventArgs(buf[:0], binArgs, atts[:0]) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, n)
		}
	}
}

func mustParse(t *testing.T, b []byte) {
	if _, err := ParsePacket(b); err != nil {
		t.Fatal(err)
	}
}
