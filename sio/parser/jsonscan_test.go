package parser

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

var jsonCorpus = []string{
	`0`, `-0`, `1`, `-1`, `1.5`, `1e5`, `1E+5`, `1e-5`, `-0.0e0`, `123456789012345678901234567890`, `1e400`,
	`01`, `-`, `+1`, `1.`, `.5`, `1e`, `1e+`, `--1`, `0x10`, `1_000`, `NaN`, `Infinity`,
	`true`, `false`, `null`, `tru`, `nul`, `True`, `nulll`,
	`""`, `"a"`, `"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u00e9"`, `"\uD83D\uDE00"`, `"\ud800"`,
	`"\u00g0"`, `"\x"`, `"\'"`, `"a`, `"\`, `"\u12"`, "\"\x00\"", "\"\x1f\"", "\"\x7f\"", "\"caf\xc3\xa9\"",
	"\"\xff\xfe\"", "\"\u2028\u2029\"",
	`[]`, `[ ]`, `[1]`, `[1,]`, `[,1]`, `[1 2]`, `[[[]]]`, `[[]`, `[]]`, `[1,[2,[3]]]`,
	`{}`, `{ }`, `{"a":1}`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":1,"a":2}`,
	`{"a":{"b":[1,{"c":null}]}}`, `{1:2}`, `{"a":1]`, `[1}`, `{"a" : [ true , false ] }`,
	" \t\r\n[1] \t\r\n", "\v[1]", "\u00a0[1]", "[1]\u00a0", "\ufeff[1]",
	`[1]x`, `1 2`, `"a""b"`, ``, ` `, `[`, `{`, `"`,
	`["chat","hello"]`, `["message",{"_placeholder":true,"num":0}]`,
	`{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
	// strings long enough for the eight-byte loop, special bytes at each offset
	`"0123456789abcdef"`, `"01234567\"89"`, `"0123456\\"`, "\"012345678\x019\"", `"0123456789\u00e9abcdef"`,
	"\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"",
}

func TestSkipValueMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonCorpus {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid = %v", s, got, want)
		}
		// Every prefix and every single-byte deletion too.
		for i := 0; i < len(s); i++ {
			for _, v := range []string{s[:i], s[:i] + s[i+1:]} {
				if got, want := validJSON([]byte(v)), json.Valid([]byte(v)); got != want {
					t.Errorf("validJSON(%q) = %v, json.Valid = %v", v, got, want)
				}
			}
		}
	}
}

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in string
		n  int // -1: error
	}{
		{`1,2`, 1},
		{`  "a"  `, 5},
		{`[1,2]]`, 5},
		{`{"a":[]}x`, 8},
		{`true false`, 4},
		{`-12.5e+3]`, 8},
		{`0123`, 1},
		{"", -1},
		{"   ", -1},
		{`]`, -1},
		{`[1,2`, -1},
		{`"abc`, -1},
		{`{"a" 1}`, -1},
	}
	for _, tt := range tests {
		n, err := SkipValue([]byte(tt.in))
		if tt.n < 0 {
			if !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("SkipValue(%q) = %d, %v; want an error", tt.in, n, err)
			}
			continue
		}
		if err != nil || n != tt.n {
			t.Errorf("SkipValue(%q) = %d, %v; want %d", tt.in, n, err, tt.n)
		}
	}
}

func TestSkipValueDepth(t *testing.T) {
	for _, depth := range []int{1, 63, 64, 65, 128, 129, 1000, maxJSONDepth, maxJSONDepth + 1} {
		for _, open := range []string{"[", `{"k":`, `[{"a":1},`} {
			closeTok := map[string]string{"[": "]", `{"k":`: "}", `[{"a":1},`: "]"}[open]
			s := strings.Repeat(open, depth) + "0" + strings.Repeat(closeTok, depth)
			if open == "[" {
				s = strings.Repeat(open, depth) + strings.Repeat(closeTok, depth) // innermost empty
			}
			n, err := SkipValue([]byte(s))
			want := json.Valid([]byte(s))
			if (err == nil) != want {
				t.Errorf("depth %d %q: err = %v, json.Valid = %v", depth, open, err, want)
			}
			if depth > maxJSONDepth && !errors.Is(err, ErrJSONDepth) {
				t.Errorf("depth %d: err = %v, want ErrJSONDepth", depth, err)
			}
			if err == nil && n != len(s) {
				t.Errorf("depth %d: n = %d, want %d", depth, n, len(s))
			}
		}
	}
	// Containers of both kinds alternating across the 64-level words.
	var sb strings.Builder
	for i := 0; i < 300; i++ {
		if i%3 == 0 {
			sb.WriteString(`{"k":`)
		} else {
			sb.WriteString(`[`)
		}
	}
	sb.WriteString("1")
	for i := 299; i >= 0; i-- {
		if i%3 == 0 {
			sb.WriteString(`}`)
		} else {
			sb.WriteString(`]`)
		}
	}
	if !validJSON([]byte(sb.String())) {
		t.Error("mixed nesting rejected")
	}
	bad := strings.Replace(sb.String(), "]}", "}}", 1)
	if validJSON([]byte(bad)) {
		t.Error("mismatched closer accepted")
	}
}

