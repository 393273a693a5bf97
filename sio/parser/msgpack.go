package parser

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/sioloop/sioloop/internal/msgpack"
)

// msgpack ⇄ Socket.IO JSON. sioloop holds every payload as Socket.IO JSON
// text plus binary attachments; two peers speak msgpack instead: the
// Node.js Redis adapter (notepack.io 3) and socket.io-msgpack-parser
// (notepack.io 2.2). Their payloads are transcoded once, in each
// direction:
//
//   - JSON → msgpack: objects → maps (key order kept), arrays → arrays,
//     strings → str, integers that fit → the smallest int form, other
//     numbers → float64, true/false/null, and an attachment placeholder
//     {"_placeholder":true,"num":i} → bin (the attachment's bytes);
//   - msgpack → JSON: the reverse; bin, and the ArrayBuffer extension
//     (ext type 0) → a placeholder and an attachment; a Date (timestamp
//     extension -1 of notepack 3, fixext 8 of type 0 of notepack 2) → its
//     ISO 8601 string, as JSON.stringify gives it; undefined (fixext 1 of
//     type 0) → null in an array, and the member left out of a map, as
//     JSON.stringify does.

// msgpackMaxDepth bounds the nesting of a transcoded value (as the JSON
// scanner).
const msgpackMaxDepth = 1000

// Errors of the msgpack transcoder and of the msgpack packet format.
var (
	// ErrInvalidMsgpack: msgpack input that is truncated, malformed, or
	// holds what JSON cannot (a non-string map key, an unknown extension).
	ErrInvalidMsgpack = fmt.Errorf("%w: invalid or unsupported msgpack", ErrInvalidPacket)
	errMsgpackDepth   = fmt.Errorf("%w: msgpack nested too deeply", ErrInvalidPacket)
	errToMsgpack      = fmt.Errorf("%w: not JSON, or a placeholder refers to no attachment", ErrUnsupportedValue)
	errToMsgpackDepth = fmt.Errorf("%w: JSON nested too deeply for msgpack", ErrUnsupportedValue)
)

// --- JSON → msgpack ---

// AppendMsgpack appends the msgpack form of the JSON value v; a binary
// attachment placeholder {"_placeholder":true,"num":i} becomes bin(atts[i]).
// Integers are written in their smallest form and other numbers as
// float64, as notepack.io writes a JavaScript number.
func AppendMsgpack(dst, v []byte, atts [][]byte) ([]byte, error) {
	if _, err := SkipValue(v); err != nil {
		return nil, errToMsgpack
	}
	dst, rest, err := jsonToMsgpack(dst, v, atts, 0)
	if err != nil {
		return nil, err
	}
	if len(trimWS(rest)) != 0 {
		return nil, errToMsgpack
	}
	return dst, nil
}

func trimWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// jsonToMsgpack converts the (valid) JSON value at the start of v in one
// pass: a container's header is written as the one-byte fix form and
// widened afterwards in the rare case it holds 16 members or more.
func jsonToMsgpack(dst, v []byte, atts [][]byte, depth int) ([]byte, []byte, error) {
	if depth > msgpackMaxDepth {
		return nil, nil, errToMsgpackDepth
	}
	v = trimWS(v)
	if len(v) == 0 {
		return nil, nil, errToMsgpack
	}
	switch c := v[0]; {
	case c == '{':
		// Placeholders only mean something in a packet with attachments.
		if len(atts) > 0 {
			if n, ok := placeholderNum(v); ok {
				if n < 0 || n >= len(atts) {
					return nil, nil, errToMsgpack
				}
				end, _ := SkipValue(v)
				return msgpack.AppendBin(dst, atts[n]), v[end:], nil
			}
		}
		hdr := len(dst)
		dst = append(dst, 0x80)
		count := 0
		v = trimWS(v[1:])
		for v[0] != '}' {
			if v[0] == ',' {
				v = trimWS(v[1:])
			}
			k, _ := SkipValue(v)
			var err error
			if dst, err = appendMsgpackString(dst, v[:k]); err != nil {
				return nil, nil, err
			}
			v = trimWS(v[k:])[1:] // ':'
			if dst, v, err = jsonToMsgpack(dst, v, atts, depth+1); err != nil {
				return nil, nil, err
			}
			v = trimWS(v)
			count++
		}
		return patchHeader(dst, hdr, count, 0x80, 0xde), v[1:], nil
	case c == '[':
		hdr := len(dst)
		dst = append(dst, 0x90)
		count := 0
		v = trimWS(v[1:])
		for v[0] != ']' {
			if v[0] == ',' {
				v = v[1:]
			}
			var err error
			if dst, v, err = jsonToMsgpack(dst, v, atts, depth+1); err != nil {
				return nil, nil, err
			}
			v = trimWS(v)
			count++
		}
		return patchHeader(dst, hdr, count, 0x90, 0xdc), v[1:], nil
	case c == '"':
		n, _ := SkipValue(v)
		dst, err := appendMsgpackString(dst, v[:n])
		return dst, v[n:], err
	case c == 't':
		return msgpack.AppendBool(dst, true), v[4:], nil
	case c == 'f':
		return msgpack.AppendBool(dst, false), v[5:], nil
	case c == 'n':
		return msgpack.AppendNil(dst), v[4:], nil
	default:
		n, _ := SkipValue(v)
		out, err := appendMsgpackNumber(dst, v[:n])
		return out, v[n:], err
	}
}

