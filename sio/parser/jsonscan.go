package parser

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Zero-allocation JSON scanning (RFC 8259): the codec validates and splits
// event payloads without decoding them, so a relay can pass arguments on as
// raw JSON.
//
// The scanner checks the grammar exactly as encoding/json.Valid does (the
// fuzz target compares the two), including its nesting limit of 10000. Like
// encoding/json.Valid, and unlike JSON.parse (which works on already-decoded
// text), it does not check that strings are valid UTF-8: the transport
// (WebSocket text frames, polling bodies) is responsible for that.

// Errors of the JSON scanner. ErrJSONDepth matches ErrInvalidJSON with
// errors.Is.
var (
	ErrInvalidJSON = errors.New("sio: invalid JSON")
	ErrJSONDepth   = fmt.Errorf("%w: nested too deeply", ErrInvalidJSON)

	errStackFull = errors.New("sio: scanner stack full") // internal: retry with a bigger stack
)

// maxJSONDepth is the deepest nesting SkipValue accepts, that of
// encoding/json. Node's JSON.parse has no limit of its own, but
// socket.io-parser fails ("Maximum call stack size exceeded") on payloads
// nested a few thousand levels deeper than this.
const maxJSONDepth = 10000

// wsMask has the bits of the four JSON whitespace bytes.
const wsMask = 1<<' ' | 1<<'\t' | 1<<'\n' | 1<<'\r'

// isWS reports whether c is JSON whitespace (space, tab, LF, CR).
func isWS(c byte) bool { return c <= ' ' && wsMask>>c&1 != 0 }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// SkipValue returns the length of the JSON value at the start of b,
// leading whitespace included; b[n:] is what follows the value (it is not
// inspected). The value is fully validated. SkipValue never allocates and
// does not retain b.
func SkipValue(b []byte) (n int, err error) { return skipValue(b, 0) }

// skipValue is SkipValue starting at b[i]: it returns the index just after
// the value.
func skipValue(b []byte, i int) (int, error) {
	// Nesting state is a bit stack (1 = object). 64 levels fit in one word
	// on the stack; deeper input is scanned again with the full stack, off
	// the fast path.
	var stk [1]uint64
	n, err := scanValue(b, i, stk[:])
	if err == errStackFull {
		return skipValueDeep(b, i)
	}
	return n, err
}

//go:noinline
func skipValueDeep(b []byte, i int) (int, error) {
	var stk [(maxJSONDepth + 63) / 64]uint64
	return scanValue(b, i, stk[:])
}

// validJSON reports whether b is exactly one JSON value, with optional
// whitespace around it.
func validJSON(b []byte) bool {
	n, err := skipValue(b, 0)
	return err == nil && skipWS(b, n) == len(b)
}

// scanValue is the scanner proper: an iterative state machine over b from
// b[i]. stk holds one bit per open container; when it is full, scanValue
// returns errStackFull (or ErrJSONDepth at maxJSONDepth).
func scanValue(b []byte, i int, stk []uint64) (int, error) {
	limit := len(stk) * 64
	if limit > maxJSONDepth {
		limit = maxJSONDepth
	}
	depth := 0
	var err error
	for {
		// A value is expected at b[i] (after whitespace).
		i = skipWS(b, i)
		if i >= len(b) {
			return i, ErrInvalidJSON
		}
		switch c := b[i]; c {
		case '"':
			if i, _, err = scanString(b, i+1); err != nil {
				return i, err
			}
		case '{', '[':
			if depth == limit {
				if limit == maxJSONDepth {
					return i, ErrJSONDepth
				}
				return i, errStackFull
			}
			i = skipWS(b, i+1)
			if i >= len(b) {
				return i, ErrInvalidJSON
			}
			if b[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				i++
				break
			}
			w, bit := depth>>6, uint64(1)<<(depth&63)
			depth++
			if c == '[' {
				stk[w] &^= bit
				continue
			}
			stk[w] |= bit
			if i, err = scanKey(b, i); err != nil {
				return i, err
			}
			continue
		case 't':
			if i, err = scanLiteral(b, i, "true"); err != nil {
				return i, err
			}
		case 'f':
			if i, err = scanLiteral(b, i, "false"); err != nil {
				return i, err
			}
		case 'n':
			if i, err = scanLiteral(b, i, "null"); err != nil {
				return i, err
			}
		default:
			if i, err = scanNumber(b, i); err != nil {
				return i, err
			}
		}
		// A value ended at b[i]: close containers until one continues.
		for {
			if depth == 0 {
				return i, nil
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, ErrInvalidJSON
			}
			d := depth - 1
			obj := stk[d>>6]>>(d&63)&1 != 0
			c := b[i]
			if c == ',' {
				i++
				if obj {
					if i, err = scanKey(b, i); err != nil {
						return i, err
					}
				}
				break
			}
			if (obj && c == '}') || (!obj && c == ']') {
				i++
				depth--
				continue
			}
			return i, ErrInvalidJSON
		}
	}
}