func TestArrayIter(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`[]`, nil, true},
		{` [ ] `, nil, true},
		{`["chat","hello"]`, []string{`"chat"`, `"hello"`}, true},
		{`[ 1 , {"a":[2]} ,null,"x" ]`, []string{`1`, `{"a":[2]}`, `null`, `"x"`}, true},
		{`[1,]`, []string{`1`}, false},
		{`[1 2]`, []string{`1`}, false},
		{`[1`, []string{`1`}, false},
		{`[1]x`, []string{`1`}, false},
		{`[,]`, nil, false},
		{`[01]`, []string{`0`}, false},
	}
	for _, tt := range tests {
		it, err := NewArrayIter([]byte(tt.in))
		if err != nil {
			t.Errorf("NewArrayIter(%q): %v", tt.in, err)
			continue
		}
		var got []string
		for {
			raw, ok := it.Next()
			if !ok {
				break
			}
			got = append(got, string(raw))
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || (it.Err() == nil) != tt.ok {
			t.Errorf("%q: elements %q, err %v; want %q, ok %v", tt.in, got, it.Err(), tt.want, tt.ok)
		}
		if _, ok := it.Next(); ok {
			t.Errorf("%q: Next after the end", tt.in)
		}
	}
	for _, bad := range []string{``, `{}`, `"[1]"`, `1`} {
		if _, err := NewArrayIter([]byte(bad)); err == nil {
			t.Errorf("NewArrayIter(%q) succeeded", bad)
		}
	}
	var zero ArrayIter
	if _, ok := zero.Next(); ok || zero.Err() != nil {
		t.Error("zero ArrayIter must be exhausted")
	}
}

