package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestAppendEventGolden encodes packets the reference server sent in the
// golden captures and expects the same bytes.
func TestAppendEventGolden(t *testing.T) {
	type nested struct {
		Nested Binary `json:"nested"`
		Text   string `json:"text"`
	}
	tests := []struct {
		name   string
		packet func(dst []byte, atts [][]byte) ([]byte, [][]byte, error)
		want   string
		atts   []string
	}{
		{"auth", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendEvent(d, "/", NoID, "auth", []any{map[string]any{}}, a)
		}, `2["auth",{}]`, nil},
		{"auth custom", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendEvent(d, "/custom", NoID, "auth", []any{map[string]any{"token": "xyz"}}, a)
		}, `2/custom,["auth",{"token":"xyz"}]`, nil},
		{"question", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendEvent(d, "", 0, "question", []any{"are you there?"}, a)
		}, `20["question","are you there?"]`, nil},
		{"ack", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendAck(d, "/", 1, []any{1, "2", map[string]any{"3": []any{4}}}, a)
		}, `31[1,"2",{"3":[4]}]`, nil},
		{"ack none", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendAck(d, "", 99, nil, a)
		}, `399[]`, nil},
		{"ack custom", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendAck(d, "/custom", 7, []any{"c"}, a)
		}, `3/custom,7["c"]`, nil},
		{"json encoding", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendEvent(d, "", NoID, "message-back", []any{"<b>&amp;</b>", "café", "\u2028\u2029", "😀",
				"é😀", "tab\tq\"", nil, 1.5, math.Copysign(0, -1), 1e21, float64(100), 0.1, []any{}, map[string]any{}}, a)
		}, "2[\"message-back\",\"<b>&amp;</b>\",\"café\",\"\u2028\u2029\",\"😀\",\"é😀\",\"tab\\tq\\\"\",null,1.5,0,1e+21,100,0.1,[],{}]", nil},
		{"binary", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendEvent(d, "/", NoID, "binary", []any{[]byte{1, 2, 3}, nested{Nested: Binary{0xff}, Text: "x"}}, a)
		}, `52-["binary",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1},"text":"x"}]`,
			[]string{"\x01\x02\x03", "\xff"}},
		{"binary-ack", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendAck(d, "", 1, []any{[]byte{0xde, 0xad, 0xbe, 0xef}, "text"}, a)
		}, `61-1[{"_placeholder":true,"num":0},"text"]`, []string{"\xde\xad\xbe\xef"}},
		{"binary echo", func(d []byte, a [][]byte) ([]byte, [][]byte, error) {
			return AppendAck(d, "", 3, []any{[]byte{1}, map[string]any{"k": []byte{2, 2}}}, a)
		}, `62-3[{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`, []string{"\x01", "\x02\x02"}},
	}
	for _, tt := range tests {
		dst := []byte("4")
		got, atts, err := tt.packet(dst, nil)
		if err != nil || string(got) != "4"+tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, "4"+tt.want)
		}
		var gotAtts []string
		for _, a := range atts {
			gotAtts = append(gotAtts, string(a))
		}
		if !reflect.DeepEqual(gotAtts, tt.atts) {
			t.Errorf("%s: attachments %q, want %q", tt.name, gotAtts, tt.atts)
		}
		if _, err := ParsePacket(got[1:]); err != nil {
			t.Errorf("%s: own output rejected: %v", tt.name, err)
		}
	}
}

// blob is a named byte slice without methods: JSON encodes it as []byte.
type blob []byte

