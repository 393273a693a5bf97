package wsframe

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"
)

var testMask = [4]byte{0xa1, 0x02, 0x7e, 0xd4}

// fr builds a frame from a client (masked with testMask) with the given FIN,
// RSV bits and opcode, which may break any rule.
func fr(fin bool, rsv byte, op ws.OpCode, payload string) []byte {
	return frMasked(fin, rsv, op, payload, true)
}

func frMasked(fin bool, rsv byte, op ws.OpCode, payload string, masked bool) []byte {
	h := Header{Fin: fin, Rsv: rsv, OpCode: op, Masked: masked, Length: int64(len(payload))}
	if masked {
		h.Mask = testMask
	}
	b := AppendHeader(nil, h)
	start := len(b)
	b = append(b, payload...)
	if masked {
		Unmask(b[start:], testMask, 0)
	}
	return b
}

// srv builds an unmasked frame (from a server).
func srv(fin bool, op ws.OpCode, payload string) []byte { return frMasked(fin, 0, op, payload, false) }

func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

type msg struct {
	op      ws.OpCode
	payload string
}

// decodeAll calls Next until it stops and returns the messages (copied), the
// close code of the final error (0 for ErrNeedMore, -1 for another error)
// and the bytes left unconsumed.
func decodeAll(t testing.TB, d *Decoder, b []byte) (msgs []msg, code int, left int) {
	t.Helper()
	for {
		m, n, err := d.Next(b)
		if n < 0 || n > len(b) {
			t.Fatalf("Next consumed %d of %d bytes", n, len(b))
		}
		b = b[n:]
		if err == ErrNeedMore {
			return msgs, 0, len(b)
		}
		if err != nil {
			return msgs, codeOf(err), len(b)
		}
		if n == 0 {
			t.Fatal("Next returned a message without consuming bytes")
		}
		msgs = append(msgs, msg{m.Op, string(m.Payload)})
	}
}

