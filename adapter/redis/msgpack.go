// Package redis will be the Redis adapter of sioloop, wire-compatible with
// the Node.js @socket.io/redis-adapter 8.3 (classic pub/sub) so that Go and
// Node.js nodes can serve one cluster. This first part is its codec: the
// Node adapter publishes broadcasts as msgpack (as the notepack.io library
// writes it) where sioloop holds packets as Socket.IO JSON text plus binary
// attachments, so every broadcast crossing Redis is transcoded once, in
// each direction:
//
//   - JSON → msgpack: objects → maps (key order kept), arrays → arrays,
//     strings → str, integers that fit → the smallest int form, other
//     numbers → float64, true/false/null, and an attachment placeholder
//     {"_placeholder":true,"num":i} → bin (the attachment's bytes);
//   - msgpack → JSON: the reverse, bin → a placeholder and an attachment,
//     the timestamp extension (a JavaScript Date) → its ISO 8601 string, as
//     Node's JSON serialisation would send it to a client.
package redis

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/sioloop/sioloop/sio/parser"
)

// maxDepth bounds the nesting of a transcoded value (as the JSON scanner).
const maxDepth = 1000

var (
	errJSON    = errors.New("redis: invalid JSON")
	errMsgpack = errors.New("redis: invalid or unsupported msgpack")
	errDepth   = errors.New("redis: value nested too deep")
)

// --- msgpack writing (the encodings notepack.io chooses) ---

func appendNil(dst []byte) []byte { return append(dst, 0xc0) }

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 0xc3)
	}
	return append(dst, 0xc2)
}

func appendStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, 0xa0|byte(n))
	case n < 1<<8:
		return append(dst, 0xd9, byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
}

func appendStr(dst []byte, s string) []byte {
	return append(appendStrHeader(dst, len(s)), s...)
}

func appendBin(dst, b []byte) []byte {
	switch n := len(b); {
	case n < 1<<8:
		dst = append(dst, 0xc4, byte(n))
	case n < 1<<16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xc5), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xc6), uint32(n))
	}
	return append(dst, b...)
}

func appendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdd), uint32(n))
}

func appendMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdf), uint32(n))
}

func appendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v < 0x80:
		return append(dst, byte(v))
	case v >= 0 && v < 1<<8:
		return append(dst, 0xcc, byte(v))
	case v >= 0 && v < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, 0xcd), uint16(v))
	case v >= 0 && v < 1<<32:
		return binary.BigEndian.AppendUint32(append(dst, 0xce), uint32(v))
	case v >= 0:
		return binary.BigEndian.AppendUint64(append(dst, 0xcf), uint64(v))
	case v >= -32:
		return append(dst, byte(v))
	case v >= math.MinInt8:
		return append(dst, 0xd0, byte(v))
	case v >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, 0xd1), uint16(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(v))
}

func appendFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f))
}

// appendNumber writes a JSON number as notepack would write the JavaScript
// number: an integer in the safe range as an int, anything else as float64.
func appendNumber(dst, lit []byte) ([]byte, error) {
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return nil, errJSON
	}
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 && !(f == 0 && math.Signbit(f)) {
		return appendInt(dst, int64(f)), nil
	}
	return appendFloat(dst, f), nil
}

// --- JSON → msgpack ---

// AppendMsgpack appends the msgpack form of the JSON value v; a binary
// attachment placeholder {"_placeholder":true,"num":i} becomes bin(atts[i]).
func AppendMsgpack(dst, v []byte, atts [][]byte) ([]byte, error) {
	if _, err := parser.SkipValue(v); err != nil {
		return nil, errJSON
	}
	dst, rest, err := jsonToMsgpack(dst, v, atts, 0)
	if err != nil {
		return nil, err
	}
	if len(skipWS(rest)) != 0 {
		return nil, errJSON
	}
	return dst, nil
}

func skipWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// jsonToMsgpack converts the (valid) JSON value at the start of v.
func jsonToMsgpack(dst, v []byte, atts [][]byte, depth int) ([]byte, []byte, error) {
	if depth > maxDepth {
		return nil, nil, errDepth
	}
	v = skipWS(v)
	if len(v) == 0 {
		return nil, nil, errJSON
	}
	switch c := v[0]; {
	case c == '{':
		if n, ok := placeholder(v); ok {
			if n < 0 || n >= len(atts) {
				return nil, nil, errJSON
			}
			end, _ := parser.SkipValue(v)
			return appendBin(dst, atts[n]), v[end:], nil
		}
		// Count the members first (the map header comes before them).
		count := 0
		for it := v[1:]; ; count++ {
			it = skipWS(it)
			if it[0] == '}' {
				break
			}
			if it[0] == ',' {
				it = it[1:]
			}
			k, _ := parser.SkipValue(it)
			it = skipWS(it[k:])[1:] // ':'
			n, _ := parser.SkipValue(it)
			it = it[n:]
		}
		dst = appendMapHeader(dst, count)
		v = v[1:]
		for i := 0; i < count; i++ {
			v = skipWS(v)
			if v[0] == ',' {
				v = skipWS(v[1:])
			}
			k, _ := parser.SkipValue(v)
			key, err := parser.AppendUnquote(nil, v[:k])
			if err != nil {
				return nil, nil, errJSON
			}
			dst = appendStr(dst, string(key))
			v = skipWS(v[k:])[1:]
			var err2 error
			if dst, v, err2 = jsonToMsgpack(dst, v, atts, depth+1); err2 != nil {
				return nil, nil, err2
			}
		}
		v = skipWS(v)
		return dst, v[1:], nil // '}'
	case c == '[':
		count := 0
		for it := skipWS(v[1:]); it[0] != ']'; count++ {
			if it[0] == ',' {
				it = it[1:]
			}
			n, _ := parser.SkipValue(it)
			it = skipWS(it[n:])
		}
		dst = appendArrayHeader(dst, count)
		v = v[1:]
		for i := 0; i < count; i++ {
			v = skipWS(v)
			if v[0] == ',' {
				v = v[1:]
			}
			var err error
			if dst, v, err = jsonToMsgpack(dst, v, atts, depth+1); err != nil {
				return nil, nil, err
			}
		}
		v = skipWS(v)
		return dst, v[1:], nil // ']'
	case c == '"':
		n, _ := parser.SkipValue(v)
		s, err := parser.AppendUnquote(nil, v[:n])
		if err != nil {
			return nil, nil, errJSON
		}
		return appendStr(dst, string(s)), v[n:], nil
	case c == 't':
		return appendBool(dst, true), v[4:], nil
	case c == 'f':
		return appendBool(dst, false), v[5:], nil
	case c == 'n':
		return appendNil(dst), v[4:], nil
	default:
		n, _ := parser.SkipValue(v)
		out, err := appendNumber(dst, v[:n])
		return out, v[n:], err
	}
}