func TestAppendEventArgs(t *testing.T) {
	type withBin struct {
		A Binary   `json:"a"`
		B []byte   `json:"b"`
		C []Binary `json:"c,omitempty"`
		D *withBin `json:"d,omitempty"`
	}
	tests := []struct {
		name string
		args []any
		want string
		atts []string
	}{
		{"empty", nil, `[]`, nil},
		{"scalars", []any{true, false, nil, 0, -1, int8(-8), uint8(8), int64(math.MaxInt64), uint64(math.MaxUint64), float32(0.1), math.NaN(), math.Inf(-1)},
			`[true,false,null,0,-1,-8,8,9223372036854775807,18446744073709551615,0.1,null,null]`, nil},
		{"nil bytes", []any{[]byte(nil), Binary(nil), []any(nil), map[string]any(nil)}, `[null,null,null,null]`, nil},
		{"empty bytes", []any{[]byte{}}, `[{"_placeholder":true,"num":0}]`, []string{""}},
		{"nested", []any{[]any{"a", []byte("x"), []any{[]byte("y")}}, map[string]any{"k": []any{[]byte("z")}}},
			`[["a",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]],{"k":[{"_placeholder":true,"num":2}]}]`,
			[]string{"x", "y", "z"}},
		{"bytes lists", []any{[][]byte{[]byte("a"), nil, []byte("b")}, map[string][]byte{"k": []byte("c")}},
			`[[{"_placeholder":true,"num":0},null,{"_placeholder":true,"num":1}],{"k":{"_placeholder":true,"num":2}}]`,
			[]string{"a", "b", "c"}},
		{"struct", []any{withBin{A: Binary("a"), B: []byte("b"), C: []Binary{Binary("c"), nil}, D: &withBin{A: Binary("d")}}},
			`[{"a":{"_placeholder":true,"num":0},"b":{"_placeholder":true,"num":1},"c":[{"_placeholder":true,"num":2},null],"d":{"a":{"_placeholder":true,"num":3},"b":null}}]`,
			[]string{"a", "b", "c", "d"}},
		// []byte anywhere in typed values is an attachment, as a Buffer
		// anywhere is for the reference.
		{"bytes in typed values", []any{
			[]struct {
				N int    `json:"n"`
				B []byte `json:"b,omitempty"`
			}{{1, []byte("x")}, {2, nil}},
			map[string]struct{ P *[]byte }{"k": {P: &[]byte{'y'}}},
			[2]blob{blob("z"), nil},
			&struct{ M map[string][]byte }{map[string][]byte{"m": []byte("w")}},
		},
			`[[{"n":1,"b":{"_placeholder":true,"num":0}},{"n":2}],{"k":{"P":{"_placeholder":true,"num":1}}},[{"_placeholder":true,"num":2},null],{"M":{"m":{"_placeholder":true,"num":3}}}]`,
			[]string{"x", "y", "z", "w"}},
		// Where the type cannot be rebuilt, or says how it encodes, base64
		// text as before (documented: use Binary there).
		{"bytes kept as text", []any{
			struct {
				B []byte
				x int
			}{B: []byte("a")},
			struct{ V any }{[]byte("b")},
			struct{ R json.RawMessage }{json.RawMessage(`[1]`)},
		},
			`[{"B":"YQ=="},{"V":"Yg=="},{"R":[1]}]`, nil},
		{"struct in list", []any{[]byte("0"), []any{withBin{A: Binary("1")}}, []byte("2")},
			`[{"_placeholder":true,"num":0},[{"a":{"_placeholder":true,"num":1},"b":null}],{"_placeholder":true,"num":2}]`,
			[]string{"0", "1", "2"}},
		{"raw", []any{RawJSON(` {"a": [1, 2]} `), RawJSON(nil), []any{RawJSON(`"x"`)}, map[string]any{"r": RawJSON(`-0`)}},
			`[{"a": [1, 2]},null,["x"],{"r":-0}]`, nil},
		{"raw in struct", []any{struct {
			R RawJSON `json:"r"`
		}{RawJSON(`{"a":1}`)}}, `[{"r":{"a":1}}]`, nil},
		{"typed", []any{[]string{"a"}, map[string]int{"n": 1}, struct{ X int }{2}}, `[["a"],{"n":1},{"X":2}]`, nil},
		{"marker lookalike", []any{map[string]any{"\x00sioloop.Binary": "not base64!"}},
			`[{"\u0000sioloop.Binary":"not base64!"}]`, nil},
	}
	for _, tt := range tests {
		got, atts, err := AppendEventArgs([]byte("x"), tt.args, nil)
		if err != nil || string(got[1:]) != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.name, got[1:], err, tt.want)
		}
		var gotAtts []string
		for _, a := range atts {
			gotAtts = append(gotAtts, string(a))
		}
		if !reflect.DeepEqual(gotAtts, tt.atts) {
			t.Errorf("%s: attachments %q, want %q", tt.name, gotAtts, tt.atts)
		}
		if !json.Valid(got[1:]) {
			t.Errorf("%s: invalid JSON %s", tt.name, got[1:])
		}
	}
	// []byte attachments alias the caller's bytes.
	b := []byte("abc")
	_, atts, _ := AppendEventArgs(nil, []any{b}, nil)
	if &atts[0][0] != &b[0] {
		t.Error("[]byte attachment was copied")
	}
}