func TestDecoderRules(t *testing.T) {
	ctl125 := strings.Repeat("p", 125)
	tests := []struct {
		name   string
		d      Decoder
		stream []byte
		want   []msg
		code   int // close code of the final error; 0 means the stream ends in ErrNeedMore
	}{
		// Accepted.
		{"masked text", Decoder{}, fr(true, 0, ws.OpText, "4hello"), []msg{{ws.OpText, "4hello"}}, 0},
		{"empty text", Decoder{}, fr(true, 0, ws.OpText, ""), []msg{{ws.OpText, ""}}, 0},
		{"binary not utf-8", Decoder{}, fr(true, 0, ws.OpBinary, "\xff\xfe"), []msg{{ws.OpBinary, "\xff\xfe"}}, 0},
		{"utf-8 text", Decoder{}, fr(true, 0, ws.OpText, "4caf\xc3\xa9 𝄞"), []msg{{ws.OpText, "4caf\xc3\xa9 𝄞"}}, 0},
		{"ping 125", Decoder{}, fr(true, 0, ws.OpPing, ctl125), []msg{{ws.OpPing, ctl125}}, 0},
		{"unsolicited pong", Decoder{}, fr(true, 0, ws.OpPong, "x"), []msg{{ws.OpPong, "x"}}, 0},
		{"close empty", Decoder{}, fr(true, 0, ws.OpClose, ""), []msg{{ws.OpClose, ""}}, 0},
		{"close 1000 reason", Decoder{}, fr(true, 0, ws.OpClose, "\x03\xe8bye"), []msg{{ws.OpClose, "\x03\xe8bye"}}, 0},
		{"client side unmasked", Decoder{Client: true}, srv(true, ws.OpText, "4x"), []msg{{ws.OpText, "4x"}}, 0},
		{"fragments", Decoder{}, cat(fr(false, 0, ws.OpText, "4fr"), fr(false, 0, 0, ""), fr(true, 0, 0, "ag")), []msg{{ws.OpText, "4frag"}}, 0},
		{"empty fragments", Decoder{}, cat(fr(false, 0, ws.OpBinary, ""), fr(true, 0, 0, "")), []msg{{ws.OpBinary, ""}}, 0},
		{"control between fragments", Decoder{},
			cat(fr(false, 0, ws.OpText, "a"), fr(true, 0, ws.OpPing, "p"), fr(false, 0, 0, "b"), fr(true, 0, ws.OpPong, ""), fr(true, 0, 0, "c"), fr(true, 0, ws.OpText, "d")),
			[]msg{{ws.OpPing, "p"}, {ws.OpPong, ""}, {ws.OpText, "abc"}, {ws.OpText, "d"}}, 0},
		{"close between fragments", Decoder{}, cat(fr(false, 0, ws.OpText, "a"), fr(true, 0, ws.OpClose, "\x03\xe8")),
			[]msg{{ws.OpClose, "\x03\xe8"}}, 0},
		{"rune split over fragments", Decoder{}, cat(fr(false, 0, ws.OpText, "caf\xc3"), fr(true, 0, 0, "\xa9")), []msg{{ws.OpText, "café"}}, 0},
		{"4-byte rune over three fragments", Decoder{}, cat(fr(false, 0, ws.OpText, "\xf0\x9d"), fr(false, 0, 0, "\x84"), fr(true, 0, 0, "\x9e!")),
			[]msg{{ws.OpText, "𝄞!"}}, 0},
		{"exactly MaxMessage", Decoder{MaxMessage: 5}, fr(true, 0, ws.OpText, "12345"), []msg{{ws.OpText, "12345"}}, 0},
		{"fragments exactly MaxMessage", Decoder{MaxMessage: 5}, cat(fr(false, 0, ws.OpText, "123"), fr(true, 0, 0, "45")), []msg{{ws.OpText, "12345"}}, 0},
		{"control frames not counted in MaxMessage", Decoder{MaxMessage: 1}, cat(fr(false, 0, ws.OpText, "1"), fr(true, 0, ws.OpPing, "long ping"), fr(true, 0, 0, "")),
			[]msg{{ws.OpPing, "long ping"}, {ws.OpText, "1"}}, 0},
		{"16-bit length", Decoder{}, fr(true, 0, ws.OpBinary, strings.Repeat("x", 300)), []msg{{ws.OpBinary, strings.Repeat("x", 300)}}, 0},
		{"64-bit length", Decoder{}, fr(true, 0, ws.OpBinary, strings.Repeat("x", 70000)), []msg{{ws.OpBinary, strings.Repeat("x", 70000)}}, 0},

		// 1002 protocol errors.
		{"unmasked from client", Decoder{}, srv(true, ws.OpText, "4x"), nil, 1002},
		{"masked from server", Decoder{Client: true}, fr(true, 0, ws.OpText, "4x"), nil, 1002},
		{"rsv1", Decoder{}, fr(true, 4, ws.OpText, "4x"), nil, 1002},
		{"rsv2", Decoder{}, fr(true, 2, ws.OpText, "4x"), nil, 1002},
		{"rsv3", Decoder{}, fr(true, 1, ws.OpBinary, "4x"), nil, 1002},
		{"rsv on control", Decoder{}, fr(true, 4, ws.OpPing, ""), nil, 1002},
		{"opcode 3", Decoder{}, fr(true, 0, 3, "x"), nil, 1002},
		{"opcode 7", Decoder{}, fr(true, 0, 7, "x"), nil, 1002},
		{"opcode 0xb", Decoder{}, fr(true, 0, 0xb, ""), nil, 1002},
		{"opcode 0xf", Decoder{}, fr(true, 0, 0xf, ""), nil, 1002},
		{"fragmented ping", Decoder{}, fr(false, 0, ws.OpPing, ""), nil, 1002},
		{"fragmented close", Decoder{}, fr(false, 0, ws.OpClose, ""), nil, 1002},
		{"ping 126", Decoder{}, fr(true, 0, ws.OpPing, ctl125+"p"), nil, 1002},
		{"close 126", Decoder{}, fr(true, 0, ws.OpClose, "\x03\xe8"+strings.Repeat("r", 124)), nil, 1002},
		{"pong 64-bit length", Decoder{}, fr(true, 0, ws.OpPong, strings.Repeat("p", 70000)), nil, 1002},
		{"continuation first", Decoder{}, fr(true, 0, 0, "x"), nil, 1002},
		{"continuation after complete", Decoder{}, cat(fr(true, 0, ws.OpText, "a"), fr(true, 0, 0, "b")), []msg{{ws.OpText, "a"}}, 1002},
		{"text inside fragmented", Decoder{}, cat(fr(false, 0, ws.OpText, "a"), fr(true, 0, ws.OpText, "b")), nil, 1002},
		{"binary inside fragmented", Decoder{}, cat(fr(false, 0, ws.OpText, "a"), fr(false, 0, ws.OpBinary, "b")), nil, 1002},
		{"64-bit length MSB", Decoder{}, unhex(t, "82 ff 80 00 00 00 00 00 00 00 37 fa 21 3d"), nil, 1002},
		{"close 1 byte", Decoder{}, fr(true, 0, ws.OpClose, "\x03"), nil, 1002},
		{"close code 1005", Decoder{}, fr(true, 0, ws.OpClose, "\x03\xed"), nil, 1002},
		{"close code 999", Decoder{}, fr(true, 0, ws.OpClose, "\x03\xe7"), nil, 1002},
		{"close code 5000", Decoder{}, fr(true, 0, ws.OpClose, "\x13\x88"), nil, 1002},

		// 1007 invalid UTF-8.
		{"bad utf-8 text", Decoder{}, fr(true, 0, ws.OpText, "4\xff\xfe"), nil, 1007},
		{"overlong", Decoder{}, fr(true, 0, ws.OpText, "\xc0\x80"), nil, 1007},
		{"surrogate", Decoder{}, fr(true, 0, ws.OpText, "\xed\xa0\x80"), nil, 1007},
		{"above U+10FFFF", Decoder{}, fr(true, 0, ws.OpText, "\xf4\x90\x80\x80"), nil, 1007},
		{"truncated rune", Decoder{}, fr(true, 0, ws.OpText, "ab\xe2\x82"), nil, 1007},
		{"bad utf-8 over fragments", Decoder{}, cat(fr(false, 0, ws.OpText, "ab"), fr(true, 0, 0, "\xff")), nil, 1007},
		{"incomplete rune at message end", Decoder{}, cat(fr(false, 0, ws.OpText, "ab\xe2\x82"), fr(true, 0, 0, "")), nil, 1007},
		{"fail fast on first fragment", Decoder{}, fr(false, 0, ws.OpText, "a\xffb"), nil, 1007},
		{"fail fast on impossible continuation", Decoder{}, fr(false, 0, ws.OpText, "\xe0\x80"), nil, 1007},
		{"close reason not utf-8", Decoder{}, fr(true, 0, ws.OpClose, "\x03\xe8\xff"), nil, 1007},

		// 1009 too big.
		{"over MaxMessage", Decoder{MaxMessage: 5}, fr(true, 0, ws.OpText, "123456"), nil, 1009},
		{"fragments over MaxMessage", Decoder{MaxMessage: 5}, cat(fr(false, 0, ws.OpText, "123"), fr(true, 0, 0, "456")), nil, 1009},
		{"huge declared length", Decoder{MaxMessage: 1 << 20}, unhex(t, "82 ff 00 00 01 00 00 00 00 00 37 fa 21 3d"), nil, 1009},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			got, code, left := decodeAll(t, &d, bytes.Clone(tt.stream))
			if code != tt.code {
				t.Fatalf("final close code %d, want %d (messages %q)", code, tt.code, got)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("messages %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("message %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
			if tt.code == 0 && left != 0 {
				t.Fatalf("%d bytes left unconsumed", left)
			}
		})
	}
}

