package wsframe

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// unhex decodes space-separated hex ("81 7e 00 c9").
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

var mask37 = [4]byte{0x37, 0xfa, 0x21, 0x3d} // the key of the golden captures

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Header
		n    int
	}{
		{"text 7-bit", "81 06", Header{Fin: true, OpCode: ws.OpText, Length: 6}, 2},
		{"empty ping", "89 00", Header{Fin: true, OpCode: ws.OpPing}, 2},
		{"not fin continuation", "00 05", Header{OpCode: ws.OpContinuation, Length: 5}, 2},
		{"125 is still 7-bit", "82 7d", Header{Fin: true, OpCode: ws.OpBinary, Length: 125}, 2},
		{"16-bit", "81 7e 00 c9", Header{Fin: true, OpCode: ws.OpText, Length: 201}, 4},
		{"16-bit max", "82 7e ff ff", Header{Fin: true, OpCode: ws.OpBinary, Length: 65535}, 4},
		{"64-bit", "82 7f 00 00 00 00 00 01 2c 00", Header{Fin: true, OpCode: ws.OpBinary, Length: 76800}, 10},
		{"64-bit max", "82 7f 7f ff ff ff ff ff ff ff", Header{Fin: true, OpCode: ws.OpBinary, Length: 1<<63 - 1}, 10},
		{"non-minimal 16-bit accepted", "81 7e 00 05", Header{Fin: true, OpCode: ws.OpText, Length: 5}, 4},
		{"masked", "81 83 37 fa 21 3d", Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: mask37, Length: 3}, 6},
		{"masked 16-bit", "81 fe 01 00 01 02 03 04", Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 256}, 8},
		{"masked 64-bit", "82 ff 00 00 00 00 00 01 00 00 01 02 03 04", Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 65536}, 14},
		{"rsv1", "c1 02", Header{Fin: true, Rsv: 4, OpCode: ws.OpText, Length: 2}, 2},
		{"all rsv, reserved op", "7f 00", Header{Rsv: 7, OpCode: 0xf}, 2},
		{"trailing payload ignored", "81 02 34 78", Header{Fin: true, OpCode: ws.OpText, Length: 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.in)
			h, n, err := ParseHeader(b)
			if err != nil || n != tt.n || h != tt.want {
				t.Fatalf("ParseHeader(% x) = %+v, %d, %v; want %+v, %d", b, h, n, err, tt.want, tt.n)
			}
			// Every proper prefix of the header is incomplete.
			for i := range n {
				if _, m, err := ParseHeader(b[:i]); err != ErrNeedMore || m != 0 {
					t.Fatalf("prefix %d: n=%d err=%v, want ErrNeedMore", i, m, err)
				}
			}
		})
	}
}

func TestParseHeaderLengthMSB(t *testing.T) {
	for _, in := range []string{"82 7f 80 00 00 00 00 00 00 00", "82 ff ff ff ff ff ff ff ff ff 01 02 03 04"} {
		_, n, err := ParseHeader(unhex(t, in))
		var ce *CloseError
		if !errors.As(err, &ce) || ce.Code != ws.StatusProtocolError || n != 0 {
			t.Errorf("ParseHeader(%s) = n %d, err %v; want 1002", in, n, err)
		}
	}
}

func TestAppendHeaderRoundTrip(t *testing.T) {
	lengths := []int64{0, 1, 125, 126, 127, 200, 65535, 65536, 1 << 20, 1<<32 + 5, 1<<63 - 1}
	ops := []ws.OpCode{ws.OpContinuation, ws.OpText, ws.OpBinary, ws.OpClose, ws.OpPing, ws.OpPong}
	for _, l := range lengths {
		for _, op := range ops {
			for _, masked := range []bool{false, true} {
				h := Header{Fin: op != ws.OpContinuation, Rsv: byte(l % 8), OpCode: op, Masked: masked, Length: l}
				if masked {
					h.Mask = [4]byte{byte(l), 0xaa, 0x55, byte(op)}
				}
				b := AppendHeader([]byte("prefix"), h)
				if !bytes.HasPrefix(b, []byte("prefix")) {
					t.Fatal("AppendHeader clobbered dst")
				}
				b = b[len("prefix"):]
				if l <= 1<<31 && len(b) != HeaderSize(int(l), masked) {
					t.Errorf("len %d masked %v: header %d bytes, HeaderSize %d", l, masked, len(b), HeaderSize(int(l), masked))
				}
				got, n, err := ParseHeader(b)
				if err != nil || n != len(b) || got != h {
					t.Errorf("round trip %+v: got %+v, n %d (of %d), err %v", h, got, n, len(b), err)
				}
			}
		}
	}
}

func TestHeaderSize(t *testing.T) {
	tests := []struct {
		l      int
		masked bool
		want   int
	}{
		{0, false, 2}, {125, false, 2}, {126, false, 4}, {65535, false, 4}, {65536, false, 10},
		{0, true, 6}, {125, true, 6}, {126, true, 8}, {65535, true, 8}, {65536, true, 14},
	}
	for _, tt := range tests {
		if got := HeaderSize(tt.l, tt.masked); got != tt.want {
			t.Errorf("HeaderSize(%d, %v) = %d, want %d", tt.l, tt.masked, got, tt.want)
		}
	}
}

