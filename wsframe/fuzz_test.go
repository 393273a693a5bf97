package wsframe

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"
)

// Run with: go test -run '^$' -fuzz '^FuzzParseHeader$' ./wsframe/
// Seeds: the f.Add calls below and testdata/fuzz/FuzzParseHeader/.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"", "\x81", "\x81\x06", "\x81\x7e\x00\xc9", "\x82\x7f\x00\x00\x00\x00\x00\x01\x2c\x00",
		"\x81\x83\x37\xfa\x21\x3d\x03\x05\xdf", "\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04",
		"\xc1\x82\x37\xfa\x21\x3d", "\x81\x7e\x00\x05", "\x88\x02\x03\xe8",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := bytes.Clone(data)
		h, n, err := ParseHeader(data)
		if !bytes.Equal(data, orig) {
			t.Fatal("ParseHeader modified its input")
		}
		var ce *CloseError
		switch {
		case err == ErrNeedMore:
			if n != 0 || len(data) >= MaxHeaderSize {
				t.Fatalf("ErrNeedMore with n %d on %d bytes", n, len(data))
			}
			return
		case errors.As(err, &ce):
			if n != 0 || ce.Code != ws.StatusProtocolError {
				t.Fatalf("error %v with n %d", err, n)
			}
			return
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		}
		if n < 2 || n > MaxHeaderSize || n > len(data) || h.Length < 0 {
			t.Fatalf("n %d of %d bytes, length %d", n, len(data), h.Length)
		}
		// The header alone parses the same; one byte less is incomplete.
		if h2, n2, err := ParseHeader(data[:n]); err != nil || n2 != n || h2 != h {
			t.Fatalf("header alone: %+v %d %v", h2, n2, err)
		}
		if _, _, err := ParseHeader(data[:n-1]); err != ErrNeedMore {
			t.Fatalf("header minus one byte: %v", err)
		}
		// Re-encoding gives the shortest form of the same header; when the
		// input used the shortest form, the very same bytes.
		enc := AppendHeader(nil, h)
		if h2, n2, err := ParseHeader(enc); err != nil || n2 != len(enc) || h2 != h {
			t.Fatalf("re-encoded %x parses as %+v %d %v, want %+v", enc, h2, n2, err, h)
		}
		if h.Length <= 1<<31 && len(enc) != HeaderSize(int(h.Length), h.Masked) {
			t.Fatalf("HeaderSize disagrees with AppendHeader for %+v", h)
		}
		if len(enc) == n && !bytes.Equal(enc, data[:n]) {
			t.Fatalf("re-encoded % x, input % x", enc, data[:n])
		}
	})
}

// Run with: go test -run '^$' -fuzz '^FuzzDecoder$' ./wsframe/
// Seeds: the f.Add calls below and testdata/fuzz/FuzzDecoder/.
//
// The input is decoded whole and again cut into pieces at points derived
// from seed, the way a caller keeping leftovers sees it; both must give the
// same messages, the same final error and the same leftover. Next must never
// consume more than it is given nor modify the bytes it leaves.
func FuzzDecoder(f *testing.F) {
	stream, _ := validStream(false, 300)
	clientStream, _ := validStream(true, 400)
	seeds := []struct {
		data   []byte
		client bool
		max    uint16
	}{
		{stream, false, 0},
		{stream, false, 300},
		{clientStream, true, 0},
		{unhex(f, "01 83 37 fa 21 3d 03 9c 53 80 82 37 fa 21 3d 56 9d"), false, 0}, // golden fragmented "4frag"
		{unhex(f, "89 82 37 fa 21 3d 5f 93"), false, 0},                            // golden ping "hi"
		{unhex(f, "81 83 37 fa 21 3d 03 05 df"), false, 0},                         // golden invalid UTF-8
		{unhex(f, "81 02 34 78"), false, 0},                                        // golden unmasked
		{unhex(f, "c1 82 37 fa 21 3d 03 82"), false, 0},                            // golden RSV1
		{unhex(f, "83 82 37 fa 21 3d 03 82"), false, 0},                            // golden opcode 3
		{cat(fr(false, 0, ws.OpText, "a\xe2"), fr(true, 0, ws.OpPing, "x"), fr(true, 0, 0, "\x82\xac")), false, 4},
		{cat(fr(true, 0, ws.OpClose, "\x03\xe8ok"), fr(true, 0, ws.OpClose, "\x03")), false, 0},
		{fr(true, 0, ws.OpText, string(make([]byte, 1001))), false, 1000},
	}
	for i, s := range seeds {
		f.Add(s.data, uint64(i), s.client, s.max)
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, client bool, maxMsg uint16) {
		newDec := func() *Decoder {
			d := &Decoder{Client: client, MaxMessage: int(maxMsg)}
			if seed&1 != 0 {
				d.Pool = new(bytebufferpool.Pool)
			}
			return d
		}
		whole, wholeCode, wholeLeft := feedAll(t, newDec(), bytes.Clone(data), nil)
		if wholeCode < 0 {
			t.Fatal("Next returned an error that is neither ErrNeedMore nor *CloseError")
		}

		cuts := fuzzCuts(len(data), seed)
		parts, partsCode, partsLeft := feedAll(t, newDec(), bytes.Clone(data), cuts)
		if partsCode != wholeCode || partsLeft != wholeLeft || !slices.Equal(parts, whole) {
			t.Fatalf("cut at %v: %d messages, close %d, %d left; whole: %d messages, close %d, %d left",
				cuts, len(parts), partsCode, partsLeft, len(whole), wholeCode, wholeLeft)
		}
	})
}

// fuzzCuts derives sorted cut points in [0, n] from seed: byte by byte for
// short inputs when seed says so, otherwise up to 16 random points.
func fuzzCuts(n int, seed uint64) []int {
	if n <= 256 && seed&6 == 6 {
		cuts := make([]int, n)
		for i := range cuts {
			cuts[i] = i
		}
		return cuts
	}
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	cuts := make([]int, r.IntN(17))
	for i := range cuts {
		cuts[i] = r.IntN(n + 1)
	}
	slices.Sort(cuts)
	return cuts
}