// placeholder reports whether the object at the start of v is exactly an
// attachment placeholder, and its number.
func placeholder(v []byte) (int, bool) {
	n, err := parser.SkipValue(v)
	if err != nil {
		return 0, false
	}
	obj := v[:n]
	if p, ok := parser.Member(obj, "_placeholder"); !ok || string(p) != "true" {
		return 0, false
	}
	num, ok := parser.Member(obj, "num")
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

// AppendJSON appends the JSON form of the msgpack value at the start of m
// and returns what follows it; each bin becomes a placeholder and its bytes
// are appended to *atts.
func AppendJSON(dst, m []byte, atts *[][]byte) (json, rest []byte, err error) {
	return msgpackToJSON(dst, m, atts, 0)
}

func msgpackToJSON(dst, m []byte, atts *[][]byte, depth int) ([]byte, []byte, error) {
	if depth > maxDepth {
		return nil, nil, errDepth
	}
	if len(m) == 0 {
		return nil, nil, errMsgpack
	}
	c := m[0]
	switch {
	case c <= 0x7f:
		return strconv.AppendInt(dst, int64(c), 10), m[1:], nil
	case c >= 0xe0:
		return strconv.AppendInt(dst, int64(int8(c)), 10), m[1:], nil
	case c&0xe0 == 0xa0:
		return strToJSON(dst, m[1:], int(c&0x1f))
	case c&0xf0 == 0x90:
		return arrayToJSON(dst, m[1:], int(c&0x0f), atts, depth)
	case c&0xf0 == 0x80:
		return mapToJSON(dst, m[1:], int(c&0x0f), atts, depth)
	}
	switch c {
	case 0xc0:
		return append(dst, "null"...), m[1:], nil
	case 0xc2:
		return append(dst, "false"...), m[1:], nil
	case 0xc3:
		return append(dst, "true"...), m[1:], nil
	case 0xc4, 0xc5, 0xc6:
		n, body, err := length(m[1:], 1<<(c-0xc4))
		if err != nil || len(body) < n {
			return nil, nil, errMsgpack
		}
		dst = append(dst, `{"_placeholder":true,"num":`...)
		dst = strconv.AppendInt(dst, int64(len(*atts)), 10)
		*atts = append(*atts, append([]byte(nil), body[:n]...))
		return append(dst, '}'), body[n:], nil
	case 0xca:
		if len(m) < 5 {
			return nil, nil, errMsgpack
		}
		return appendJSNumber(dst, float64(math.Float32frombits(binary.BigEndian.Uint32(m[1:])))), m[5:], nil
	case 0xcb:
		if len(m) < 9 {
			return nil, nil, errMsgpack
		}
		return appendJSNumber(dst, math.Float64frombits(binary.BigEndian.Uint64(m[1:]))), m[9:], nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		size := 1 << (c - 0xcc)
		if len(m) < 1+size {
			return nil, nil, errMsgpack
		}
		var u uint64
		for _, b := range m[1 : 1+size] {
			u = u<<8 | uint64(b)
		}
		return strconv.AppendUint(dst, u, 10), m[1+size:], nil
	case 0xd0, 0xd1, 0xd2, 0xd3:
		size := 1 << (c - 0xd0)
		if len(m) < 1+size {
			return nil, nil, errMsgpack
		}
		var u uint64
		for _, b := range m[1 : 1+size] {
			u = u<<8 | uint64(b)
		}
		shift := 64 - 8*size
		return strconv.AppendInt(dst, int64(u<<shift)>>shift, 10), m[1+size:], nil
	case 0xd9, 0xda, 0xdb:
		n, body, err := length(m[1:], 1<<(c-0xd9))
		if err != nil {
			return nil, nil, err
		}
		return strToJSON(dst, body, n)
	case 0xdc, 0xdd:
		n, body, err := length(m[1:], 2<<(c-0xdc))
		if err != nil {
			return nil, nil, err
		}
		return arrayToJSON(dst, body, n, atts, depth)
	case 0xde, 0xdf:
		n, body, err := length(m[1:], 2<<(c-0xde))
		if err != nil {
			return nil, nil, err
		}
		return mapToJSON(dst, body, n, atts, depth)
	case 0xd6, 0xd7, 0xc7: // ext: the timestamp (-1) is a JavaScript Date
		return extToJSON(dst, m)
	}
	return nil, nil, errMsgpack
}

// length reads a big-endian length of size bytes.
func length(m []byte, size int) (int, []byte, error) {
	if len(m) < size {
		return 0, nil, errMsgpack
	}
	var n uint64
	for _, b := range m[:size] {
		n = n<<8 | uint64(b)
	}
	if n > uint64(len(m)) { // cheap bound: no length beyond the input
		return 0, nil, errMsgpack
	}
	return int(n), m[size:], nil
}

func strToJSON(dst, m []byte, n int) ([]byte, []byte, error) {
	if len(m) < n {
		return nil, nil, errMsgpack
	}
	return parser.AppendJSONString(dst, string(m[:n])), m[n:], nil
}

func arrayToJSON(dst, m []byte, n int, atts *[][]byte, depth int) ([]byte, []byte, error) {
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

func mapToJSON(dst, m []byte, n int, atts *[][]byte, depth int) ([]byte, []byte, error) {
	dst = append(dst, '{')
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if len(m) == 0 || !(m[0]&0xe0 == 0xa0 || m[0] == 0xd9 || m[0] == 0xda || m[0] == 0xdb) {
			return nil, nil, errMsgpack // JSON keys are strings
		}
		var err error
		if dst, m, err = msgpackToJSON(dst, m, atts, depth+1); err != nil {
			return nil, nil, err
		}
		dst = append(dst, ':')
		if dst, m, err = msgpackToJSON(dst, m, atts, depth+1); err != nil {
			return nil, nil, err
		}
	}
	return append(dst, '}'), m, nil
}

// extToJSON turns the timestamp extension (type -1: fixext 4 or 8, or ext 8
// with 12 bytes) into the ISO string JSON.stringify gives a Date.
func extToJSON(dst, m []byte) ([]byte, []byte, error) {
	var typ byte
	var body []byte
	switch m[0] {
	case 0xd6:
		if len(m) < 6 {
			return nil, nil, errMsgpack
		}
		typ, body, m = m[1], m[2:6], m[6:]
	case 0xd7:
		if len(m) < 10 {
			return nil, nil, errMsgpack
		}
		typ, body, m = m[1], m[2:10], m[10:]
	default: // 0xc7
		if len(m) < 3 || len(m) < 3+int(m[1]) {
			return nil, nil, errMsgpack
		}
		typ, body, m = m[2], m[3:3+int(m[1])], m[3+int(m[1]):]
	}
	if typ != 0xff {
		return nil, nil, errMsgpack
	}
	var t time.Time
	switch len(body) {
	case 4:
		t = time.Unix(int64(binary.BigEndian.Uint32(body)), 0)
	case 8:
		v := binary.BigEndian.Uint64(body)
		t = time.Unix(int64(v&(1<<34-1)), int64(v>>34))
	case 12:
		t = time.Unix(int64(binary.BigEndian.Uint64(body[4:])), int64(binary.BigEndian.Uint32(body)))
	default:
		return nil, nil, errMsgpack
	}
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	return append(dst, '"'), m, nil
}

// appendJSNumber writes a float as JavaScript's JSON.stringify would (the
// parser's number formatting).
func appendJSNumber(dst []byte, f float64) []byte {
	out, err := parser.AppendJSON(dst, f)
	if err != nil { // NaN, ±Inf: JSON.stringify gives null
		return append(dst, "null"...)
	}
	return out
}
