package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// exact returns b with its capacity cut to its length, so that a read past
// the end panics even where the backing array goes on.
func exact(b []byte) []byte { return b[:len(b):len(b)] }

// fuzzSeeds are packets for the fuzzers' f.Add: the golden and reference
// tables, and a few long and deep ones. More seeds live in
// testdata/fuzz/<FuzzName>/.
func fuzzSeeds() []string {
	var s []string
	for _, c := range goldenPackets {
		s = append(s, c.in)
	}
	for _, c := range referencePackets {
		s = append(s, c.in)
	}
	for _, c := range divergentPackets {
		s = append(s, c.in)
	}
	return append(s,
		`2["`+string(bytes.Repeat([]byte("0123456789abcdef"), 8))+`"]`,
		`2["x",`+string(bytes.Repeat([]byte("["), 70))+string(bytes.Repeat([]byte("]"), 70))+`]`,
		`2["x",{"a":[1,{"b":[2,{"c":[3,{"d":"\ud83d\ude00"}]}]}]}]`,
	)
}

// FuzzParsePacket checks ParsePacket against parsePlain (a slow reading of
// the reference algorithm on top of encoding/json), and that whatever it
// accepts survives AppendPacket and a second parse, aliases its input and
// yields an event name.
func FuzzParsePacket(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := exact(data)
		comparePlain(t, b)
		p, err := ParsePacket(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("%q: error %v does not match ErrInvalidPacket", b, err)
			}
			return
		}
		if len(p.Data) > 0 && !within(p.Data, b) {
			t.Fatalf("%q: Data does not alias the input", b)
		}
		if len(p.Namespace) > 1 && !within(p.Namespace, b) {
			t.Fatalf("%q: Namespace does not alias the input", b)
		}
		if len(p.Data) > 0 && !json.Valid(p.Data) {
			t.Fatalf("%q: Data %q is not JSON", b, p.Data)
		}
		out := AppendPacket(nil, &p)
		q, err := ParsePacket(out)
		if err != nil || q.Type != p.Type || !bytes.Equal(q.Namespace, p.Namespace) || q.ID != p.ID ||
			q.Attachments != p.Attachments || !bytes.Equal(q.Data, p.Data) {
			t.Fatalf("%q → %q → %+v, %v; want %+v", b, out, q, err, p)
		}
		if (p.Type == PacketEvent || p.Type == PacketBinaryEvent) && len(p.Data) > 0 {
			if _, err := EventName(p.Data); err != nil {
				t.Fatalf("%q: EventName: %v", b, err)
			}
		}
		if p.Type.Binary() && len(p.Data) > 0 {
			_ = ValidatePlaceholders(p.Data, p.Attachments)
		}
	})
}

// FuzzSkipValue checks the JSON scanner against encoding/json.Valid, and
// ArrayIter, Unquote and EventName on the same input.
func FuzzSkipValue(f *testing.F) {
	for _, s := range jsonCorpus {
		f.Add([]byte(s))
	}
	for _, s := range fuzzSeeds() {
		if len(s) > 1 {
			f.Add([]byte(s[1:]))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := exact(data)
		valid := json.Valid(b)
		if got := validJSON(b); got != valid {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", b, got, valid)
		}
		n, err := SkipValue(b)
		if err == nil {
			if n > len(b) || !json.Valid(b[:n]) {
				t.Fatalf("SkipValue(%q) = %d: not a value", b, n)
			}
		} else if valid {
			t.Fatalf("SkipValue(%q): %v", b, err)
		}

		if it, err := NewArrayIter(b); err == nil {
			var elems []json.RawMessage
			for raw, ok := it.Next(); ok; raw, ok = it.Next() {
				if !json.Valid(raw) {
					t.Fatalf("%q: element %q is not JSON", b, raw)
				}
				elems = append(elems, raw)
			}
			if (it.Err() == nil) != valid {
				t.Fatalf("ArrayIter(%q): err %v, json.Valid %v", b, it.Err(), valid)
			}
			if valid {
				var want []json.RawMessage
				if err := json.Unmarshal(b, &want); err != nil || len(want) != len(elems) {
					t.Fatalf("ArrayIter(%q): %d elements, encoding/json %d (%v)", b, len(elems), len(want), err)
				}
			}
			_, _ = EventName(b)
		}

		if len(b) > 0 && b[0] == '"' && !isWS(b[len(b)-1]) { // a string token alone
			var want string
			werr := json.Unmarshal(b, &want)
			got, err := AppendUnquote(nil, b)
			if (err == nil) != (werr == nil) {
				t.Fatalf("AppendUnquote(%q): %v, encoding/json %v", b, err, werr)
			}
			if err == nil && fixUTF8(string(got)) != want {
				t.Fatalf("AppendUnquote(%q) = %q, want %q", b, got, want)
			}
			if s, ok := Unquote(b); ok && (werr != nil || string(s) != string(got)) {
				t.Fatalf("Unquote(%q) = %q", b, s)
			}
		}
		if valid {
			_ = ValidatePlaceholders(b, 3)
			_, _ = PlaceholderNum(b)
		}

		// Member agrees with encoding/json (which keeps the last of
		// repeated keys, Member the first).
		var obj map[string]json.RawMessage
		if valid && utf8.Valid(b) && json.Unmarshal(b, &obj) == nil {
			for k, want := range obj {
				raw, ok := Member(b, k)
				if !ok {
					t.Fatalf("Member(%q, %q): not found", b, k)
				}
				if string(raw) != string(want) && strings.Count(string(b), k) < 2 {
					t.Fatalf("Member(%q, %q) = %q, want %q", b, k, raw, want)
				}
			}
		}
		_, _ = Member(b, "room")
	})
}

