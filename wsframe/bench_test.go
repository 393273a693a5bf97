package wsframe

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"
)

// Run with: go test -run '^$' -bench . -benchmem ./wsframe/

var benchSink int

func BenchmarkParseHeader(b *testing.B) {
	for _, tc := range []struct {
		name string
		hdr  []byte
	}{
		{"7bit-masked", AppendHeader(nil, Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: mask37, Length: 20})},
		{"16bit-masked", AppendHeader(nil, Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: mask37, Length: 4096})},
		{"64bit", AppendHeader(nil, Header{Fin: true, OpCode: ws.OpBinary, Length: 76800})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, n, err := ParseHeader(tc.hdr)
				if err != nil {
					b.Fatal(err)
				}
				benchSink += n + int(h.Length)
			}
		})
	}
}

func BenchmarkUnmask(b *testing.B) {
	for _, size := range []int{20, 100, 4096, 65536} {
		p := randBytes(size, 1)
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				Unmask(p, mask37, 0)
			}
		})
		b.Run(strconv.Itoa(size)+"-reference", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				unmaskRef(p, mask37, 0)
			}
		})
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	for _, size := range []int{20, 100, 4096} {
		payload := bytes.Repeat([]byte("x"), size)
		buf := make([]byte, 0, size+MaxHeaderSize)
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendFrame(buf[:0], ws.OpText, payload)
			}
		})
		b.Run(strconv.Itoa(size)+"-client", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendClientFrame(buf[:0], ws.OpText, payload, mask37)
			}
		})
	}
	b.Run("close", func(b *testing.B) {
		buf := make([]byte, 0, 16)
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendClose(buf[:0], ws.StatusNormalClosure, "")
		}
	})
}

// BenchmarkDecoderNext decodes one masked text frame per iteration, as it
// arrives in the inbound buffer. Next unmasks in place, so each iteration
// first restores the masked bytes (a copy of a few dozen bytes, included in
// the figure; see the "copy-only" baseline).
func BenchmarkDecoderNext(b *testing.B) {
	for _, tc := range []struct {
		name    string
		payload string
	}{
		{"text-20", `42["message","hello"]`},
		{"text-100", string(bytes.Repeat([]byte("a"), 100))},
		{"text-4096", string(bytes.Repeat([]byte("a"), 4096))},
	} {
		wire := AppendClientFrame(nil, ws.OpText, []byte(tc.payload), mask37)
		buf := make([]byte, len(wire))
		b.Run(tc.name, func(b *testing.B) {
			var d Decoder
			b.SetBytes(int64(len(tc.payload)))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, wire)
				m, n, err := d.Next(buf)
				if err != nil {
					b.Fatal(err)
				}
				benchSink += n + len(m.Payload)
			}
		})
		b.Run(tc.name+"-copy-only", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, wire)
			}
		})
	}
	b.Run("fragmented-3x100-pool", func(b *testing.B) {
		chunk := string(bytes.Repeat([]byte("f"), 100))
		wire := cat(fr(false, 0, ws.OpText, chunk), fr(false, 0, ws.OpContinuation, chunk), fr(true, 0, ws.OpContinuation, chunk))
		buf := make([]byte, len(wire))
		d := Decoder{Pool: new(bytebufferpool.Pool)}
		b.SetBytes(300)
		b.ReportAllocs()
		for b.Loop() {
			copy(buf, wire)
			m, n, err := d.Next(buf)
			if err != nil {
				b.Fatal(err)
			}
			benchSink += n + len(m.Payload)
		}
	})
}
