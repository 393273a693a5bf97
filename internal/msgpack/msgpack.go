// Package msgpack holds the msgpack primitives sioloop's two msgpack users
// share: the Redis adapter (whose Node.js peer publishes with notepack.io)
// and the socket.io-msgpack-parser wire format of package sio/parser. The
// writers choose the encodings notepack.io chooses (the smallest int form,
// float64 for other numbers, str/bin/array/map headers by length), so that
// bytes match what the Node.js peers write. The readers check every length
// against the input; none of them allocates.
package msgpack

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrInvalid is returned by the readers for truncated or unexpected input.
var ErrInvalid = errors.New("msgpack: invalid or unsupported input")

// AppendNil appends nil.
func AppendNil(dst []byte) []byte { return append(dst, 0xc0) }

// AppendBool appends true or false.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 0xc3)
	}
	return append(dst, 0xc2)
}

// AppendStrHeader appends the header of a string of n bytes.
func AppendStrHeader(dst []byte, n int) []byte {
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

// AppendStr appends a string.
func AppendStr(dst []byte, s string) []byte {
	return append(AppendStrHeader(dst, len(s)), s...)
}

// AppendStrBytes appends the string held by s.
func AppendStrBytes(dst, s []byte) []byte {
	return append(AppendStrHeader(dst, len(s)), s...)
}

// AppendBin appends b as bin (a Node.js Buffer for notepack.io).
func AppendBin(dst, b []byte) []byte {
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

// AppendArrayHeader appends the header of an array of n values.
func AppendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdd), uint32(n))
}

// AppendMapHeader appends the header of a map of n pairs.
func AppendMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdf), uint32(n))
}

// AppendInt appends v in its smallest form.
func AppendInt(dst []byte, v int64) []byte {
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

// AppendFloat appends f as float64.
func AppendFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f))
}

// Length reads a big-endian length of size bytes (1, 2 or 4) and returns
// it with what follows; a length beyond the rest of the input is refused.
func Length(m []byte, size int) (int, []byte, error) {
	if len(m) < size {
		return 0, nil, ErrInvalid
	}
	var n uint64
	for _, b := range m[:size] {
		n = n<<8 | uint64(b)
	}
	if n > uint64(len(m)) { // cheap bound: no length beyond the input
		return 0, nil, ErrInvalid
	}
	return int(n), m[size:], nil
}

// ArrayLen reads an array header.
func ArrayLen(m []byte) (int, []byte, error) {
	switch {
	case len(m) == 0:
		return 0, nil, ErrInvalid
	case m[0]&0xf0 == 0x90:
		return int(m[0] & 0x0f), m[1:], nil
	case m[0] == 0xdc || m[0] == 0xdd:
		return Length(m[1:], 2<<(m[0]-0xdc))
	}
	return 0, nil, ErrInvalid
}

// MapLen reads a map header.
func MapLen(m []byte) (int, []byte, error) {
	switch {
	case len(m) == 0:
		return 0, nil, ErrInvalid
	case m[0]&0xf0 == 0x80:
		return int(m[0] & 0x0f), m[1:], nil
	case m[0] == 0xde || m[0] == 0xdf:
		return Length(m[1:], 2<<(m[0]-0xde))
	}
	return 0, nil, ErrInvalid
}

// IsStr reports whether the value at the start of m is a string.
func IsStr(m []byte) bool {
	return len(m) > 0 && (m[0]&0xe0 == 0xa0 || m[0] >= 0xd9 && m[0] <= 0xdb)
}

// ReadStr reads a string; the result aliases m.
func ReadStr(m []byte) ([]byte, []byte, error) {
	var n int
	var err error
	switch {
	case len(m) == 0:
		return nil, nil, ErrInvalid
	case m[0]&0xe0 == 0xa0:
		n, m = int(m[0]&0x1f), m[1:]
	case m[0] >= 0xd9 && m[0] <= 0xdb:
		if n, m, err = Length(m[1:], 1<<(m[0]-0xd9)); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, ErrInvalid
	}
	if len(m) < n {
		return nil, nil, ErrInvalid
	}
	return m[:n], m[n:], nil
}