// scanKey scans `ws "key" ws :` from b[i] and returns the index after ':'.
func scanKey(b []byte, i int) (int, error) {
	i = skipWS(b, i)
	if i >= len(b) || b[i] != '"' {
		return i, ErrInvalidJSON
	}
	i, _, err := scanString(b, i+1)
	if err != nil {
		return i, err
	}
	i = skipWS(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, ErrInvalidJSON
	}
	return i + 1, nil
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, ErrInvalidJSON
	}
	return i + len(lit), nil
}

func isDigit(c byte) bool { return c-'0' < 10 }

// scanNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? from b[i].
func scanNumber(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
		if i >= len(b) {
			return i, ErrInvalidJSON
		}
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, ErrInvalidJSON
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, ErrInvalidJSON
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, ErrInvalidJSON
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, nil
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// scanString scans the rest of a JSON string whose opening quote is just
// before b[i]. It returns the index after the closing quote and whether the
// string holds escape sequences.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	for {
		// Eight bytes at a time: find the first '"', '\\' or control byte.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q := x ^ (lsb * '"')
			s := x ^ (lsb * '\\')
			m := ((q - lsb) &^ q) | ((s - lsb) &^ s) | ((x - lsb*0x20) &^ x)
			if m &= msb; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return i, escaped, ErrInvalidJSON
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return i, escaped, ErrInvalidJSON
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex4(b[i+2:i+6]) {
					return i, escaped, ErrInvalidJSON
				}
				i += 6
			default:
				return i, escaped, ErrInvalidJSON
			}
		case c < 0x20:
			return i, escaped, ErrInvalidJSON
		default:
			i++
		}
	}
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return c | 0x20 - 'a' + 10, true
	}
	return 0, false
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if _, ok := unhex(c); !ok {
			return false
		}
	}
	return true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		v, _ := unhex(c)
		r = r<<4 | rune(v)
	}
	return r
}

// ArrayIter iterates over the elements of a JSON array without decoding
// them. Elements are returned as raw JSON (no surrounding whitespace) that
// alias the array given to NewArrayIter: they are valid as long as it is.
// The zero value is an exhausted iterator. It never allocates.
type ArrayIter struct {
	b    []byte
	i    int
	n    int  // elements returned so far
	live bool // set by NewArrayIter, cleared at the end
	err  error
}

// NewArrayIter starts iterating over the JSON array b (surrounding
// whitespace allowed). It fails if b does not start with an array; the
// elements are validated as they are returned, and what follows the closing
// bracket (only whitespace is allowed) when the iteration ends.
func NewArrayIter(b []byte) (ArrayIter, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return ArrayIter{err: ErrInvalidJSON}, ErrInvalidJSON
	}
	return ArrayIter{b: b, i: i + 1, live: true}, nil
}

// Next returns the next element, or ok == false at the end of the array or
// on malformed input (see Err).
func (it *ArrayIter) Next() (raw []byte, ok bool) {
	if !it.live {
		return nil, false
	}
	i := skipWS(it.b, it.i)
	if i >= len(it.b) {
		return it.fail(i)
	}
	if it.n > 0 {
		switch it.b[i] {
		case ',':
			i = skipWS(it.b, i+1)
		case ']':
			return it.end(i + 1)
		default:
			return it.fail(i)
		}
	} else if it.b[i] == ']' {
		return it.end(i + 1)
	}
	j, err := skipValue(it.b, i)
	if err != nil {
		it.live, it.err = false, err
		return nil, false
	}
	it.i = j
	it.n++
	return it.b[i:j], true
}

func (it *ArrayIter) end(i int) ([]byte, bool) {
	it.live = false
	if skipWS(it.b, i) != len(it.b) {
		it.err = ErrInvalidJSON
	}
	return nil, false
}

func (it *ArrayIter) fail(i int) ([]byte, bool) {
	it.i, it.live, it.err = i, false, ErrInvalidJSON
	return nil, false
}