// FuzzAssembler feeds a binary packet and its attachments, cut from blob
// at points chosen by cuts, into an Assembler, with unexpected frames
// mixed in as flags says. A complete packet must hold exactly the pieces
// (copied), and its placeholder check must agree with a plain
// reconstruction on top of encoding/json.
func FuzzAssembler(f *testing.F) {
	f.Add(`52-3["message-with-ack",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`, []byte{1, 2, 2}, uint64(1), uint8(0))
	f.Add(`51-["message",{"_placeholder":true,"num":0}]`, []byte{0x0a, 0x0b, 0x0c}, uint64(0), uint8(0))
	f.Add(`61-1[{"_placeholder":true,"num":0},"text"]`, []byte{0xde, 0xad, 0xbe, 0xef}, uint64(7), uint8(1))
	f.Add(`51-["x",{"_placeholder":true,"num":1}]`, []byte{0}, uint64(0), uint8(0))
	f.Add(`53-["x",{"_placeholder":true,"num":0.5}]`, []byte("abcdef"), uint64(0x0302), uint8(2))
	f.Add(`511-["x"]`, []byte("abc"), uint64(0), uint8(0))
	f.Add(`61-`, []byte{}, uint64(0), uint8(4))
	f.Add(`52-["x",{"_placeholder":true,"num":0,"_placeholder":false},{"_placeholde\u0072":true,"num":1}]`, []byte("xy"), uint64(1), uint8(0))
	f.Fuzz(func(t *testing.T, header string, blob []byte, cuts uint64, flags uint8) {
		p, err := ParsePacket(exact([]byte(header)))
		if err != nil {
			return
		}
		a := Assembler{MaxAttachments: 12, MaxBytes: 1 << 16}
		if flags&1 != 0 {
			if _, err := a.Add(blob); !errors.Is(err, ErrUnexpectedBinary) {
				t.Fatalf("binary before the header: %v", err)
			}
		}
		if err := a.Start(&p); err != nil {
			if p.Type.Binary() && p.Attachments <= 12 {
				t.Fatalf("%q: Start: %v", header, err)
			}
			return
		}
		if flags&2 != 0 {
			if err := a.Start(&p); !errors.Is(err, ErrUnexpectedText) {
				t.Fatalf("text while pending: %v", err)
			}
			return
		}
		// Cut blob into p.Attachments pieces.
		pieces := make([][]byte, p.Attachments)
		rest := blob
		for i := range pieces {
			if i == len(pieces)-1 {
				pieces[i] = rest
				break
			}
			n := int(cuts>>(uint(i)*5)&31) % (len(rest) + 1)
			pieces[i], rest = rest[:n], rest[n:]
		}
		saved := make([][]byte, len(pieces))
		for i, pc := range pieces {
			saved[i] = append([]byte(nil), pc...)
		}
		var done bool
		for i, pc := range pieces {
			done, err = a.Add(exact(pc))
			if err != nil {
				if errors.Is(err, ErrAttachmentsTooLarge) && len(blob) > a.MaxBytes {
					return
				}
				if !errors.Is(err, ErrInvalidPlaceholder) || i != len(pieces)-1 {
					t.Fatalf("Add %d: %v", i, err)
				}
				if refPlaceholdersOK(p.Data, len(pieces)) == 1 {
					t.Fatalf("%q: rejected placeholders the plain check accepts", p.Data)
				}
				return
			}
			if done != (i == len(pieces)-1) {
				t.Fatalf("Add %d: done = %v of %d", i, done, len(pieces))
			}
			for j := range pc {
				pc[j] ^= 0xff // the Assembler must have copied
			}
		}
		if refPlaceholdersOK(p.Data, len(pieces)) == 0 {
			t.Fatalf("%q: accepted placeholders the plain check rejects", p.Data)
		}
		q, atts, ok := a.Packet()
		if !ok || q.Type != p.Type || q.ID != p.ID || !bytes.Equal(q.Namespace, p.Namespace) || !bytes.Equal(q.Data, p.Data) {
			t.Fatalf("Packet() = %+v, %v; want %+v", q, ok, p)
		}
		for i := range atts {
			if !bytes.Equal(atts[i], saved[i]) {
				t.Fatalf("attachment %d = %x, want %x", i, atts[i], saved[i])
			}
		}
		if flags&4 != 0 {
			if _, err := a.Add(blob); !errors.Is(err, ErrUnexpectedBinary) {
				t.Fatalf("binary after the packet: %v", err)
			}
		}
		if len(q.Data) > 0 {
			if _, err := DecodeArgs(q.Data, atts); errors.Is(err, ErrInvalidPlaceholder) {
				t.Fatalf("%q: DecodeArgs disagrees: %v", q.Data, err)
			}
		}
	})
}

// refPlaceholdersOK reconstructs the placeholders of data the plain way
// (encoding/json, then a walk): 1 valid, 0 invalid, -1 unknown (data that
// encoding/json cannot decode, such as 1e400, or no data).
func refPlaceholdersOK(data []byte, n int) int {
	if len(data) == 0 {
		return 1
	}
	var v any
	if json.Unmarshal(data, &v) != nil {
		return -1
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if !walk(e) {
					return false
				}
			}
		case map[string]any:
			if ph, ok := x["_placeholder"].(bool); ok && ph {
				num, ok := x["num"].(float64)
				return ok && num >= 0 && num < float64(n) && num == math.Trunc(num)
			}
			for _, e := range x {
				if !walk(e) {
					return false
				}
			}
		}
		return true
	}
	if walk(v) {
		return 1
	}
	return 0
}