func TestAppendEventArgsErrors(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	deepMap := map[string]any{}
	deepMap["self"] = deepMap
	for name, args := range map[string][]any{
		"cyclic list":  {cyclic},
		"cyclic map":   {deepMap},
		"bad raw":      {RawJSON(`{"a":}`)},
		"two raw":      {RawJSON(`1 2`)},
		"channel":      {make(chan int)},
		"func in list": {[]any{"ok", func() {}}},
	} {
		dst := []byte("keep")
		atts := [][]byte{[]byte("old")}
		got, gotAtts, err := AppendEventArgs(dst, append([]any{[]byte("x")}, args...), atts)
		if !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("%s: err = %v", name, err)
		}
		if string(got) != "keep" || len(gotAtts) != 1 {
			t.Errorf("%s: dst %q, %d attachments after an error", name, got, len(gotAtts))
		}
		got, gotAtts, err = AppendEvent(dst, "/", 1, "ev", append([]any{[]byte("x")}, args...), atts)
		if err == nil || string(got) != "keep" || len(gotAtts) != 1 {
			t.Errorf("%s: AppendEvent %q, %d, %v", name, got, len(gotAtts), err)
		}
	}
}

func TestAppendJSON(t *testing.T) {
	type s struct {
		B Binary `json:"b"`
	}
	got, err := AppendJSON(nil, map[string]any{"content": "Please retry later", "bin": []byte{1}, "s": s{Binary{2}}})
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	want := map[string]any{"content": "Please retry later", "bin": "AQ==", "s": map[string]any{"b": "Ag=="}}
	if !reflect.DeepEqual(back, want) {
		t.Errorf("AppendJSON = %s", got)
	}
}

