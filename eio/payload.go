package eio

import (
	"bytes"
	"encoding/base64"
)

// payloadSep is the record separator (ASCII RS) between the packets of
// an Engine.IO v4 polling payload.
const payloadSep = 0x1e

// NextPayloadPacket splits the next packet off b, an Engine.IO v4 polling
// payload: packets joined by payloadSep, each a type digit followed by
// its data, or 'b' followed by the standard padded base64 of a binary
// message.
//
// It returns the packet and the rest of the payload, which is nil after the
// last packet; call it again on rest until rest is nil. An empty record (an
// empty payload, a trailing or doubled separator), an unknown type digit and
// bad base64 are errors. As with the reference parser, the packets returned
// before an error are valid; rest is nil on error.
//
// Base64 is decoded in place, so b is modified. The returned Data and rest
// alias b and are valid as long as b is; decoding later packets does not
// disturb the Data of earlier ones. Text data is not checked for UTF-8.
func NextPayloadPacket(b []byte) (p Packet, rest []byte, err error) {
	rec := b
	if i := bytes.IndexByte(b, payloadSep); i >= 0 {
		rec, rest = b[:i], b[i+1:]
	}
	p, err = parseTextPacket(rec)
	if err != nil {
		return Packet{}, nil, err
	}
	return p, rest, nil
}

// AppendPayloadPacket appends p in v4 polling payload form to dst and returns
// the extended slice: payloadSep first when sep is set (every packet
// but the first of a payload), then the type digit and Data, or for a binary
// message 'b' and the standard padded base64 of Data. p.Data is only read.
func AppendPayloadPacket(dst []byte, p Packet, sep bool) []byte {
	if sep {
		dst = append(dst, payloadSep)
	}
	if p.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// base64Values maps a byte of the standard base64 alphabet to its 6-bit
// value and every other byte to 0xff.
const base64Values = "" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x3e\xff\xff\xff\x3f" +
	"\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\xff\xff\xff\xff\xff\xff" +
	"\xff\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e" +
	"\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\xff\xff\xff\xff\xff" +
	"\xff\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x24\x25\x26\x27\x28" +
	"\x29\x2a\x2b\x2c\x2d\x2e\x2f\x30\x31\x32\x33\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

// decodeBase64InPlace decodes b, standard base64 with padding, into b[:n].
// It accepts only the canonical encoding (what the official clients and
// encoding/base64.StdEncoding produce): no line breaks or other characters,
// padding exactly where needed and zero unused bits, so that encoding the
// result gives b back. Output never overtakes input (3 bytes are written per
// 4 read), which makes the in-place write safe.
func decodeBase64InPlace(b []byte) (n int, ok bool) {
	if len(b)%4 != 0 {
		return 0, false
	}
	if len(b) == 0 {
		return 0, true
	}
	last := len(b) - 4
	si, di := 0, 0
	// Two quanta per step: 8 characters give 6 bytes.
	for ; si+8 <= last; si, di = si+8, di+6 {
		s := b[si : si+8 : si+8]
		a0, a1, a2, a3 := base64Values[s[0]], base64Values[s[1]], base64Values[s[2]], base64Values[s[3]]
		a4, a5, a6, a7 := base64Values[s[4]], base64Values[s[5]], base64Values[s[6]], base64Values[s[7]]
		if (a0|a1|a2|a3|a4|a5|a6|a7)&0x80 != 0 {
			return 0, false
		}
		v := uint64(a0)<<42 | uint64(a1)<<36 | uint64(a2)<<30 | uint64(a3)<<24 |
			uint64(a4)<<18 | uint64(a5)<<12 | uint64(a6)<<6 | uint64(a7)
		d := b[di : di+6 : di+6]
		d[0], d[1], d[2] = byte(v>>40), byte(v>>32), byte(v>>24)
		d[3], d[4], d[5] = byte(v>>16), byte(v>>8), byte(v)
	}
	for ; si < last; si, di = si+4, di+3 {
		s := b[si : si+4 : si+4]
		a0, a1, a2, a3 := base64Values[s[0]], base64Values[s[1]], base64Values[s[2]], base64Values[s[3]]
		if (a0|a1|a2|a3)&0x80 != 0 {
			return 0, false
		}
		v := uint32(a0)<<18 | uint32(a1)<<12 | uint32(a2)<<6 | uint32(a3)
		d := b[di : di+3 : di+3]
		d[0], d[1], d[2] = byte(v>>16), byte(v>>8), byte(v)
	}
	// The last quantum may carry padding.
	s := b[last : last+4 : last+4]
	a0, a1 := base64Values[s[0]], base64Values[s[1]]
	if (a0|a1)&0x80 != 0 {
		return 0, false
	}
	switch {
	case s[2] == '=' && s[3] == '=': // one byte; the low 4 bits of a1 are unused
		if a1&0x0f != 0 {
			return 0, false
		}
		b[di] = a0<<2 | a1>>4
		return di + 1, true
	case s[3] == '=': // two bytes; the low 2 bits of a2 are unused
		a2 := base64Values[s[2]]
		if a2&0x80 != 0 || a2&0x03 != 0 {
			return 0, false
		}
		v := uint32(a0)<<10 | uint32(a1)<<4 | uint32(a2)>>2
		b[di], b[di+1] = byte(v>>8), byte(v)
		return di + 2, true
	}
	a2, a3 := base64Values[s[2]], base64Values[s[3]]
	if (a2|a3)&0x80 != 0 {
		return 0, false
	}
	v := uint32(a0)<<18 | uint32(a1)<<12 | uint32(a2)<<6 | uint32(a3)
	b[di], b[di+1], b[di+2] = byte(v>>16), byte(v>>8), byte(v)
	return di + 3, true
}