func TestAppendFrame(t *testing.T) {
	tests := []struct {
		name    string
		op      ws.OpCode
		payload []byte
		want    string // header, hex
	}{
		{"empty text", ws.OpText, nil, "81 00"},
		{"4hello", ws.OpText, []byte("4hello"), "81 06"},
		{"binary 3", ws.OpBinary, []byte{1, 2, 3}, "82 03"},
		{"pong", ws.OpPong, []byte("hi"), "8a 02"},
		{"text 201", ws.OpText, bytes.Repeat([]byte("a"), 201), "81 7e 00 c9"},
		{"binary 76800", ws.OpBinary, make([]byte, 76800), "82 7f 00 00 00 00 00 01 2c 00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := append(unhex(t, tt.want), tt.payload...)
			if got := AppendFrame(nil, tt.op, tt.payload); !bytes.Equal(got, want) {
				t.Fatalf("AppendFrame = % x..., want % x...", got[:min(len(got), 12)], want[:min(len(want), 12)])
			}
			dst := []byte("xy")
			if got := AppendFrame(dst, tt.op, tt.payload); !bytes.Equal(got, append([]byte("xy"), want...)) {
				t.Fatal("AppendFrame did not append to dst")
			}
		})
	}
}

func TestAppendClientFrame(t *testing.T) {
	payload := []byte("4x")
	orig := bytes.Clone(payload)
	// The golden capture's hand-made frame "81 82 37 fa 21 3d 03 82" is '4x' masked.
	got := AppendClientFrame(nil, ws.OpText, payload, mask37)
	if want := unhex(t, "81 82 37 fa 21 3d 03 82"); !bytes.Equal(got, want) {
		t.Fatalf("AppendClientFrame = % x, want % x", got, want)
	}
	if !bytes.Equal(payload, orig) {
		t.Fatal("AppendClientFrame modified its payload argument")
	}
	for _, l := range []int{0, 1, 3, 17, 125, 126, 1000, 70000} {
		p := randBytes(l, uint64(l))
		f := AppendClientFrame([]byte{9}, ws.OpBinary, p, [4]byte{1, 2, 3, 4})[1:]
		h, n, err := ParseHeader(f)
		if err != nil || !h.Masked || h.Length != int64(l) || n+l != len(f) {
			t.Fatalf("len %d: header %+v n %d err %v", l, h, n, err)
		}
		Unmask(f[n:], h.Mask, 0)
		if !bytes.Equal(f[n:], p) {
			t.Fatalf("len %d: payload does not unmask back", l)
		}
	}
}

// unmaskRef is the plain RFC 6455 section 5.3 algorithm, byte by byte.
func unmaskRef(p []byte, mask [4]byte, pos int) {
	for i := range p {
		p[i] ^= mask[(pos+i)%4]
	}
}

func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestUnmaskMatchesReference(t *testing.T) {
	masks := [][4]byte{{0, 0, 0, 0}, mask37, {0xff, 0xff, 0xff, 0xff}, {1, 2, 3, 4}}
	for l := 0; l <= 300; l++ {
		for pos := range 8 {
			for mi, m := range masks {
				// Unaligned starts exercise the head and tail handling.
				for off := range 3 {
					buf := randBytes(l+off, uint64(l*31+pos*7+mi))
					want := bytes.Clone(buf)
					unmaskRef(want[off:], m, pos)
					Unmask(buf[off:], m, pos)
					if !bytes.Equal(buf, want) {
						t.Fatalf("len %d pos %d mask %x off %d: mismatch", l, pos, m, off)
					}
				}
			}
		}
	}
	for _, l := range []int{1000, 4096, 4097, 65536 + 13} {
		buf := randBytes(l, uint64(l))
		want := bytes.Clone(buf)
		unmaskRef(want, mask37, 1)
		Unmask(buf, mask37, 1)
		if !bytes.Equal(buf, want) {
			t.Fatalf("len %d: mismatch", l)
		}
	}
}

func TestUnmaskInPieces(t *testing.T) {
	orig := randBytes(1000, 1)
	want := bytes.Clone(orig)
	unmaskRef(want, mask37, 0)
	for _, cut := range []int{1, 2, 3, 5, 16, 17, 100, 999} {
		p := bytes.Clone(orig)
		for i := 0; i < len(p); i += cut {
			Unmask(p[i:min(i+cut, len(p))], mask37, i)
		}
		if !bytes.Equal(p, want) {
			t.Fatalf("pieces of %d: mismatch", cut)
		}
	}
	// A negative position is taken modulo 4 rather than panicking.
	p := bytes.Clone(orig[:9])
	Unmask(p, mask37, -3)
	q := bytes.Clone(orig[:9])
	unmaskRef(q, mask37, 1)
	if !bytes.Equal(p, q) {
		t.Fatal("negative pos: mismatch")
	}
}