func TestDecodeArgs(t *testing.T) {
	tests := []struct {
		data string
		atts []string
		want []any
		err  error
	}{
		{`["message",{"_placeholder":true,"num":0}]`, []string{"\x0a\x0b\x0c"},
			[]any{"message", []byte{0x0a, 0x0b, 0x0c}}, nil},
		{`["message-with-ack",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`, []string{"\x01", "\x02\x02"},
			[]any{"message-with-ack", []byte{1}, map[string]any{"k": []byte{2, 2}}}, nil},
		{`[[[{"a":{"_placeholder":true,"num":1}}]],{"_placeholder":true,"num":0}]`, []string{"0", "1"},
			[]any{[]any{[]any{map[string]any{"a": []byte("1")}}}, []byte("0")}, nil},
		{`["x",{"_placeholder":true,"num":-0}]`, []string{"0"}, []any{"x", []byte("0")}, nil},
		{`["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`, []string{"0", "unused"},
			[]any{"x", []byte("0"), []byte("0")}, nil},
		{`["x",{"_placeholder":false,"num":5}]`, nil, []any{"x", map[string]any{"_placeholder": false, "num": 5.0}}, nil},
		{`["x",{"_placeholder":"true","num":9}]`, nil, []any{"x", map[string]any{"_placeholder": "true", "num": 9.0}}, nil},
		{`["x",{"_placeholder":true,"num":0,"_placeholder":false}]`, []string{"0"},
			[]any{"x", map[string]any{"_placeholder": false, "num": 0.0}}, nil},
		{`["x",{"_placeholder":true,"num":0,"extra":{"_placeholder":true,"num":9}}]`, []string{"0"},
			[]any{"x", []byte("0")}, nil},
		{`["plain",1,null]`, nil, []any{"plain", 1.0, nil}, nil},
		{`["x",{"_placeholder":true,"num":1}]`, []string{"0"}, nil, ErrInvalidPlaceholder},
		{`["x",{"_placeholder":true,"num":-1}]`, []string{"0"}, nil, ErrInvalidPlaceholder},
		{`["x",{"_placeholder":true,"num":0.5}]`, []string{"0"}, nil, ErrInvalidPlaceholder}, // reference: undefined
		{`["x",{"_placeholder":true,"num":"0"}]`, []string{"0"}, nil, ErrInvalidPlaceholder},
		{`["x",{"_placeholder":true}]`, []string{"0"}, nil, ErrInvalidPlaceholder},
		{`["x",{"_placeholde\u0072":true,"num":9}]`, []string{"0"}, nil, ErrInvalidPlaceholder},
		{`["x",{"_placeholder":true,"num":0,"num":7}]`, []string{"0"}, nil, ErrInvalidPlaceholder},
		{`["x",[[{"a":{"_placeholder":true,"num":3}}]]]`, []string{"0"}, nil, ErrInvalidPlaceholder},
		{`["x",{"__proto__":{"_placeholder":true,"num":9}}]`, []string{"0"}, nil, ErrInvalidPlaceholder},
		{`{"not":"array"}`, nil, nil, ErrInvalidPayload},
		{`["x",`, nil, nil, ErrInvalidJSON},
	}
	for _, tt := range tests {
		var atts [][]byte
		for _, a := range tt.atts {
			atts = append(atts, []byte(a))
		}
		got, err := DecodeArgs([]byte(tt.data), atts)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("DecodeArgs(%s) err = %v, want %v", tt.data, err, tt.err)
			}
		} else if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DecodeArgs(%s) = %#v, %v; want %#v", tt.data, got, err, tt.want)
		}
		// The allocation-free check agrees with the decoder.
		if tt.err == ErrInvalidPlaceholder || tt.err == nil {
			if verr := ValidatePlaceholders([]byte(tt.data), len(atts)); !errors.Is(verr, tt.err) && !(tt.err == nil && verr == nil) {
				t.Errorf("ValidatePlaceholders(%s) = %v, want %v", tt.data, verr, tt.err)
			}
		}
	}
}

func TestValidatePlaceholdersSyntax(t *testing.T) {
	for _, bad := range []string{``, `[`, `[{"_placeholder":true,"num":0}`, `[1]x`, `{"a" 1}`, `[{"a":1,}]`} {
		if err := ValidatePlaceholders([]byte(bad), 5); err == nil {
			t.Errorf("ValidatePlaceholders(%q) = nil", bad)
		}
	}
	deep := strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2)
	if err := ValidatePlaceholders([]byte(deep), 0); !errors.Is(err, ErrInvalidJSON) {
		t.Errorf("deep: %v", err)
	}
}

