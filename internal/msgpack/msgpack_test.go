package msgpack_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"testing"

	"github.com/sioloop/sioloop/internal/msgpack"
	"github.com/sioloop/sioloop/sio/parser"
)

func TestWritersAndReaders(t *testing.T) {
	for _, v := range []int64{0, 127, 128, 255, 256, 65535, 65536, 1 << 32, math.MaxInt64, -1, -32, -33, -128, -129, -32768, -32769, math.MinInt32 - 1, math.MinInt64} {
		b := msgpack.AppendInt(nil, v)
		got, rest, err := msgpack.ReadInt(b)
		if err != nil || got != v || len(rest) != 0 {
			t.Errorf("%d: % x read as %d, %v", v, b, got, err)
		}
		if r, err := msgpack.Skip(b, 1); err != nil || len(r) != 0 {
			t.Errorf("%d: Skip: %v", v, err)
		}
	}
	for _, n := range []int{0, 31, 32, 255, 256, 65535, 65536} {
		s := bytes.Repeat([]byte("a"), n)
		b := msgpack.AppendStrBytes(nil, s)
		got, rest, err := msgpack.ReadStr(b)
		if err != nil || !bytes.Equal(got, s) || len(rest) != 0 || !msgpack.IsStr(b) {
			t.Errorf("str %d: %v", n, err)
		}
		bin := msgpack.AppendBin(nil, s)
		if r, err := msgpack.Skip(bin, 1); err != nil || len(r) != 0 {
			t.Errorf("bin %d: Skip: %v", n, err)
		}
	}
	for _, n := range []int{0, 15, 16, 65535, 65536} {
		a := msgpack.AppendArrayHeader(nil, n)
		if got, _, err := msgpack.ArrayLen(append(a, make([]byte, n)...)); err != nil || got != n {
			t.Errorf("array %d: %d, %v", n, got, err)
		}
		m := msgpack.AppendMapHeader(nil, n)
		if got, _, err := msgpack.MapLen(append(m, make([]byte, 2*n)...)); err != nil || got != n {
			t.Errorf("map %d: %d, %v", n, got, err)
		}
	}
	// A length beyond the input is refused before anything is read.
	if _, _, err := msgpack.ArrayLen([]byte{0xdd, 0xff, 0xff, 0xff, 0xff}); err == nil {
		t.Error("array 32 of 2^32-1 members in 5 bytes accepted")
	}
	if !msgpack.IsUndefined([]byte{0xd4, 0, 0}) || msgpack.IsUndefined([]byte{0xd4, 1, 0}) {
		t.Error("IsUndefined")
	}
}

// FuzzSkip: Skip never panics, and wherever the transcoder of sio/parser
// reads a value, Skip passes over exactly the same bytes.
func FuzzSkip(f *testing.F) {
	for _, h := range []string{
		"93a2657601c4020102",
		"85a47479706502a46461746193a568656c6c6f82a161d40000a16292d40000cb4004000000000000c702000908a76f7074696f6e7381a8636f6d7072657373c3a2696403a36e7370a52f63686174",
		"d7000000018cc820db2e", "d6ff00000001", "c80003000a0b0c", "dc000391c0c2", "de0001a16190", "ca3f800000", "c1",
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, m []byte) {
		m = m[:len(m):len(m)]
		rest, err := msgpack.Skip(m, 1000)
		if err == nil && len(rest) > len(m) {
			t.Fatalf("% x: rest longer than the input", m)
		}
		_, jrest, jerr := parser.AppendMsgpackJSON(nil, m, new([][]byte))
		if jerr == nil && (err != nil || len(rest) != len(jrest)) {
			t.Fatalf("% x: the transcoder reads %d bytes, Skip %d (%v)", m, len(m)-len(jrest), len(m)-len(rest), err)
		}
	})
}