// ReadInt reads an integer (any int or uint form) that fits an int64.
func ReadInt(m []byte) (int64, []byte, error) {
	if len(m) == 0 {
		return 0, nil, ErrInvalid
	}
	c := m[0]
	switch {
	case c <= 0x7f:
		return int64(c), m[1:], nil
	case c >= 0xe0:
		return int64(int8(c)), m[1:], nil
	case c >= 0xcc && c <= 0xcf:
		size := 1 << (c - 0xcc)
		if len(m) < 1+size {
			return 0, nil, ErrInvalid
		}
		var u uint64
		for _, b := range m[1 : 1+size] {
			u = u<<8 | uint64(b)
		}
		if u > math.MaxInt64 {
			return 0, nil, ErrInvalid
		}
		return int64(u), m[1+size:], nil
	case c >= 0xd0 && c <= 0xd3:
		size := 1 << (c - 0xd0)
		if len(m) < 1+size {
			return 0, nil, ErrInvalid
		}
		var u uint64
		for _, b := range m[1 : 1+size] {
			u = u<<8 | uint64(b)
		}
		shift := 64 - 8*size
		return int64(u<<shift) >> shift, m[1+size:], nil
	}
	return 0, nil, ErrInvalid
}

// IsUndefined reports whether the value at the start of m is notepack's
// undefined: fixext 1 of type 0 (notepack writes d4 00 00 and reads any
// fixext 1 of type 0 as undefined).
func IsUndefined(m []byte) bool {
	return len(m) >= 3 && m[0] == 0xd4 && m[1] == 0
}

// Skip passes over one value of at most maxDepth nesting levels.
func Skip(m []byte, maxDepth int) ([]byte, error) {
	if maxDepth < 0 || len(m) == 0 {
		return nil, ErrInvalid
	}
	c := m[0]
	var n, size int
	var err error
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return m[1:], nil
	case c&0xe0 == 0xa0:
		n, m = int(c&0x1f), m[1:]
	case c&0xf0 == 0x90:
		return skipN(m[1:], int(c&0x0f), maxDepth)
	case c&0xf0 == 0x80:
		return skipN(m[1:], 2*int(c&0x0f), maxDepth)
	case c >= 0xc4 && c <= 0xc6: // bin
		n, m, err = Length(m[1:], 1<<(c-0xc4))
	case c >= 0xc7 && c <= 0xc9: // ext: length, type, body
		n, m, err = Length(m[1:], 1<<(c-0xc7))
		n++
	case c == 0xca:
		n, m = 4, m[1:]
	case c == 0xcb:
		n, m = 8, m[1:]
	case c >= 0xcc && c <= 0xcf:
		n, m = 1<<(c-0xcc), m[1:]
	case c >= 0xd0 && c <= 0xd3:
		n, m = 1<<(c-0xd0), m[1:]
	case c >= 0xd4 && c <= 0xd8: // fixext: type, body
		n, m = 1+1<<(c-0xd4), m[1:]
	case c >= 0xd9 && c <= 0xdb:
		n, m, err = Length(m[1:], 1<<(c-0xd9))
	case c == 0xdc || c == 0xdd:
		if size, m, err = Length(m[1:], 2<<(c-0xdc)); err != nil {
			return nil, err
		}
		return skipN(m, size, maxDepth)
	case c == 0xde || c == 0xdf:
		if size, m, err = Length(m[1:], 2<<(c-0xde)); err != nil {
			return nil, err
		}
		return skipN(m, 2*size, maxDepth)
	default: // 0xc1, never used
		return nil, ErrInvalid
	}
	if err != nil || len(m) < n {
		return nil, ErrInvalid
	}
	return m[n:], nil
}

func skipN(m []byte, n, maxDepth int) ([]byte, error) {
	var err error
	for i := 0; i < n; i++ {
		if m, err = Skip(m, maxDepth-1); err != nil {
			return nil, err
		}
	}
	return m, nil
}
