package eio

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// codecDecodeAll runs next over a copy of payload until rest is nil or an
// error; it returns the packets decoded before the error.
func codecDecodeAll(payload []byte, next func([]byte) (Packet, []byte, error)) ([]Packet, error) {
	b := bytes.Clone(payload)
	if b == nil {
		b = []byte{}
	}
	var out []Packet
	for b != nil {
		p, rest, err := next(b)
		if err != nil {
			return out, err
		}
		out = append(out, p)
		b = rest
	}
	return out, nil
}

func codecPacketsEqual(a, b []Packet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !codecPacketEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// v4 polling payloads from the golden captures, in both directions; the
// server sends exactly these bytes for these packets.
var payloadTests = []struct {
	name string
	wire string
	want []Packet
}{
	// golden/eio-polling-post-batch.txt (POST and the echoed GET).
	{"batch", "4hello\x1e4world\x1e4caf\xc3\xa9", []Packet{codecText("hello"), codecText("world"), codecText("caf\xc3\xa9")}},
	// golden/eio-polling-binary.txt (POST and the echoed GET).
	{"binary", "bAQIDBA==\x1e4text\x1eb/w==", []Packet{codecBin("\x01\x02\x03\x04"), codecText("text"), codecBin("\xff")}},
	// golden/sio-binary-client-to-server.txt.
	{"sio binary event", "451-[\"message\",{\"_placeholder\":true,\"num\":0}]\x1ebCgsM",
		[]Packet{codecText("51-[\"message\",{\"_placeholder\":true,\"num\":0}]"), codecBin("\x0a\x0b\x0c")}},
	// golden/sio-binary-server-to-client.txt.
	{"sio binary event and ack", "452-[\"binary\",{\"_placeholder\":true,\"num\":0},{\"nested\":{\"_placeholder\":true,\"num\":1},\"text\":\"x\"}]" +
		"\x1ebAQID\x1eb/w==\x1e461-1[{\"_placeholder\":true,\"num\":0},\"text\"]\x1eb3q2+7w==",
		[]Packet{
			codecText("52-[\"binary\",{\"_placeholder\":true,\"num\":0},{\"nested\":{\"_placeholder\":true,\"num\":1},\"text\":\"x\"}]"),
			codecBin("\x01\x02\x03"), codecBin("\xff"),
			codecText("61-1[{\"_placeholder\":true,\"num\":0},\"text\"]"), codecBin("\xde\xad\xbe\xef"),
		}},
	// golden/sio-polling-batching.txt.
	{"sio batching", "42[\"a\",1]\x1e42[\"b\",2]\x1e42[\"c\",3]", []Packet{codecText("2[\"a\",1]"), codecText("2[\"b\",2]"), codecText("2[\"c\",3]")}},
	{"sio connect", "40{\"sid\":\"<SOCKET_ID>\"}\x1e42[\"auth\",{}]", []Packet{codecText("0{\"sid\":\"<SOCKET_ID>\"}"), codecText("2[\"auth\",{}]")}},
	// golden/sio-server-disconnect.txt: noop then close.
	{"noop close", "6\x1e1", []Packet{{Type: PacketNoop}, {Type: PacketClose}}},
	// golden/eio-ping-polling.txt and the open packet of every polling handshake.
	{"ping", "2", []Packet{{Type: PacketPing}}},
	{"open", `0{"sid":"<SID>","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
		[]Packet{{Type: PacketOpen, Data: []byte(`{"sid":"<SID>","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)}}},
	{"empty binary", "b\x1e4", []Packet{codecBin(""), codecText("")}},
	{"all types", "0\x1e1\x1e2\x1e3\x1e4\x1e5\x1e6", []Packet{{Type: 0}, {Type: 1}, {Type: 2}, {Type: 3}, {Type: 4}, {Type: 5}, {Type: 6}}},
}

func TestNextPayloadPacket(t *testing.T) {
	for _, tt := range payloadTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codecDecodeAll([]byte(tt.wire), NextPayloadPacket)
			if err != nil || !codecPacketsEqual(got, tt.want) {
				t.Fatalf("decode %q = %+v, %v; want %+v", tt.wire, got, err, tt.want)
			}
		})
	}
}

