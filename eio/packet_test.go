package eio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestPacketTypeString(t *testing.T) {
	want := []string{"open", "close", "ping", "pong", "message", "upgrade", "noop", "PacketType(7)"}
	for i, w := range want {
		if got := PacketType(i).String(); got != w {
			t.Errorf("PacketType(%d).String() = %q, want %q", i, got, w)
		}
	}
}

// codecPacketEqual compares two packets the way the wire sees them.
func codecPacketEqual(a, b Packet) bool {
	return a.Type == b.Type && a.Binary == b.Binary && bytes.Equal(a.Data, b.Data)
}

// codecText and codecBin build message packets for the codec tests.
func codecText(s string) Packet { return Packet{Type: PacketMessage, Data: []byte(s)} }
func codecBin(s string) Packet  { return Packet{Type: PacketMessage, Binary: true, Data: []byte(s)} }

// WebSocket messages as the reference server sends and accepts them
// (golden/eio-ws-*.txt, sio-*.txt): one packet per message.
var parsePacketTests = []struct {
	name   string
	in     string
	binary bool
	want   Packet
	err    error
}{
	{"open", `0{"sid":"<SID>","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, false,
		Packet{Type: PacketOpen, Data: []byte(`{"sid":"<SID>","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)}, nil},
	{"close", "1", false, Packet{Type: PacketClose, Data: []byte{}}, nil},
	{"ping", "2", false, Packet{Type: PacketPing, Data: []byte{}}, nil},
	{"probe", "2probe", false, Packet{Type: PacketPing, Data: []byte("probe")}, nil},
	{"pong probe", "3probe", false, Packet{Type: PacketPong, Data: []byte("probe")}, nil},
	{"sio connect", "40", false, codecText("0"), nil},
	{"sio event", `42["auth",{}]`, false, codecText(`2["auth",{}]`), nil},
	{"sio binary event", `451-["message-back",{"_placeholder":true,"num":0}]`, false,
		codecText(`51-["message-back",{"_placeholder":true,"num":0}]`), nil},
	{"utf8", "42[\"caf\xc3\xa9\",\"\xf0\x9f\x98\x80\"]", false, codecText("2[\"caf\xc3\xa9\",\"\xf0\x9f\x98\x80\"]"), nil},
	{"upgrade", "5", false, Packet{Type: PacketUpgrade, Data: []byte{}}, nil},
	{"noop", "6", false, Packet{Type: PacketNoop, Data: []byte{}}, nil},
	{"binary frame", "\x0a\x0b\x0c", true, codecBin("\x0a\x0b\x0c"), nil},
	{"binary frame empty", "", true, codecBin(""), nil},
	{"binary frame digit", "4", true, codecBin("4"), nil},
	// The reference parser also reads 'b' + base64 from a text message.
	{"base64 in text frame", "bAQID", false, codecBin("\x01\x02\x03"), nil},
	{"base64 empty", "b", false, codecBin(""), nil},
	// golden/sio-invalid-packets.txt: "9" and an empty text frame -> parse error.
	{"unknown type 9", "9", false, Packet{}, ErrInvalidPacket},
	{"empty text frame", "", false, Packet{}, ErrInvalidPacket},
	{"unknown type 7", "7x", false, Packet{}, ErrInvalidPacket},
	{"letter", "x", false, Packet{}, ErrInvalidPacket},
	{"below digits", "/", false, Packet{}, ErrInvalidPacket},
	{"bad base64", "b!!!!", false, Packet{}, ErrInvalidPacket},
	{"unpadded base64", "bAQ", false, Packet{}, ErrInvalidPacket},
}

func TestParsePacket(t *testing.T) {
	for _, tt := range parsePacketTests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got, err := ParsePacket(in, tt.binary)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("ParsePacket(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if err != nil {
				return
			}
			if !codecPacketEqual(got, tt.want) {
				t.Fatalf("ParsePacket(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			// Data aliases the input: after the type byte, or all of a
			// binary frame.
			start := 1
			if tt.binary {
				start = 0
			}
			if len(got.Data) > 0 && &got.Data[0] != &in[start] {
				t.Errorf("Data does not alias the input")
			}
		})
	}
}

func TestAppendPacket(t *testing.T) {
	tests := []struct {
		p    Packet
		want string
	}{
		{Packet{Type: PacketOpen, Data: []byte(`{"sid":"x"}`)}, `0{"sid":"x"}`},
		{Packet{Type: PacketPing}, "2"},
		{Packet{Type: PacketPong, Data: []byte("probe")}, "3probe"},
		{codecText(`2["auth",{}]`), `42["auth",{}]`},
		{Packet{Type: PacketNoop}, "6"},
		{codecBin("\x01\x02\x03"), "\x01\x02\x03"},         // golden/eio-ws-frames.txt: binary frame 010203
		{Packet{Binary: true, Data: []byte{0xff}}, "\xff"}, // Binary wins over Type
	}
	buf := []byte("prefix:")
	for _, tt := range tests {
		got := AppendPacket(buf[:7], tt.p)
		if string(got[7:]) != tt.want || string(got[:7]) != "prefix:" {
			t.Errorf("AppendPacket(%+v) = %q, want %q", tt.p, got[7:], tt.want)
		}
	}
}

func TestPacketRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		p := Packet{Type: PacketType(rng.IntN(numPacketTypes)), Data: codecRandBytes(rng, 40)}
		if rng.IntN(3) == 0 {
			p = Packet{Type: PacketMessage, Binary: true, Data: p.Data}
		}
		wire := AppendPacket(nil, p)
		got, err := ParsePacket(wire, p.Binary)
		if err != nil || !codecPacketEqual(got, p) {
			t.Fatalf("round trip %+v: got %+v, %v", p, got, err)
		}
		// The payload form of one packet is also a valid WebSocket text packet.
		wire = AppendPayloadPacket(nil, p, false)
		got, err = ParsePacket(wire, false)
		if err != nil || !codecPacketEqual(got, p) {
			t.Fatalf("payload-form round trip %+v: got %+v, %v", p, got, err)
		}
	}
}