func TestUnquote(t *testing.T) {
	for _, s := range jsonCorpus {
		raw := []byte(s)
		if len(raw) < 2 || raw[0] != '"' {
			continue
		}
		var want string
		wantErr := json.Unmarshal(raw, &want)
		got, err := AppendUnquote([]byte("x"), raw)
		if (err == nil) != (wantErr == nil) {
			t.Errorf("AppendUnquote(%q): err = %v, encoding/json: %v", s, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		// encoding/json also replaces invalid UTF-8 outside escapes; we copy it.
		if string(got[1:]) != want && fixUTF8(string(got[1:])) != want {
			t.Errorf("AppendUnquote(%q) = %q, want %q", s, got[1:], want)
		}
		if u, ok := Unquote(raw); ok {
			if strings.Contains(s, `\`) || string(u) != string(got[1:]) {
				t.Errorf("Unquote(%q) = %q", s, u)
			}
		} else if !strings.Contains(s, `\`) {
			t.Errorf("Unquote(%q) failed without escapes", s)
		}
		if str, err := unquote(raw); err != nil || str != string(got[1:]) {
			t.Errorf("unquote(%q) = %q, %v", s, str, err)
		}
	}
	for _, bad := range []string{``, `"`, `a`, `"a`, `a"`, `"a"b"`, `"\"`, "\"\n\""} {
		if _, ok := Unquote([]byte(bad)); ok {
			t.Errorf("Unquote(%q) ok", bad)
		}
		if _, err := AppendUnquote(nil, []byte(bad)); err == nil {
			t.Errorf("AppendUnquote(%q) ok", bad)
		}
	}
}

// TestAppendJSONString checks the bytes JSON.stringify writes (taken from
// Node.js 20) and that encoding/json reads back the same string.
func TestAppendJSONString(t *testing.T) {
	var ascii []byte
	for c := 0; c < 0x80; c++ {
		ascii = append(ascii, byte(c))
	}
	const jsASCII = `"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_` + "`abcdefghijklmnopqrstuvwxyz{|}~\x7f\""
	tests := []struct{ in, want string }{
		{string(ascii), jsASCII},
		{"", `""`},
		{"<b>&amp;</b>", `"<b>&amp;</b>"`},
		{"café", `"café"`},
		{"\u2028\u2029", "\"\u2028\u2029\""},
		{"😀", `"😀"`},
		{"tab\tq\"", `"tab\tq\""`},
		{"bad\xffutf8", "\"bad\uFFFDutf8\""},
		{"\xed\xa0\x80", "\"\uFFFD\uFFFD\uFFFD\""}, // a surrogate in UTF-8 form
		{"0123456789abcdef\"", `"0123456789abcdef\""`},
		{"01234567é9abcdef\n", `"01234567é9abcdef\n"`},
	}
	for _, tt := range tests {
		got := AppendJSONString([]byte("x"), tt.in)
		if string(got[1:]) != tt.want {
			t.Errorf("AppendJSONString(%q) = %q, want %q", tt.in, got[1:], tt.want)
		}
		var back string
		if err := json.Unmarshal(got[1:], &back); err != nil || back != fixUTF8(tt.in) {
			t.Errorf("AppendJSONString(%q): reads back as %q, %v", tt.in, back, err)
		}
	}
}

// TestAppendJSNumber checks JSON.stringify's number formatting (values
// from Node.js 20).
func TestAppendJSNumber(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1, "-1"}, {1.5, "1.5"}, {0.1, "0.1"},
		{1e21, "1e+21"}, {1e20, "100000000000000000000"}, {123456789012345680000, "123456789012345680000"},
		{1e-6, "0.000001"}, {1e-7, "1e-7"}, {9.9e-7, "9.9e-7"}, {1.5e-7, "1.5e-7"}, {5e-324, "5e-324"},
		{1.7976931348623157e308, "1.7976931348623157e+308"}, {-1e21, "-1e+21"}, {1e300, "1e+300"},
		{0.000001234, "0.000001234"}, {123.456, "123.456"}, {9007199254740992, "9007199254740992"},
		{9007199254740994, "9007199254740994"}, {100, "100"}, {-0.5, "-0.5"},
		{33.333333333333336, "33.333333333333336"},
		{math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"},
	}
	for _, tt := range tests {
		if got := string(appendJSNumber(nil, tt.f, 64)); got != tt.want {
			t.Errorf("appendJSNumber(%v) = %s, want %s", tt.f, got, tt.want)
		}
	}
	if got := string(appendJSNumber(nil, float64(float32(0.1)), 32)); got != "0.1" {
		t.Errorf("float32 0.1 = %s", got)
	}
}

// TestScanStringPlain compares the eight-byte string scanner with a plain
// byte loop at every alignment.
func TestScanStringPlain(t *testing.T) {
	plain := func(b []byte, i int) (int, bool, bool) {
		esc := false
		for i < len(b) {
			switch c := b[i]; {
			case c == '"':
				return i + 1, esc, true
			case c == '\\':
				esc = true
				if i+1 >= len(b) {
					return 0, esc, false
				}
				switch b[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
				case 'u':
					if len(b)-i < 6 || !isHex4(b[i+2:]) {
						return 0, esc, false
					}
					i += 6
				default:
					return 0, esc, false
				}
			case c < 0x20:
				return 0, esc, false
			default:
				i++
			}
		}
		return 0, esc, false
	}
	specials := []string{`"`, `\\`, `\"`, `\u0041`, "\x01", "\x1f", "\x20", "\x7f", "\x80", "\xff", "é", `\`, `\q`}
	for pos := 0; pos < 20; pos++ {
		for _, sp := range specials {
			s := []byte(strings.Repeat("a", pos) + sp + strings.Repeat("b", 20-pos) + `"`)
			end, esc, err := scanString(s, 0)
			pend, pesc, pok := plain(s, 0)
			if (err == nil) != pok || (pok && (end != pend || esc != pesc)) {
				t.Errorf("scanString(%q) = %d, %v, %v; plain %d, %v, %v", s, end, esc, err, pend, pesc, pok)
			}
		}
	}
}

// fixUTF8 replaces every byte of invalid UTF-8 with U+FFFD, as
// encoding/json does.
func fixUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // ranging yields U+FFFD per invalid byte
	}
	return b.String()
}

func TestMember(t *testing.T) {
	for _, c := range []struct {
		obj, key, want string
		ok             bool
	}{
		{`{"room":"r1","x":1}`, "room", `"r1"`, true},
		{` { "a" : [1,{"room":2}] , "room" : 42 } `, "room", `42`, true},
		{`{"a":1}`, "room", ``, false},
		{`{}`, "room", ``, false},
		{`{"r\u006fom":{"k":[]}}`, "room", `{"k":[]}`, true},
		{`{"room":1,"room":2}`, "room", `1`, true},
		{`[1]`, "room", ``, false},
		{`"room"`, "room", ``, false},
		{`{"room":}`, "room", ``, false},
		{`{"a":1 "room":2}`, "room", ``, false},
		{`{"a":tru,"room":2}`, "room", ``, false},
	} {
		raw, ok := Member([]byte(c.obj), c.key)
		if ok != c.ok || string(raw) != c.want {
			t.Errorf("Member(%s, %q) = %q %v, want %q %v", c.obj, c.key, raw, ok, c.want, c.ok)
		}
	}
	if a := testing.AllocsPerRun(100, func() { _, _ = Member([]byte(`{"x":[1,2],"room":"r"}`), "room") }); a != 0 {
		t.Errorf("Member: %v allocations", a)
	}
}