func TestPlaceholderNum(t *testing.T) {
	tests := []struct {
		raw string
		num int
		ok  bool
	}{
		{`{"_placeholder":true,"num":0}`, 0, true},
		{` {"num":3,"_placeholder":true} `, 3, true},
		{`{"_placeholder":true,"num":1e1}`, 10, true},
		{`{"_placeholder":true,"num":-1}`, 0, false},
		{`{"_placeholder":false,"num":0}`, 0, false},
		{`{"_placeholder":true}`, 0, false},
		{`{"a":{"_placeholder":true,"num":0}}`, 0, false},
		{`[{"_placeholder":true,"num":0}]`, 0, false},
		{`"x"`, 0, false},
		{``, 0, false},
		{`{"_placeholder":true,"num":0`, 0, false},
	}
	for _, tt := range tests {
		num, ok := PlaceholderNum([]byte(tt.raw))
		if num != tt.num || ok != tt.ok {
			t.Errorf("PlaceholderNum(%s) = %d, %v; want %d, %v", tt.raw, num, ok, tt.num, tt.ok)
		}
	}
}

func TestDecodeValue(t *testing.T) {
	v, err := DecodeValue([]byte(`{"k":{"_placeholder":true,"num":0}}`), [][]byte{[]byte("b")})
	if err != nil || !reflect.DeepEqual(v, map[string]any{"k": []byte("b")}) {
		t.Errorf("DecodeValue = %#v, %v", v, err)
	}
	// Strings must not alias the input, which is reused by the caller.
	in := []byte(`["abcdef"]`)
	v, _ = DecodeValue(in, nil)
	copy(in, `["zzzzzz"]`)
	if v.([]any)[0] != "abcdef" {
		t.Errorf("decoded string changed with its input: %v", v)
	}
}