// patchHeader writes the header of the container of count members whose
// one-byte fix header was reserved at dst[hdr]: fix (fix|count) below 16,
// else the 16-bit (wide) or 32-bit (wide+1) form, moving the members.
func patchHeader(dst []byte, hdr, count int, fix, wide byte) []byte {
	if count < 16 {
		dst[hdr] = fix | byte(count)
		return dst
	}
	extra := 2
	if count >= 1<<16 {
		extra = 4
	}
	end := len(dst)
	dst = append(dst, make([]byte, extra)...)
	copy(dst[hdr+1+extra:], dst[hdr+1:end])
	if extra == 2 {
		dst[hdr] = wide
		binary.BigEndian.PutUint16(dst[hdr+1:], uint16(count))
	} else {
		dst[hdr] = wide + 1
		binary.BigEndian.PutUint32(dst[hdr+1:], uint32(count))
	}
	return dst
}

// appendMsgpackString writes the JSON string raw (quotes included) as str;
// without escapes its bytes are the string's, as they are.
func appendMsgpackString(dst, raw []byte) ([]byte, error) {
	if len(raw) < 2 {
		return nil, errToMsgpack
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return msgpack.AppendStrBytes(dst, raw[1:len(raw)-1]), nil
	}
	s, err := AppendUnquote(nil, raw)
	if err != nil {
		return nil, errToMsgpack
	}
	return msgpack.AppendStrBytes(dst, s), nil
}

// appendMsgpackNumber writes a JSON number as notepack writes the
// JavaScript number: an integer in the safe range as an int, anything else
// as float64.
func appendMsgpackNumber(dst, lit []byte) ([]byte, error) {
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) { // 1e400: ±Infinity, as JSON.parse reads it
		return nil, errToMsgpack
	}
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 && !(f == 0 && math.Signbit(f)) {
		return msgpack.AppendInt(dst, int64(f)), nil
	}
	return msgpack.AppendFloat(dst, f), nil
}

// placeholderNum reports whether the object at the start of v is an
// attachment placeholder, and its number. The form JSON.stringify and this
// package write, {"_placeholder":true,"num":N}, is read at once; other
// spellings are looked at only when the first key is one of the two (an
// object whose first key is neither is taken for a plain object).
func placeholderNum(v []byte) (int, bool) {
	const exact = `{"_placeholder":true,"num":`
	if bytes.HasPrefix(v, []byte(exact)) {
		i, n := len(exact), 0
		for ; i < len(v) && i < len(exact)+9 && v[i] >= '0' && v[i] <= '9'; i++ {
			n = n*10 + int(v[i]-'0')
		}
		if i > len(exact) && i < len(v) && v[i] == '}' && (v[len(exact)] != '0' || i == len(exact)+1) {
			return n, true
		}
	}
	first := trimWS(v[1:])
	if !bytes.HasPrefix(first, []byte(`"_placeholder"`)) && !bytes.HasPrefix(first, []byte(`"num"`)) {
		return 0, false
	}
	n, err := SkipValue(v)
	if err != nil {
		return 0, false
	}
	obj := v[:n]
	if p, ok := Member(obj, "_placeholder"); !ok || string(p) != "true" {
		return 0, false
	}
	num, ok := Member(obj, "num")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(string(num))
	if err != nil {
		return 0, false
	}
	return i, true
}