func codecRandBytes(rng *rand.Rand, max int) []byte {
	b := make([]byte, rng.IntN(max+1))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestDecodeBase64InPlace checks the hand-written decoder against
// encoding/base64 (the plain reference) for every length up to 64 and for
// corrupted inputs.
func TestDecodeBase64InPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 64; n++ {
		for k := 0; k < 20; k++ {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			enc := []byte(base64.StdEncoding.EncodeToString(src))
			got, ok := decodeBase64InPlace(enc)
			if !ok || !bytes.Equal(enc[:got], src) {
				t.Fatalf("decode(%q) = %x, %v; want %x", base64.StdEncoding.EncodeToString(src), enc[:got], ok, src)
			}
			// Corrupt one character: the reference decoder (strict) must agree.
			enc = []byte(base64.StdEncoding.EncodeToString(src))
			if len(enc) == 0 {
				continue
			}
			pos := rng.IntN(len(enc))
			enc[pos] = "A/+=\n\r-_.\x00\xff"[rng.IntN(11)]
			ref, refErr := base64.StdEncoding.Strict().DecodeString(string(enc))
			refOK := refErr == nil && !bytes.ContainsAny(enc, "\r\n")
			got, ok = decodeBase64InPlace(enc)
			if ok != refOK || ok && !bytes.Equal(enc[:got], ref) {
				t.Fatalf("decode(corrupted %q) = %v, reference %v (%v)", enc, ok, refOK, refErr)
			}
		}
	}
	for _, bad := range []string{"A", "AA", "AAA", "A===", "====", "AA=A", "AQ==AQ==", "AR==", "AQJ=", "AQ=\n", "AQ\r\n", "AQID\n"} {
		b := []byte(bad)
		if n, ok := decodeBase64InPlace(b); ok {
			t.Errorf("decode(%q) accepted: %x", bad, b[:n])
		}
	}
}

// FuzzParsePacket: no panics; a packet that decodes re-encodes to the exact
// input (text and binary frames), or for the 'b' + base64 text form to the
// exact input through the payload encoder.
func FuzzParsePacket(f *testing.F) {
	for _, tt := range parsePacketTests {
		f.Add([]byte(tt.in), tt.binary)
	}
	f.Add([]byte("bAQIDBA=="), false)
	f.Add([]byte("b3q2+7w=="), false)
	f.Add([]byte("4caf\xc3\xa9"), false)
	f.Fuzz(func(t *testing.T, in []byte, binary bool) {
		orig := bytes.Clone(in)
		p, err := ParsePacket(in, binary)
		if err != nil {
			if binary {
				t.Fatalf("binary message rejected: %v", err)
			}
			return
		}
		if p.Binary && p.Type != PacketMessage || p.Type >= numPacketTypes {
			t.Fatalf("bad packet %+v", p)
		}
		var re []byte
		if p.Binary && !binary {
			re = AppendPayloadPacket(nil, p, false)
		} else {
			re = AppendPacket(nil, p)
		}
		if !bytes.Equal(re, orig) {
			t.Fatalf("re-encoded %q, input %q", re, orig)
		}
	})
}

var benchTextPacket = []byte(`42["chat message",{"user":"alice","text":"hello, world","ts":1700000000000}]`)

func BenchmarkParsePacket(b *testing.B) {
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchTextPacket)))
		for b.Loop() {
			if _, err := ParsePacket(benchTextPacket, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("binary", func(b *testing.B) {
		data := make([]byte, 1024)
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := ParsePacket(data, true); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAppendPacket(b *testing.B) {
	p := Packet{Type: PacketMessage, Data: benchTextPacket[1:]}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTextPacket)))
	for b.Loop() {
		buf = AppendPacket(buf[:0], p)
	}
}