// TestBinaryRoundTrip: encode with attachments, parse, reassemble,
// decode.
func TestBinaryRoundTrip(t *testing.T) {
	type payload struct {
		Name string `json:"name"`
		Blob Binary `json:"blob"`
	}
	args := []any{"a", []byte{1, 2}, map[string]any{"deep": []any{[]byte{3}}}, payload{"p", Binary{4, 5}}}
	pkt, atts, err := AppendEvent(nil, "/room", 42, "upload", args, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePacket(pkt)
	if err != nil {
		t.Fatalf("%s: %v", pkt, err)
	}
	if p.Type != PacketBinaryEvent || p.Attachments != 3 || p.ID != 42 || string(p.Namespace) != "/room" {
		t.Fatalf("%s parsed as %+v", pkt, p)
	}
	var a Assembler
	if err := a.Start(&p); err != nil {
		t.Fatal(err)
	}
	for i, att := range atts {
		done, err := a.Add(att)
		if err != nil || done != (i == len(atts)-1) {
			t.Fatalf("Add %d: %v, %v", i, done, err)
		}
	}
	q, qatts, ok := a.Packet()
	if !ok {
		t.Fatal("no packet")
	}
	name, err := EventName(q.Data)
	if err != nil || string(name) != "upload" {
		t.Errorf("EventName = %q, %v", name, err)
	}
	got, err := DecodeArgs(q.Data, qatts)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"upload", "a", []byte{1, 2}, map[string]any{"deep": []any{[]byte{3}}},
		map[string]any{"name": "p", "blob": []byte{4, 5}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip: %#v", got)
	}
}

func TestAssembler(t *testing.T) {
	parse := func(s string) *Packet {
		p, err := ParsePacket([]byte(s))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return &p
	}
	// The golden exchange: 452-3[…] then two binary frames.
	var a Assembler
	hdr := []byte(`52-3["message-with-ack",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]`)
	p, _ := ParsePacket(hdr)
	if err := a.Start(&p); err != nil || !a.Pending() {
		t.Fatalf("Start: %v", err)
	}
	copy(hdr, "XXXXXXXXXXXXXXXXXXXX") // the caller's buffer is reused
	frame := []byte{0x01}
	if done, err := a.Add(frame); done || err != nil {
		t.Fatalf("Add 1: %v %v", done, err)
	}
	frame[0] = 0xee
	if done, err := a.Add([]byte{2, 2}); !done || err != nil {
		t.Fatalf("Add 2: %v %v", done, err)
	}
	if a.Pending() {
		t.Error("still pending after the last attachment")
	}
	q, atts, ok := a.Packet()
	if !ok || q.Type != PacketBinaryEvent || q.ID != 3 || string(q.Namespace) != "/" ||
		!bytes.HasPrefix(q.Data, []byte(`["message-with-ack",`)) || !bytes.Equal(atts[0], []byte{1}) || !bytes.Equal(atts[1], []byte{2, 2}) {
		t.Errorf("Packet = %+v %q %v", q, atts, ok)
	}
	if _, _, ok := a.Packet(); ok {
		t.Error("Packet twice")
	}

	// A binary frame nobody announced (sio-invalid-packets.txt).
	if _, err := a.Add([]byte{1, 2}); !errors.Is(err, ErrUnexpectedBinary) || !errors.Is(err, ErrInvalidPacket) {
		t.Errorf("unannounced binary: %v", err)
	}
	// Text while attachments are pending.
	_ = a.Start(parse(`51-["x",{"_placeholder":true,"num":0}]`))
	if err := a.Start(parse(`51-["y",{"_placeholder":true,"num":0}]`)); !errors.Is(err, ErrUnexpectedText) {
		t.Errorf("text while pending: %v", err)
	}
	if a.Pending() {
		t.Error("pending after ErrUnexpectedText")
	}
	// Limits.
	if err := a.Start(parse(`511-["x"]`)); !errors.Is(err, ErrTooManyAttachments) {
		t.Errorf("11 attachments: %v", err)
	}
	b := Assembler{MaxAttachments: 20}
	if err := b.Start(parse(`511-["x"]`)); err != nil {
		t.Errorf("MaxAttachments 20: %v", err)
	}
	c := Assembler{MaxBytes: 5}
	_ = c.Start(parse(`52-["x"]`))
	if _, err := c.Add([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add([]byte("def")); !errors.Is(err, ErrAttachmentsTooLarge) || c.Pending() {
		t.Errorf("MaxBytes: %v", err)
	}
	// Placeholders are checked when the packet is complete.
	_ = a.Start(parse(`51-["x",{"_placeholder":true,"num":1}]`))
	if done, err := a.Add([]byte{0}); done || !errors.Is(err, ErrInvalidPlaceholder) || a.Pending() {
		t.Errorf("bad placeholder: %v %v", done, err)
	}
	// A binary packet without payload is complete after its attachments.
	_ = a.Start(parse(`61-`))
	if done, err := a.Add(nil); !done || err != nil {
		t.Errorf("no payload: %v %v", done, err)
	}
	a.Reset()
	// Not a binary packet.
	if err := a.Start(parse(`2["x"]`)); !errors.Is(err, ErrIllegalAttachments) {
		t.Errorf("EVENT: %v", err)
	}
	if err := a.Start(&Packet{Type: PacketBinaryEvent}); !errors.Is(err, ErrIllegalAttachments) {
		t.Errorf("no attachments: %v", err)
	}
}

// TestRelayRawJSON re-emits received arguments unchanged: the bytes are
// preserved, where the reference re-serialises them (see
// sio-json-encoding.txt: -0 → 0, 1E2 → 100, \u00e9 → é).
func TestRelayRawJSON(t *testing.T) {
	in := []byte(`2["message","caf\u00e9",-0,1E2,{"b":1,"a":2,"b":3}]`)
	p, err := ParsePacket(in)
	if err != nil {
		t.Fatal(err)
	}
	it, _ := NewArrayIter(p.Data)
	it.Next() // the name
	var args []any
	for raw, ok := it.Next(); ok; raw, ok = it.Next() {
		args = append(args, RawJSON(raw))
	}
	out, _, err := AppendEvent(nil, "", NoID, "message-back", args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `2["message-back","caf\u00e9",-0,1E2,{"b":1,"a":2,"b":3}]`; string(out) != want {
		t.Errorf("relay: %s, want %s", out, want)
	}
}