// --- msgpack → JSON ---

// AppendMsgpackJSON appends the JSON form of the msgpack value at the
// start of m and returns what follows it; each bin (or ArrayBuffer) becomes
// a placeholder and a copy of its bytes is appended to *atts.
func AppendMsgpackJSON(dst, m []byte, atts *[][]byte) (json, rest []byte, err error) {
	return msgpackToJSON(dst, m, atts, 0)
}

func msgpackToJSON(dst, m []byte, atts *[][]byte, depth int) ([]byte, []byte, error) {
	if depth > msgpackMaxDepth {
		return nil, nil, errMsgpackDepth
	}
	if len(m) == 0 {
		return nil, nil, ErrInvalidMsgpack
	}
	c := m[0]
	switch {
	case c <= 0x7f:
		return strconv.AppendInt(dst, int64(c), 10), m[1:], nil
	case c >= 0xe0:
		return strconv.AppendInt(dst, int64(int8(c)), 10), m[1:], nil
	case c&0xe0 == 0xa0:
		return msgpackStrToJSON(dst, m[1:], int(c&0x1f))
	case c&0xf0 == 0x90:
		return msgpackArrayToJSON(dst, m[1:], int(c&0x0f), atts, depth)
	case c&0xf0 == 0x80:
		return msgpackMapToJSON(dst, m[1:], int(c&0x0f), atts, depth)
	}
	switch c {
	case 0xc0:
		return append(dst, "null"...), m[1:], nil
	case 0xc2:
		return append(dst, "false"...), m[1:], nil
	case 0xc3:
		return append(dst, "true"...), m[1:], nil
	case 0xc4, 0xc5, 0xc6:
		n, body, err := msgpack.Length(m[1:], 1<<(c-0xc4))
		if err != nil || len(body) < n {
			return nil, nil, ErrInvalidMsgpack
		}
		return appendAttachment(dst, body[:n], atts), body[n:], nil
	case 0xca:
		if len(m) < 5 {
			return nil, nil, ErrInvalidMsgpack
		}
		return appendJSNumber(dst, float64(math.Float32frombits(binary.BigEndian.Uint32(m[1:]))), 64), m[5:], nil
	case 0xcb:
		if len(m) < 9 {
			return nil, nil, ErrInvalidMsgpack
		}
		return appendJSNumber(dst, math.Float64frombits(binary.BigEndian.Uint64(m[1:])), 64), m[9:], nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		size := 1 << (c - 0xcc)
		if len(m) < 1+size {
			return nil, nil, ErrInvalidMsgpack
		}
		var u uint64
		for _, b := range m[1 : 1+size] {
			u = u<<8 | uint64(b)
		}
		if u > 1<<53 { // a JavaScript number: the nearest double
			return appendJSNumber(dst, float64(u), 64), m[1+size:], nil
		}
		return strconv.AppendUint(dst, u, 10), m[1+size:], nil
	case 0xd0, 0xd1, 0xd2, 0xd3:
		v, rest, err := msgpack.ReadInt(m)
		if err != nil {
			return nil, nil, ErrInvalidMsgpack
		}
		if v < -1<<53 || v > 1<<53 {
			return appendJSNumber(dst, float64(v), 64), rest, nil
		}
		return strconv.AppendInt(dst, v, 10), rest, nil
	case 0xd9, 0xda, 0xdb:
		n, body, err := msgpack.Length(m[1:], 1<<(c-0xd9))
		if err != nil {
			return nil, nil, ErrInvalidMsgpack
		}
		return msgpackStrToJSON(dst, body, n)
	case 0xdc, 0xdd:
		n, body, err := msgpack.Length(m[1:], 2<<(c-0xdc))
		if err != nil {
			return nil, nil, ErrInvalidMsgpack
		}
		return msgpackArrayToJSON(dst, body, n, atts, depth)
	case 0xde, 0xdf:
		n, body, err := msgpack.Length(m[1:], 2<<(c-0xde))
		if err != nil {
			return nil, nil, ErrInvalidMsgpack
		}
		return msgpackMapToJSON(dst, body, n, atts, depth)
	case 0xd4:
		if msgpack.IsUndefined(m) { // undefined: null, as in a JSON array
			return append(dst, "null"...), m[3:], nil
		}
	case 0xd6, 0xd7, 0xc7, 0xc8, 0xc9:
		return msgpackExtToJSON(dst, m, atts)
	}
	return nil, nil, ErrInvalidMsgpack
}

