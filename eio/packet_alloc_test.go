//go:build !race

package eio

import "testing"

// TestCodecAllocs is the codecs' allocation budget: decoding and encoding
// into a reused buffer allocate nothing.
func TestCodecAllocs(t *testing.T) {
	scratch := make([]byte, 1024)
	buf := make([]byte, 0, 1024)
	tests := []struct {
		name string
		fn   func()
	}{
		{"ParsePacket text", func() { _, _ = ParsePacket(benchTextPacket, false) }},
		{"ParsePacket binary", func() { _, _ = ParsePacket(benchTextPacket, true) }},
		{"ParsePacket base64", func() {
			_, _ = ParsePacket(scratch[:copy(scratch, "bAQIDBA==")], false)
		}},
		{"ParsePacketV3 base64", func() {
			_, _ = ParsePacketV3(scratch[:copy(scratch, "b4AQIDBA==")], false)
		}},
		{"AppendPacket", func() { buf = AppendPacket(buf[:0], benchPayloadPackets[0]) }},
		{"AppendPacketV3 binary", func() { buf = AppendPacketV3(buf[:0], benchPayloadPackets[1]) }},
		{"NextPayloadPacket", func() {
			if n, err := codecDecodePayload(scratch, benchPayload); n != 3 || err != nil {
				t.Fatal(n, err)
			}
		}},
		{"AppendPayloadPacket", func() { buf = codecEncodePayload(buf[:0], benchPayloadPackets) }},
		{"NextPayloadPacketV3 string", func() {
			if n, err := codecDecodePayloadV3(scratch, benchPayloadV3); n != 3 || err != nil {
				t.Fatal(n, err)
			}
		}},
		{"NextPayloadPacketV3 xhr2", func() {
			if n, err := codecDecodePayloadV3(scratch, benchPayloadV3Binary); n != 3 || err != nil {
				t.Fatal(n, err)
			}
		}},
		{"AppendPayloadPacketV3", func() {
			buf = buf[:0]
			for _, p := range benchPayloadPackets {
				buf = AppendPayloadPacketV3(buf, p)
			}
		}},
		{"AppendBinaryPayloadPacketV3", func() {
			buf = buf[:0]
			for _, p := range benchPayloadPackets {
				buf = AppendBinaryPayloadPacketV3(buf, p)
			}
		}},
		{"decode error", func() { _, _, _ = NextPayloadPacket(scratch[:copy(scratch, "4a\x1e9")][3:]) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, n)
		}
	}
}
