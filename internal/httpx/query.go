// Package httpx holds small HTTP helpers shared by loop and eio: pure
// functions over bytes that allocate nothing.
package httpx

import (
	"bytes"
	"encoding/binary"
)

const (
	lo = 0x0101010101010101 // 0x01 in every byte
	hi = 0x8080808080808080 // 0x80 in every byte
)

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f' }

// unhex is the value of the hex digit c.
func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// QueryValue returns the value of the first pair of rawQuery whose decoded
// name is key, and whether there is one. Pairs are separated by '&' (empty
// pairs are skipped); a pair without '=' has an empty value. Names and
// values are form-decoded: '+' is a space and %XX a byte; a '%' not followed
// by two hex digits stays as it is, like Node's querystring.
//
// The result aliases rawQuery (capped at its length) when the raw value has
// no '+' or '%', which is the case of every Engine.IO parameter; then
// QueryValue does not allocate. Otherwise it returns a new slice holding the
// decoded value; AppendQueryValue decodes into the caller's buffer instead.
func QueryValue(rawQuery []byte, key string) ([]byte, bool) {
	v, ok := rawQueryValue(rawQuery, key)
	if !ok || !hasEscapes(v) {
		return v, ok
	}
	return appendUnescape(make([]byte, 0, len(v)), v), true
}

// AppendQueryValue appends the decoded value of key (see QueryValue) to dst
// and returns the extended buffer and whether key is present; dst is
// returned unchanged when it is not. It allocates only if dst must grow.
func AppendQueryValue(dst, rawQuery []byte, key string) ([]byte, bool) {
	v, ok := rawQueryValue(rawQuery, key)
	if !ok {
		return dst, false
	}
	return appendUnescape(dst, v), true
}

// rawQueryValue finds the still-encoded value of key in q.
func rawQueryValue(q []byte, key string) ([]byte, bool) {
	for i := 0; i < len(q); {
		// The name is q[s:n], up to '=' or '&'; the value q[v:i], from '='
		// to '&'.
		s, esc := i, uint8(0)
		for i < len(q) {
			c := q[i]
			if c == '=' || c == '&' {
				break
			}
			if c == '%' || c == '+' {
				esc = 1
			}
			i++
		}
		n, v := i, i
		if i < len(q) && q[i] == '=' {
			v++
			if e := bytes.IndexByte(q[v:], '&'); e >= 0 {
				i = v + e
			} else {
				i = len(q)
			}
		}
		match := false
		if esc != 0 {
			match = n-s >= len(key) && unescapedEqual(q[s:n], key)
		} else if n-s == len(key) && (n > s || v > n) { // not an empty pair
			match = string(q[s:n]) == key
		}
		if match {
			return q[v:i:i], true
		}
		i++
	}
	return nil, false
}

// hasEscapes reports whether form-decoding changes s: whether it holds a
// '%' or a '+'.
func hasEscapes(s []byte) bool {
	for ; len(s) >= 8; s = s[8:] {
		x := binary.LittleEndian.Uint64(s)
		p, m := x^'%'*lo, x^'+'*lo
		if ((p-lo)&^p|(m-lo)&^m)&hi != 0 {
			return true
		}
	}
	for _, c := range s {
		if c == '%' || c == '+' {
			return true
		}
	}
	return false
}

// unescapedEqual reports whether s form-decodes to key, without allocating.
func unescapedEqual(s []byte, key string) bool {
	k := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		if k >= len(key) || key[k] != c {
			return false
		}
		k++
	}
	return k == len(key)
}

// appendUnescape appends the form-decoding of s to dst.
func appendUnescape(dst, s []byte) []byte {
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '%' && s[i] != '+' {
			i++
		}
		dst = append(dst, s[:i]...)
		if i == len(s) {
			break
		}
		switch {
		case s[i] == '+':
			dst = append(dst, ' ')
			s = s[i+1:]
		case i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			s = s[i+3:]
		default:
			dst = append(dst, '%')
			s = s[i+1:]
		}
	}
	return dst
}
