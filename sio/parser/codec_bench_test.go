package parser

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

var (
	benchEvent    = []byte(`2["chat","hello"]`)
	benchEventNsp = []byte(`2/chat,12["message",{"text":"hello world","room":"lobby"}]`)
	benchBinary   = []byte(`51-["upload",{"_placeholder":true,"num":0}]`)
	benchObject1K = makeObject1K()
)

// makeObject1K builds a JSON object of about 1 KiB with strings, numbers,
// nested arrays and objects.
func makeObject1K() []byte {
	var b strings.Builder
	b.WriteString(`{"id":12345,"user":{"name":"Zoë Example","tags":["admin","ops","dev"],"active":true},"items":[`)
	for i := 0; b.Len() < 980; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"n":` + strconv.Itoa(i) + `,"v":-1.25e-3,"s":"item \"` + strconv.Itoa(i) + `\" ok"}`)
	}
	b.WriteString(`],"end":null}`)
	return []byte(b.String())
}

func BenchmarkParsePacket(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"event", benchEvent},
		{"namespace+ack", benchEventNsp},
		{"binary", benchBinary},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				if _, err := ParsePacket(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEventName(b *testing.B) {
	data := benchEventNsp[9:]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EventName(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkArrayIter(b *testing.B) {
	data := benchEventNsp[9:]
	b.ReportAllocs()
	for b.Loop() {
		it, _ := NewArrayIter(data)
		for _, ok := it.Next(); ok; _, ok = it.Next() {
		}
		if it.Err() != nil {
			b.Fatal(it.Err())
		}
	}
}

func BenchmarkAppendPacket(b *testing.B) {
	p, _ := ParsePacket(benchEventNsp)
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPacket(buf[:0], &p)
	}
}

// BenchmarkAppendEvent encodes an event with one string argument into a
// reused buffer. "boxed" passes a non-constant string, which Go must box
// to put it in []any (that allocation is the caller's).
func BenchmarkAppendEvent(b *testing.B) {
	buf := make([]byte, 0, 128)
	b.Run("string", func(b *testing.B) {
		args := []any{"hello"}
		b.ReportAllocs()
		for b.Loop() {
			buf, _, _ = AppendEvent(buf[:0], "/", NoID, "chat", args, nil)
		}
	})
	b.Run("boxed", func(b *testing.B) {
		msg := strings.Repeat("hello ", 3)
		b.ReportAllocs()
		for b.Loop() {
			buf, _, _ = AppendEvent(buf[:0], "/", NoID, "chat", []any{msg}, nil)
		}
	})
	b.Run("map", func(b *testing.B) {
		args := []any{map[string]any{"text": "hello world", "n": 3}}
		b.ReportAllocs()
		for b.Loop() {
			buf, _, _ = AppendEvent(buf[:0], "/chat", 12, "message", args, nil)
		}
	})
	b.Run("struct/sonic", func(b *testing.B) {
		type msg struct {
			Text string `json:"text"`
			N    int    `json:"n"`
		}
		args := []any{&msg{"hello world", 3}}
		b.ReportAllocs()
		for b.Loop() {
			buf, _, _ = AppendEvent(buf[:0], "/chat", 12, "message", args, nil)
		}
	})
}

func BenchmarkAppendEventArgs(b *testing.B) {
	buf := make([]byte, 0, 128)
	atts := make([][]byte, 0, 4)
	b.Run("bytes", func(b *testing.B) {
		args := []any{[]byte{1, 2, 3, 4}}
		b.ReportAllocs()
		for b.Loop() {
			buf, atts, _ = AppendEventArgs(buf[:0], args, atts[:0])
		}
	})
	b.Run("Binary in struct", func(b *testing.B) {
		type file struct {
			Name string `json:"name"`
			Data Binary `json:"data"`
		}
		args := []any{&file{"a.bin", Binary{1, 2, 3, 4}}}
		b.ReportAllocs()
		for b.Loop() {
			buf, atts, _ = AppendEventArgs(buf[:0], args, atts[:0])
		}
	})
	b.Run("[]byte in struct", func(b *testing.B) {
		type file struct {
			Name string `json:"name"`
			Data []byte `json:"data"`
		}
		args := []any{&file{"a.bin", []byte{1, 2, 3, 4}}}
		b.ReportAllocs()
		for b.Loop() {
			buf, atts, _ = AppendEventArgs(buf[:0], args, atts[:0])
		}
	})
	b.Run("struct without bytes", func(b *testing.B) {
		type point struct{ X, Y int }
		args := []any{point{1, 2}}
		b.ReportAllocs()
		for b.Loop() {
			buf, atts, _ = AppendEventArgs(buf[:0], args, atts[:0])
		}
	})
}

func BenchmarkSkipValue1KiB(b *testing.B) {
	b.Run("SkipValue", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchObject1K)))
		for b.Loop() {
			if _, err := SkipValue(benchObject1K); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json.Valid", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchObject1K)))
		for b.Loop() {
			if !json.Valid(benchObject1K) {
				b.Fatal("invalid")
			}
		}
	})
}

func BenchmarkValidatePlaceholders(b *testing.B) {
	data := []byte(`["message-with-ack",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`)
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidatePlaceholders(data, 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeArgs(b *testing.B) {
	data := []byte(`["message-with-ack",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`)
	atts := [][]byte{{1}, {2, 2}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeArgs(data, atts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAssembler(b *testing.B) {
	p, _ := ParsePacket(benchBinary)
	att := make([]byte, 1024)
	b.ReportAllocs()
	var a Assembler
	for b.Loop() {
		_ = a.Start(&p)
		if done, err := a.Add(att); !done || err != nil {
			b.Fatal(err)
		}
		a.Packet()
	}
}