func TestAppendPayloadPacket(t *testing.T) {
	for _, tt := range payloadTests {
		t.Run(tt.name, func(t *testing.T) {
			buf := []byte("x")
			for i, p := range tt.want {
				buf = AppendPayloadPacket(buf, p, i > 0)
			}
			if string(buf[1:]) != tt.wire || buf[0] != 'x' {
				t.Fatalf("encode = %q, want %q", buf[1:], tt.wire)
			}
		})
	}
}

func TestNextPayloadPacketErrors(t *testing.T) {
	tests := []struct {
		name string
		wire string
		good int // packets decoded before the error
		err  error
	}{
		{"empty payload", "", 0, ErrInvalidPacket},
		{"trailing separator", "4a\x1e", 1, ErrInvalidPacket},
		{"leading separator", "\x1e4a", 0, ErrInvalidPacket},
		{"double separator", "4a\x1e\x1e4b", 1, ErrInvalidPacket},
		{"only separator", "\x1e", 0, ErrInvalidPacket},
		// golden/sio-disconnect-reasons.txt: POST body "x" -> parse error.
		{"unknown type letter", "x", 0, ErrInvalidPacket},
		{"unknown type digit", "4a\x1e7b", 1, ErrInvalidPacket},
		{"bad base64 char", "bAQI!", 0, ErrInvalidPacket},
		{"base64 missing padding", "4a\x1ebAQ", 1, ErrInvalidPacket},
		{"base64 url alphabet", "b-_8=", 0, ErrInvalidPacket},
		{"base64 newline", "bAQID\nAQID", 0, ErrInvalidPacket},
		{"base64 nonzero bits", "bAR==", 0, ErrInvalidPacket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codecDecodeAll([]byte(tt.wire), NextPayloadPacket)
			if !errors.Is(err, tt.err) || len(got) != tt.good {
				t.Fatalf("decode %q = %d packets, %v; want %d, %v", tt.wire, len(got), err, tt.good, tt.err)
			}
		})
	}
}

// TestNextPayloadPacketAliasing checks that Data aliases the payload and that
// decoding later records leaves earlier packets intact.
func TestNextPayloadPacketAliasing(t *testing.T) {
	b := []byte("bAQIDBA==\x1e4text\x1eb/w==")
	p1, rest, err := NextPayloadPacket(b)
	if err != nil || &p1.Data[0] != &b[1] {
		t.Fatalf("first packet %+v, %v", p1, err)
	}
	p2, rest, _ := NextPayloadPacket(rest)
	p3, rest, _ := NextPayloadPacket(rest)
	if rest != nil {
		t.Fatalf("rest = %q, want nil", rest)
	}
	if string(p1.Data) != "\x01\x02\x03\x04" || string(p2.Data) != "text" || string(p3.Data) != "\xff" {
		t.Fatalf("packets changed: %x %q %x", p1.Data, p2.Data, p3.Data)
	}
	// rest after a trailing separator is empty but not nil.
	_, rest, _ = NextPayloadPacket([]byte("4a\x1e"))
	if rest == nil || len(rest) != 0 {
		t.Fatalf("rest after trailing separator = %v", rest)
	}
}

// codecCheckSplit cuts in at an arbitrary point into a and b; when both
// halves are complete payloads, a+join+b must decode to the packets of a
// followed by those of b (records are independent of what surrounds them).
func codecCheckSplit(t *testing.T, in []byte, cut uint16, join string, next func([]byte) (Packet, []byte, error)) {
	k := int(cut) % (len(in) + 1)
	a, errA := codecDecodeAll(in[:k], next)
	b, errB := codecDecodeAll(in[k:], next)
	if errA != nil || errB != nil {
		return
	}
	joined := append(append(bytes.Clone(in[:k]), join...), in[k:]...)
	got, err := codecDecodeAll(joined, next)
	if err != nil || !codecPacketsEqual(got, append(a, b...)) {
		t.Fatalf("%q + %q decodes to %+v, %v; want %+v then %+v", in[:k], in[k:], got, err, a, b)
	}
}

