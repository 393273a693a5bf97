package eio

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// v3 payload vectors. There is no golden capture for EIO=3 (the reference
// server refuses it by default); these bytes were produced by the reference
// encoder, engine.io 6.6.12's lib/parser-v3 (encodePayload with
// supportsBinary false for the string form, true for the XHR2 form).
var payloadV3Tests = []struct {
	name   string
	str    string // string form
	xhr2   string // binary (XHR2) form; "" when the reference sends the string form
	packet []Packet
}{
	{"hello", "6:4hello", "", []Packet{codecText("hello")}},
	// Lengths count UTF-16 code units: é and € are one unit (two and three
	// bytes), 😀 is a surrogate pair (four bytes).
	{"utf16", "5:4caf\xc3\xa93:4\xf0\x9f\x98\x802:4\xe2\x82\xac", "",
		[]Packet{codecText("caf\xc3\xa9"), codecText("\xf0\x9f\x98\x80"), codecText("\xe2\x82\xac")}},
	// golden/sio-json-encoding.txt's strings as one v3 message: 42 units.
	{"sio json", "42:442[\"message-back\",\"caf\xc3\xa9\",\"\xe2\x80\xa8\xe2\x80\xa9\",\"\xf0\x9f\x98\x80\",\"\xc3\xa9\xf0\x9f\x98\x80\"]", "",
		[]Packet{codecText("42[\"message-back\",\"caf\xc3\xa9\",\"\xe2\x80\xa8\xe2\x80\xa9\",\"\xf0\x9f\x98\x80\",\"\xc3\xa9\xf0\x9f\x98\x80\"]")}},
	{"binary and text", "6:b4AQID2:4x", "\x01\x04\xff\x04\x01\x02\x03\x00\x02\xff4x",
		[]Packet{codecBin("\x01\x02\x03"), codecText("x")}},
	{"probe noop", "6:2probe1:6", "", []Packet{{Type: PacketPing, Data: []byte("probe")}, {Type: PacketNoop}}},
	{"empty binary", "2:b4", "\x01\x01\xff\x04", []Packet{codecBin("")}},
	{"binary and close", "10:b43q2+7w==1:1", "\x01\x05\xff\x04\xde\xad\xbe\xef\x00\x01\xff1",
		[]Packet{codecBin("\xde\xad\xbe\xef"), {Type: PacketClose}}},
	{"long", "12:4" + strings.Repeat("y", 11) + "1:2", "\x00\x01\x02\xff4" + strings.Repeat("y", 11) + "\x00\x01\xff2",
		[]Packet{codecText(strings.Repeat("y", 11)), {Type: PacketPing}}},
}

func TestNextPayloadPacketV3(t *testing.T) {
	for _, tt := range payloadV3Tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codecDecodeAll([]byte(tt.str), NextPayloadPacketV3)
			if err != nil || !codecPacketsEqual(got, tt.packet) {
				t.Fatalf("decode %q = %+v, %v; want %+v", tt.str, got, err, tt.packet)
			}
			if tt.xhr2 == "" {
				return
			}
			got, err = codecDecodeAll([]byte(tt.xhr2), NextPayloadPacketV3)
			if err != nil || !codecPacketsEqual(got, tt.packet) {
				t.Fatalf("decode %q = %+v, %v; want %+v", tt.xhr2, got, err, tt.packet)
			}
		})
	}
}

func TestAppendPayloadPacketV3(t *testing.T) {
	for _, tt := range payloadV3Tests {
		t.Run(tt.name, func(t *testing.T) {
			var s, x []byte
			for _, p := range tt.packet {
				s = AppendPayloadPacketV3(s, p)
				x = AppendBinaryPayloadPacketV3(x, p)
			}
			if string(s) != tt.str {
				t.Errorf("string form = %q, want %q", s, tt.str)
			}
			if tt.xhr2 != "" && string(x) != tt.xhr2 {
				t.Errorf("binary form = %q, want %q", x, tt.xhr2)
			}
			got, err := codecDecodeAll(x, NextPayloadPacketV3)
			if err != nil || !codecPacketsEqual(got, tt.packet) {
				t.Errorf("binary form decodes to %+v, %v", got, err)
			}
		})
	}
}