// Every header-decidable violation is reported from the header alone,
// before any payload byte (and, when the first two bytes decide it, before
// the extended length and mask arrive).
func TestDecoderFailsFromHeader(t *testing.T) {
	tests := []struct {
		name   string
		d      Decoder
		prefix string
		code   int
	}{
		{"1009 with 16-bit length", Decoder{MaxMessage: 1000}, "81 fe 03 e9 37 fa 21 3d", 1009},
		{"1009 with 64-bit length", Decoder{MaxMessage: 1000}, "82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d", 1009},
		{"1009 on a continuation", Decoder{MaxMessage: 4}, "01 82 37 fa 21 3d 03 9c 80 83 37 fa 21 3d", 1009},
		{"unmasked, 2 bytes", Decoder{}, "81 7f", 1002},
		{"rsv1, 2 bytes", Decoder{}, "c1 82", 1002},
		{"reserved opcode, 2 bytes", Decoder{}, "83 ff", 1002},
		{"control length 126, 2 bytes", Decoder{}, "89 fe", 1002},
		{"length MSB", Decoder{}, "82 ff 80 00 00 00 00 00 00 00", 1002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			_, code, _ := decodeAll(t, &d, unhex(t, tt.prefix))
			if code != tt.code {
				t.Fatalf("close code %d, want %d", code, tt.code)
			}
		})
	}
}