func appendAttachment(dst, b []byte, atts *[][]byte) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(len(*atts)), 10)
	*atts = append(*atts, append(make([]byte, 0, len(b)), b...)) // never nil: an empty Buffer stays one
	return append(dst, '}')
}

func msgpackStrToJSON(dst, m []byte, n int) ([]byte, []byte, error) {
	if len(m) < n {
		return nil, nil, ErrInvalidMsgpack
	}
	return appendJSONStringBytes(dst, m[:n]), m[n:], nil
}

func msgpackArrayToJSON(dst, m []byte, n int, atts *[][]byte, depth int) ([]byte, []byte, error) {
	dst = append(dst, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, m, err = msgpackToJSON(dst, m, atts, depth+1); err != nil {
			return nil, nil, err
		}
	}
	return append(dst, ']'), m, nil
}

func msgpackMapToJSON(dst, m []byte, n int, atts *[][]byte, depth int) ([]byte, []byte, error) {
	dst = append(dst, '{')
	first := true
	for i := 0; i < n; i++ {
		if !msgpack.IsStr(m) {
			return nil, nil, ErrInvalidMsgpack // JSON keys are strings
		}
		mark := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		var err error
		if dst, m, err = msgpackToJSON(dst, m, atts, depth+1); err != nil {
			return nil, nil, err
		}
		if msgpack.IsUndefined(m) { // JSON.stringify leaves the member out
			dst, m = dst[:mark], m[3:]
			continue
		}
		dst = append(dst, ':')
		if dst, m, err = msgpackToJSON(dst, m, atts, depth+1); err != nil {
			return nil, nil, err
		}
		first = false
	}
	return append(dst, '}'), m, nil
}

// msgpackExtToJSON handles the extensions the Node.js peers write: the
// ArrayBuffer (type 0 of ext 8/16/32, notepack 2) as an attachment; a Date
// as the ISO string JSON.stringify gives it: the timestamp extension (type
// -1: fixext 4 or 8, or ext 8 with 12 bytes; notepack 3) or fixext 8 of
// type 0 holding milliseconds since the epoch (notepack 2).
func msgpackExtToJSON(dst, m []byte, atts *[][]byte) ([]byte, []byte, error) {
	var typ byte
	var body []byte
	switch c := m[0]; c {
	case 0xd6:
		if len(m) < 6 {
			return nil, nil, ErrInvalidMsgpack
		}
		typ, body, m = m[1], m[2:6], m[6:]
	case 0xd7:
		if len(m) < 10 {
			return nil, nil, ErrInvalidMsgpack
		}
		typ, body, m = m[1], m[2:10], m[10:]
	default: // 0xc7, 0xc8, 0xc9
		n, rest, err := msgpack.Length(m[1:], 1<<(c-0xc7))
		if err != nil || len(rest) < 1+n {
			return nil, nil, ErrInvalidMsgpack
		}
		typ, body, m = rest[0], rest[1:1+n], rest[1+n:]
		if typ == 0 { // ArrayBuffer
			return appendAttachment(dst, body, atts), m, nil
		}
	}
	var t time.Time
	switch {
	case typ == 0 && len(body) == 8: // notepack 2's Date: int64 ms
		ms := int64(binary.BigEndian.Uint64(body))
		t = time.UnixMilli(ms)
	case typ != 0xff:
		return nil, nil, ErrInvalidMsgpack
	case len(body) == 4:
		t = time.Unix(int64(binary.BigEndian.Uint32(body)), 0)
	case len(body) == 8:
		v := binary.BigEndian.Uint64(body)
		t = time.Unix(int64(v&(1<<34-1)), int64(v>>34))
	case len(body) == 12:
		t = time.Unix(int64(binary.BigEndian.Uint64(body[4:])), int64(binary.BigEndian.Uint32(body)))
	default:
		return nil, nil, ErrInvalidMsgpack
	}
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	return append(dst, '"'), m, nil
}

// appendJSONStringBytes is AppendJSONString of the string held by b
// (which it does not retain).
func appendJSONStringBytes(dst, b []byte) []byte {
	return AppendJSONString(dst, unsafe.String(unsafe.SliceData(b), len(b)))
}