func TestNextPayloadPacketV3Lenient(t *testing.T) {
	// As in the reference parser: zero-length records are skipped and
	// lengths may have leading zeros.
	tests := []struct {
		wire string
		want []Packet
	}{
		{"0:6:4hello", []Packet{codecText("hello")}},
		{"6:4hello0:", []Packet{codecText("hello")}},
		{"6:4hello0:00:1:2", []Packet{codecText("hello"), {Type: PacketPing}}},
		{"06:4hello", []Packet{codecText("hello")}},
		{"1:41:4", []Packet{codecText(""), codecText("")}},
		// Text is not validated: invalid UTF-8 passes through unchanged
		// (the string form counts each maximal invalid sequence as one unit).
		{"3:4\xe2\x82x", []Packet{codecText("\xe2\x82x")}},
		{"\x00\x02\xff4\xff", []Packet{codecText("\xff")}},
	}
	for _, tt := range tests {
		got, err := codecDecodeAll([]byte(tt.wire), NextPayloadPacketV3)
		if err != nil || !codecPacketsEqual(got, tt.want) {
			t.Errorf("decode %q = %+v, %v; want %+v", tt.wire, got, err, tt.want)
		}
	}
}

func TestNextPayloadPacketV3Errors(t *testing.T) {
	tests := []struct {
		name string
		wire string
		good int
		err  error
	}{
		{"empty", "", 0, ErrEmptyPayload},
		{"only empty records", "0:00:", 0, ErrEmptyPayload},
		{"no colon", "6", 0, ErrInvalidPayload},
		{"no length", ":4a", 0, ErrInvalidPayload},
		{"non-digit length", "1a:4", 0, ErrInvalidPayload},
		{"sign", "+1:4", 0, ErrInvalidPayload},
		{"trailing garbage", "2:4a3", 1, ErrInvalidPayload},
		{"length too long", "7:4hello", 0, ErrInvalidPayload},
		{"length short", "5:4hello", 1, ErrInvalidPayload}, // "4hell", then "o" is no record
		{"overflow", "99999999999999999999999999:4", 0, ErrInvalidPayload},
		{"huge length", "18446744073709551617:4", 0, ErrInvalidPayload},
		// Byte length 6 but only 3 UTF-16 units: 4, é, é.
		{"bytes instead of units", "5:4\xc3\xa9\xc3\xa9", 0, ErrInvalidPayload},
		// 2 units end inside the surrogate pair of 😀.
		{"splits surrogate pair", "2:4\xf0\x9f\x98\x80", 0, ErrInvalidPayload},
		{"unknown type", "2:9a", 0, ErrInvalidPacket},
		{"binary type not 4", "6:b2AQID", 0, ErrInvalidPacket},
		{"binary without type", "1:b", 0, ErrInvalidPacket},
		{"bad base64", "6:b4AQI!", 0, ErrInvalidPacket},
		{"bad record start", "6:4hello\n", 1, ErrInvalidPayload},
		// XHR2 form.
		{"xhr2 no 0xff", "\x00\x01", 0, ErrInvalidPayload},
		{"xhr2 no digits", "\x00\xff4", 0, ErrInvalidPayload},
		{"xhr2 digit > 9", "\x00\x0a\xff4", 0, ErrInvalidPayload},
		{"xhr2 truncated", "\x00\x05\xff4ab", 0, ErrInvalidPayload},
		{"xhr2 empty record", "\x00\x00\xff", 0, ErrInvalidPacket},
		{"xhr2 binary wrong type", "\x01\x02\xff\x02a", 0, ErrInvalidPacket},
		{"xhr2 overflow", "\x00" + strings.Repeat("\x09", 40) + "\xff4", 0, ErrInvalidPayload},
		{"xhr2 then garbage", "\x00\x01\xff2\x05", 1, ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codecDecodeAll([]byte(tt.wire), NextPayloadPacketV3)
			if !errors.Is(err, tt.err) || len(got) != tt.good {
				t.Fatalf("decode %q = %d packets (%+v), %v; want %d, %v", tt.wire, len(got), got, err, tt.good, tt.err)
			}
		})
	}
}