func TestDecoderNeedMore(t *testing.T) {
	var d Decoder
	f := fr(true, 0, ws.OpText, "hello")
	for i := range len(f) {
		b := bytes.Clone(f[:i])
		m, n, err := d.Next(b)
		if err != ErrNeedMore || n != 0 || m.Payload != nil || !bytes.Equal(b, f[:i]) {
			t.Fatalf("prefix %d: n %d err %v, or bytes modified", i, n, err)
		}
	}
	// Fragments that are complete are consumed even though the message is not.
	b := cat(fr(false, 0, ws.OpText, "ab"), fr(false, 0, 0, "cd"), fr(true, 0, 0, "ef")[:3])
	orig := bytes.Clone(b)
	_, n, err := d.Next(b)
	if want := 2*HeaderSize(2, true) + 2*2; err != ErrNeedMore || n != want {
		t.Fatalf("n %d err %v, want %d, ErrNeedMore", n, err, want)
	}
	if !bytes.Equal(b[n:], orig[n:]) {
		t.Fatal("Next modified bytes it did not consume")
	}
	m, n, err := d.Next(fr(true, 0, 0, "ef"))
	if err != nil || m.Op != ws.OpText || string(m.Payload) != "abcdef" || n != HeaderSize(2, true)+2 {
		t.Fatalf("got %v %q n %d err %v", m.Op, m.Payload, n, err)
	}
}

func TestDecoderPayloadAliasesInput(t *testing.T) {
	var d Decoder
	b := cat(fr(true, 0, ws.OpText, "4hello"), fr(true, 0, ws.OpText, "next"))
	m, n, err := d.Next(b)
	if err != nil || n != 12 {
		t.Fatal(n, err)
	}
	if &m.Payload[0] != &b[6] {
		t.Fatal("payload of an unfragmented message is not in place")
	}
	if cap(m.Payload) != len(m.Payload) {
		t.Fatal("payload capacity reaches into the next frame")
	}
	_ = append(m.Payload, "!!"...) // must not clobber the next frame
	if m, _, err := d.Next(b[n:]); err != nil || string(m.Payload) != "next" {
		t.Fatalf("next frame: %q %v", m.Payload, err)
	}
}