// Err returns the error that ended the iteration, or nil if the array was
// well-formed (so far).
func (it *ArrayIter) Err() error { return it.err }

// Unquote returns the contents of the JSON string raw (quotes included)
// when it holds no escape sequence: s then aliases raw and nothing is
// allocated. ok is false when raw is not a JSON string or has escapes; use
// AppendUnquote for those.
func Unquote(raw []byte) (s []byte, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	s = raw[1 : len(raw)-1]
	for _, c := range s {
		if c == '"' || c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	return s, true
}

// AppendUnquote appends the decoded contents of the JSON string raw (quotes
// included) to dst. \u escapes of UTF-16 surrogate pairs become one UTF-8
// sequence; a lone surrogate becomes U+FFFD, as in encoding/json (JSON.parse
// would keep it, which a Go string cannot). Bytes outside escapes are
// copied as they are. raw is not retained.
func AppendUnquote(dst, raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return dst, ErrInvalidJSON
	}
	s := raw[1 : len(raw)-1]
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			if c == '"' || c < 0x20 {
				return dst, ErrInvalidJSON
			}
			j := i + 1
			for j < len(s) && s[j] != '\\' && s[j] != '"' && s[j] >= 0x20 {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(s) {
			return dst, ErrInvalidJSON
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if len(s)-i < 6 || !isHex4(s[i+2:]) {
				return dst, ErrInvalidJSON
			}
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) && len(s)-i >= 6 && s[i] == '\\' && s[i+1] == 'u' && isHex4(s[i+2:]) {
				if r2 := utf16.DecodeRune(r, hex4(s[i+2:])); r2 != utf8.RuneError {
					r = r2
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r) // a lone surrogate is written as U+FFFD
			continue
		default:
			return dst, ErrInvalidJSON
		}
		i += 2
	}
	return dst, nil
}

// unquote decodes the JSON string raw into a new Go string.
func unquote(raw []byte) (string, error) {
	if s, ok := Unquote(raw); ok {
		return string(s), nil
	}
	b, err := AppendUnquote(make([]byte, 0, len(raw)), raw)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AppendJSONString appends s as a JSON string exactly as JSON.stringify
// writes it: '"' and '\\' escaped, \b \t \n \f \r as short escapes, other
// control bytes as \u00XX (lower-case hex), everything else (DEL, '<', '>',
// '&', U+2028, U+2029, all non-ASCII) unescaped. Invalid UTF-8 is written
// as U+FFFD, as encoding/json and sonic do.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time over plain ASCII.
		for i+8 <= len(s) {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			q := x ^ (lsb * '"')
			e := x ^ (lsb * '\\')
			m := ((q - lsb) &^ q) | ((e - lsb) &^ e) | ((x - lsb*0x20) &^ x) | x
			if m &= msb; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\uFFFD"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSNumber appends f as JavaScript's Number#toString (and so
// JSON.stringify) writes it: shortest round-trip digits, exponent form
// below 1e-6 and from 1e21 on ("1e+21", "1e-7"), -0 as 0, and null for NaN
// and ±Inf (JSON.stringify's choice). bitSize 32 formats a float32's
// shortest digits.
func appendJSNumber(dst []byte, f float64, bitSize int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == 0 {
		return append(dst, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) ||
		bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bitSize)
	if format == 'e' {
		// strconv writes "1e-07"; JavaScript writes "1e-7".
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// Member returns the raw JSON value of the member key of the JSON object
// obj (the first one, for a repeated key), without decoding or allocating.
// ok is false when obj is not an object, is malformed before the member,
// or has no such member.
func Member(obj []byte, key string) (raw []byte, ok bool) {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, false
	}
	i = skipWS(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil, false
	}
	var kb [64]byte
	for i < len(obj) {
		if obj[i] != '"' {
			return nil, false
		}
		end, escaped, err := scanString(obj, i+1)
		if err != nil {
			return nil, false
		}
		name := obj[i+1 : end-1]
		if escaped {
			u, err := AppendUnquote(kb[:0], obj[i:end])
			if err != nil {
				return nil, false
			}
			name = u
		}
		i = skipWS(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return nil, false
		}
		start := skipWS(obj, i+1)
		i, err = skipValue(obj, start)
		if err != nil {
			return nil, false
		}
		if string(name) == key {
			return obj[start:i], true
		}
		i = skipWS(obj, i)
		if i >= len(obj) || obj[i] != ',' {
			return nil, false
		}
		i = skipWS(obj, i+1)
	}
	return nil, false
}