func TestParsePacketV3(t *testing.T) {
	tests := []struct {
		in     string
		binary bool
		want   Packet
		err    error
	}{
		{"4hello", false, codecText("hello"), nil},
		{"2probe", false, Packet{Type: PacketPing, Data: []byte("probe")}, nil},
		{"b4AQID", false, codecBin("\x01\x02\x03"), nil}, // what a v3 client sends without binary support
		{"\x04\x01\x02\x03", true, codecBin("\x01\x02\x03"), nil},
		{"\x04", true, codecBin(""), nil},
		{"", true, Packet{}, ErrInvalidPacket},
		{"\x02\x01", true, Packet{}, ErrInvalidPacket},
		{"", false, Packet{}, ErrInvalidPacket},
		{"9", false, Packet{}, ErrInvalidPacket},
		{"bAQID", false, Packet{}, ErrInvalidPacket}, // v4 form
	}
	for _, tt := range tests {
		got, err := ParsePacketV3([]byte(tt.in), tt.binary)
		if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) || err == nil && !codecPacketEqual(got, tt.want) {
			t.Errorf("ParsePacketV3(%q, %v) = %+v, %v; want %+v, %v", tt.in, tt.binary, got, err, tt.want, tt.err)
		}
	}
	// AppendPacketV3: the reference's encodePacket(…, supportsBinary true).
	if got := AppendPacketV3(nil, codecBin("\x01\x02\x03")); string(got) != "\x04\x01\x02\x03" {
		t.Errorf("AppendPacketV3(binary) = %q", got)
	}
	if got := AppendPacketV3(nil, Packet{Type: PacketPong, Data: []byte("probe")}); string(got) != "3probe" {
		t.Errorf("AppendPacketV3(pong) = %q", got)
	}
}