func TestDecoderPool(t *testing.T) {
	var pool bytebufferpool.Pool
	d := Decoder{Pool: &pool}
	stream := cat(fr(false, 0, ws.OpBinary, "ab"), fr(true, 0, 0, "cd"))
	for i := range 3 {
		m, _, err := d.Next(bytes.Clone(stream))
		if err != nil || string(m.Payload) != "abcd" {
			t.Fatalf("round %d: %q %v", i, m.Payload, err)
		}
		if d.frag == nil || !d.done {
			t.Fatal("buffer not held until the next call")
		}
		if cap(m.Payload) != len(m.Payload) {
			t.Fatal("reassembled payload capacity not capped")
		}
	}
	if _, _, err := d.Next(nil); err != ErrNeedMore || d.frag != nil {
		t.Fatalf("buffer not released on the next call (err %v)", err)
	}
	// Reset drops a half-received message.
	if _, _, err := d.Next(fr(false, 0, ws.OpText, "ab")); err != ErrNeedMore || d.frag == nil {
		t.Fatal("first fragment not buffered")
	}
	d.Reset()
	if d.frag != nil || d.op != 0 || d.Pool != &pool {
		t.Fatal("Reset did not drop fragments or lost the configuration")
	}
	if m, _, err := d.Next(fr(true, 0, ws.OpText, "fresh")); err != nil || string(m.Payload) != "fresh" {
		t.Fatalf("after Reset: %q %v", m.Payload, err)
	}
}

func TestDecoderIsSmall(t *testing.T) {
	if s := unsafe.Sizeof(Decoder{}); s > 40 {
		t.Fatalf("Decoder is %d bytes; it lives in every connection, keep it at most 40", s)
	}
	if s := unsafe.Sizeof(Header{}); s > 16 {
		t.Fatalf("Header is %d bytes, want at most 16", s)
	}
}

func TestCompleteUTF8(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0}, {"abc", 3}, {"ab\xc3", 2}, {"ab\xc3\xa9", 4}, {"\xe2\x82", 0}, {"x\xe2\x82\xac", 4},
		{"\xf0\x9d\x84", 0}, {"\xf0\x9d\x84\x9e", 4}, {"\xf0", 0},
		{"a\xff", 2}, {"a\xc0", 2}, {"\xe0\x80", 2}, {"\xed\xa0", 2}, {"\xf4\x90", 2}, {"\x80\x80\x80", 3},
	}
	for _, tt := range tests {
		if got := completeUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("completeUTF8(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// A fragmented message may have at most MaxFragments frames: the next one
// fails with 1008 from its first byte; a message at the bound is fine, and
// the count starts again with the next message.
func TestDecoderMaxFragments(t *testing.T) {
	frames := func(n int) []byte {
		b := fr(false, 0, ws.OpText, "a")
		for i := 1; i < n-1; i++ {
			b = append(b, fr(false, 0, ws.OpContinuation, "a")...)
		}
		return append(b, fr(true, 0, ws.OpContinuation, "a")...)
	}
	d := &Decoder{MaxFragments: 4}
	msgs, code, _ := decodeAll(t, d, cat(frames(4), frames(4)))
	if code != 0 || len(msgs) != 2 || msgs[0].payload != "aaaa" {
		t.Fatalf("at the bound: %v, code %d", msgs, code)
	}
	d.Reset()
	if _, code, _ := decodeAll(t, d, frames(5)); code != int(ws.StatusPolicyViolation) {
		t.Fatalf("past the bound: code %d, want 1008", code)
	}
	var def Decoder // the default bound
	if _, code, _ := decodeAll(t, &def, frames(DefaultMaxFragments+1)); code != int(ws.StatusPolicyViolation) {
		t.Fatalf("past DefaultMaxFragments: code %d, want 1008", code)
	}
	more := &Decoder{MaxFragments: DefaultMaxFragments + 1}
	if msgs, code, _ := decodeAll(t, more, frames(DefaultMaxFragments+1)); code != 0 || len(msgs) != 1 {
		t.Fatalf("a larger bound: code %d", code)
	}
}