// FuzzPayload: no panics; a payload that decodes completely re-encodes to the
// same bytes (the decoder only accepts the canonical form); the packets
// decoded before an error are unaffected by the error; and two payloads cut
// from the input at an arbitrary point and joined decode independently.
func FuzzPayload(f *testing.F) {
	for _, tt := range payloadTests {
		f.Add([]byte(tt.wire), uint16(len(tt.wire)/2))
	}
	for _, s := range []string{"", "\x1e", "4a\x1e", "x", "bAQ", "b", "4\x1e\x1e4", "bAR==", "4a\x1e7b"} {
		f.Add([]byte(s), uint16(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		codecCheckSplit(t, in, cut, "\x1e", NextPayloadPacket)
		got, err := codecDecodeAll(in, NextPayloadPacket)
		for _, p := range got {
			if p.Type >= numPacketTypes || p.Binary && p.Type != PacketMessage {
				t.Fatalf("bad packet %+v", p)
			}
		}
		var re []byte
		for i, p := range got {
			re = AppendPayloadPacket(re, p, i > 0)
		}
		if err != nil {
			// The good packets are a prefix of the input's records.
			if len(got) > 0 && !bytes.HasPrefix(in, append(re, payloadSep)) {
				t.Fatalf("packets before the error re-encode to %q, not a prefix of %q", re, in)
			}
			return
		}
		if !bytes.Equal(re, in) {
			t.Fatalf("re-encoded %q, input %q", re, in)
		}
		// Decoding the re-encoded form gives the same packets.
		again, err := codecDecodeAll(re, NextPayloadPacket)
		if err != nil || !codecPacketsEqual(again, got) {
			t.Fatalf("second decode %+v, %v", again, err)
		}
	})
}

// benchPayload is a Socket.IO binary event over polling: the header packet,
// one attachment, and another event (text + binary).
var benchPayload = []byte("451-[\"upload\",{\"_placeholder\":true,\"num\":0}]\x1eb" +
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==" +
	"\x1e42[\"chat\",\"hello, world\"]")

var benchPayloadPackets = []Packet{
	codecText("51-[\"upload\",{\"_placeholder\":true,\"num\":0}]"),
	{Type: PacketMessage, Binary: true, Data: func() []byte {
		b := make([]byte, 64)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}()},
	codecText("2[\"chat\",\"hello, world\"]"),
}

func TestBenchPayloadVectors(t *testing.T) {
	got, err := codecDecodeAll(benchPayload, NextPayloadPacket)
	if err != nil || !codecPacketsEqual(got, benchPayloadPackets) {
		t.Fatalf("bench payload decodes to %+v, %v", got, err)
	}
}

// codecDecodePayload decodes a payload in place in scratch (a copy of src)
// and returns the number of packets.
func codecDecodePayload(scratch, src []byte) (int, error) {
	b := scratch[:copy(scratch, src)]
	n := 0
	for b != nil {
		var err error
		if _, b, err = NextPayloadPacket(b); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func codecEncodePayload(dst []byte, ps []Packet) []byte {
	for i, p := range ps {
		dst = AppendPayloadPacket(dst, p, i > 0)
	}
	return dst
}

func BenchmarkNextPayloadPacket(b *testing.B) {
	scratch := make([]byte, len(benchPayload))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	for b.Loop() {
		// The copy restores the base64 that the previous pass decoded in place.
		if n, err := codecDecodePayload(scratch, benchPayload); err != nil || n != 3 {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkAppendPayloadPacket(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	for b.Loop() {
		buf = codecEncodePayload(buf[:0], benchPayloadPackets)
	}
}

func ExampleNextPayloadPacket() {
	body := []byte("4hello\x1ebAQID\x1e2") // a POST body; decoded in place
	for b := body; b != nil; {
		p, rest, err := NextPayloadPacket(b)
		if err != nil {
			fmt.Println("parse error:", err)
			return
		}
		fmt.Printf("%s binary=%v %q\n", p.Type, p.Binary, p.Data)
		b = rest
	}
	// Output:
	// message binary=false "hello"
	// message binary=true "\x01\x02\x03"
	// ping binary=false ""
}

func ExampleAppendPayloadPacket() {
	var buf []byte // reuse it across responses: buf = buf[:0]
	buf = AppendPayloadPacket(buf, Packet{Type: PacketMessage, Data: []byte(`2["a",1]`)}, false)
	buf = AppendPayloadPacket(buf, Packet{Type: PacketMessage, Binary: true, Data: []byte{1, 2, 3}}, true)
	fmt.Printf("%q\n", buf)
	// Output: "42[\"a\",1]\x1ebAQID"
}