// TestUTF16Len checks the UTF-16 length against unicode/utf16 for valid text
// and against vectors computed with Node.js (Buffer.toString("utf8").length
// and the StringDecoder that the polling transport uses) for invalid text.
func TestUTF16Len(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"hello", 5},
		{"caf\xc3\xa9", 4},
		{"\xe2\x82\xac", 1},
		{"\xf0\x9f\x98\x80", 2},
		{"\xf0\x9d\x84\x9e\xc3\xa9", 3},
		{"\xef\xbf\xbf", 1},
		// Invalid: one U+FFFD per maximal subpart (Unicode 3.9, table 3-8
		// example: a F1 80 80 E1 80 C2 b 80 c 80 BF d).
		{"a\xf1\x80\x80\xe1\x80\xc2b\x80c\x80\xbfd", 10},
		{"\xed\xa0\x80", 3}, // encoded surrogate: ED then two lone bytes
		{"\xf0\x80\x80", 3}, // F0 needs 90..BF next
		{"\xf4\x90\x80\x80", 4},
		{"\xc0\xaf", 2},
		{"\xe2\x82", 1}, // truncated at the end
		{"\xe2\x82x", 2},
		{"\xf0\x9f\x98", 1},
		{"\xff\xfe", 2},
		// From the Node.js differential run (hex f4edc1c1f19ff1008fff: 9,
		// 51c28dee89f34541c13afd: 9).
		{"\xf4\xed\xc1\xc1\xf1\x9f\xf1\x00\x8f\xff", 9},
		{"\x51\xc2\x8d\xee\x89\xf3\x45\x41\xc1\x3a\xfd", 9},
	}
	for _, tt := range tests {
		if got := utf16Len([]byte(tt.in)); got != tt.want {
			t.Errorf("utf16Len(%q) = %d, want %d", tt.in, got, tt.want)
		}
		if end, ok := utf16Advance([]byte(tt.in), tt.want); !ok || end != len(tt.in) {
			t.Errorf("utf16Advance(%q, %d) = %d, %v", tt.in, tt.want, end, ok)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 2000; i++ {
		var rs []rune
		for n := rng.IntN(20); n > 0; n-- {
			switch rng.IntN(4) {
			case 0:
				rs = append(rs, rune(rng.IntN(0x80)))
			case 1:
				rs = append(rs, rune(0x80+rng.IntN(0x800-0x80)))
			case 2:
				rs = append(rs, rune(0x800+rng.IntN(0xd800-0x800)))
			default:
				rs = append(rs, rune(0x10000+rng.IntN(0x100000)))
			}
		}
		s := []byte(string(rs))
		if got, want := utf16Len(s), len(utf16.Encode(rs)); got != want {
			t.Fatalf("utf16Len(%q) = %d, want %d", s, got, want)
		}
		if !utf8.Valid(s) {
			t.Fatal("generator produced invalid UTF-8")
		}
	}
	// The eight-byte ASCII fast path: one multi-byte character at every
	// position of a longer ASCII run, and utf16Advance to every unit.
	for _, c := range []string{"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff"} {
		for pos := 0; pos <= 24; pos++ {
			s := []byte(strings.Repeat("a", pos) + c + strings.Repeat("b", 24-pos))
			want := 24 + len(utf16.Encode([]rune(string(s[pos:pos+len(c)]))))
			if got := utf16Len(s); got != want {
				t.Fatalf("utf16Len(%q) = %d, want %d", s, got, want)
			}
			for n := 0; n <= want; n++ {
				end, ok := utf16Advance(s, n)
				split := c == "\xf0\x9f\x98\x80" && n == pos+1
				if ok == split || ok && utf16Len(s[:end]) != n {
					t.Fatalf("utf16Advance(%q, %d) = %d, %v", s, n, end, ok)
				}
			}
			if _, ok := utf16Advance(s, want+1); ok {
				t.Fatalf("utf16Advance past the end of %q succeeded", s)
			}
		}
	}
}

// FuzzPayloadV3: no panics; a string-form record whose length has no
// leading zero re-encodes to the same bytes; decoded packets re-encode (in
// both forms) to payloads that decode to the same packets; and two payloads
// cut from the input at an arbitrary point and concatenated decode
// independently.
func FuzzPayloadV3(f *testing.F) {
	for _, tt := range payloadV3Tests {
		f.Add([]byte(tt.str), uint16(len(tt.str)/2))
		if tt.xhr2 != "" {
			f.Add([]byte(tt.xhr2), uint16(len(tt.xhr2)/2))
		}
	}
	for _, s := range []string{"", "0:", "06:4hello", "2:4\xf0\x9f\x98\x80", "5:4hello", "\x00\x00\xff", "\x01\x02\xff\x04\x01", "3:4\xe2\x82"} {
		f.Add([]byte(s), uint16(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		codecCheckSplit(t, in, cut, "", NextPayloadPacketV3)
		// Decode by hand to check each record: one in the string form whose
		// length has no leading zero re-encodes to the same bytes, followed
		// only by the empty records ("0:") that were skipped with it.
		var got []Packet
		b, off := bytes.Clone(in), 0
		for b != nil {
			p, rest, err := NextPayloadPacketV3(b)
			if err != nil {
				return
			}
			if p.Type >= numPacketTypes || p.Binary && p.Type != PacketMessage {
				t.Fatalf("bad packet %+v", p)
			}
			got = append(got, p)
			region := in[off : off+len(b)-len(rest)]
			off += len(region)
			b = rest
			if region[0] == '0' || region[0] <= 1 {
				continue // leading zero, leading empty record, or XHR2 form
			}
			enc := AppendPayloadPacketV3(nil, p)
			if !bytes.HasPrefix(region, enc) || len(skipEmptyRecordsV3(region[len(enc):])) != 0 {
				t.Fatalf("record %q re-encoded to %q", region, enc)
			}
		}
		var s, x []byte
		for _, p := range got {
			s = AppendPayloadPacketV3(s, p)
			x = AppendBinaryPayloadPacketV3(x, p)
		}
		for _, form := range [][]byte{s, x} {
			again, err := codecDecodeAll(form, NextPayloadPacketV3)
			if err != nil || !codecPacketsEqual(again, got) {
				t.Fatalf("re-encoded %q decodes to %+v, %v; want %+v", form, again, err, got)
			}
		}
	})
}

var benchPayloadV3 = func() []byte {
	var b []byte
	for _, p := range benchPayloadPackets {
		b = AppendPayloadPacketV3(b, p)
	}
	return b
}()

var benchPayloadV3Binary = func() []byte {
	var b []byte
	for _, p := range benchPayloadPackets {
		b = AppendBinaryPayloadPacketV3(b, p)
	}
	return b
}()

// codecDecodePayloadV3 is codecDecodePayload for v3.
func codecDecodePayloadV3(scratch, src []byte) (int, error) {
	b := scratch[:copy(scratch, src)]
	n := 0
	for b != nil {
		var err error
		if _, b, err = NextPayloadPacketV3(b); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func BenchmarkNextPayloadPacketV3(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   []byte
	}{{"string", benchPayloadV3}, {"xhr2", benchPayloadV3Binary}} {
		b.Run(bc.name, func(b *testing.B) {
			scratch := make([]byte, len(bc.in))
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				if n, err := codecDecodePayloadV3(scratch, bc.in); err != nil || n != 3 {
					b.Fatal(n, err)
				}
			}
		})
	}
}

func BenchmarkAppendPayloadPacketV3(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.Run("string", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchPayloadV3)))
		for b.Loop() {
			buf = buf[:0]
			for _, p := range benchPayloadPackets {
				buf = AppendPayloadPacketV3(buf, p)
			}
		}
	})
	b.Run("xhr2", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchPayloadV3Binary)))
		for b.Loop() {
			buf = buf[:0]
			for _, p := range benchPayloadPackets {
				buf = AppendBinaryPayloadPacketV3(buf, p)
			}
		}
	})
}
