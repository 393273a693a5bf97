package eio

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Engine.IO v3 (EIO=3, socket.io-client 2.x) differs from v4 in framing:
//
//   - WebSocket: a binary message carries its type byte (0x04) first.
//   - String polling payload: every packet is written "<n>:<packet>", where n
//     counts the UTF-16 code units of the packet as a JavaScript string; a
//     binary message is the packet "b4" + standard base64. "0:" records are
//     empty and skipped.
//   - Binary polling payload (XHR2, body application/octet-stream, used when
//     the client has not asked for b64=1): every packet is a marker byte (0
//     string, 1 binary), the decimal digits of its length as byte values
//     0–9, 0xff, then the packet: a string packet as UTF-8 (the length counts
//     bytes), a binary one as type byte 0x04 + raw data.

var (
	errV3Length = fmt.Errorf("%w: bad v3 length", ErrInvalidPayload)
	errV3Record = fmt.Errorf("%w: bad v3 record", ErrInvalidPayload)
)

// ParsePacketV3 decodes one Engine.IO v3 packet as carried by one WebSocket
// message. With isBinary set (a binary frame), b[0] is the type byte (only
// 4, message, is accepted) and b[1:] the data. Otherwise b is a text packet: a type digit
// and the data, or "b4" and the standard padded base64 of a binary message,
// which is decoded in place (b is overwritten).
//
// The returned Data aliases b and is valid as long as b is.
func ParsePacketV3(b []byte, isBinary bool) (Packet, error) {
	if isBinary {
		if len(b) == 0 {
			return Packet{}, errEmptyPacket
		}
		if b[0] != byte(PacketMessage) {
			return Packet{}, errPacketType
		}
		return Packet{Type: PacketMessage, Binary: true, Data: b[1:]}, nil
	}
	return parseTextPacketV3(b)
}

// AppendPacketV3 appends the v3 WebSocket form of p to dst and returns the
// extended slice: a text packet as in v4 (type digit + Data, for a text
// frame), a binary message as the byte 0x04 followed by Data (for a binary
// frame). p.Data is only read.
func AppendPacketV3(dst []byte, p Packet) []byte {
	if p.Binary {
		dst = append(dst, byte(PacketMessage))
		return append(dst, p.Data...)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// parseTextPacketV3 decodes a v3 packet string: type digit + data, or "b4" +
// base64 (decoded in place).
func parseTextPacketV3(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, errEmptyPacket
	}
	if b[0] == 'b' {
		if len(b) < 2 || b[1] != '0'+byte(PacketMessage) {
			return Packet{}, errPacketType
		}
		n, ok := decodeBase64InPlace(b[2:])
		if !ok {
			return Packet{}, errPacketBase64
		}
		return Packet{Type: PacketMessage, Binary: true, Data: b[2 : 2+n]}, nil
	}
	t := PacketType(b[0] - '0')
	if t >= numPacketTypes {
		return Packet{}, errPacketType
	}
	return Packet{Type: t, Data: b[1:]}, nil
}

// NextPayloadPacketV3 splits the next packet off b, an Engine.IO v3 polling
// payload in either form, told apart by the first byte of each record (an
// ASCII digit for the string form, 0x00 or 0x01 for the binary form). A
// request body is in one form throughout (the binary one exactly when its
// Content-Type is application/octet-stream); mixing is not detected.
//
// It returns the packet and the rest of the payload, which is nil after the
// last packet; call it again on rest until rest is nil. Zero-length string
// records ("0:") are skipped, as the reference parser does; a payload with no
// packet at all gives ErrEmptyPayload. A length that is not a plain decimal
// number, that runs past the end of b or that ends inside a character (in
// the string form: inside a UTF-16 surrogate pair), a missing ':' or 0xff, an
// empty record, an unknown type and bad base64 are errors; rest is nil on
// error, and the packets returned before it are valid.
//
// In the string form the lengths count UTF-16 code units of the body decoded
// as UTF-8 the way a JavaScript runtime does (an invalid sequence counts as
// one U+FFFD). Text is not checked for UTF-8 in either form: the bytes are
// returned unchanged.
//
// Base64 is decoded in place, so b is modified. The returned Data and rest
// alias b and are valid as long as b is; decoding later packets does not
// disturb the Data of earlier ones.
func NextPayloadPacketV3(b []byte) (p Packet, rest []byte, err error) {
	b = skipEmptyRecordsV3(b)
	if len(b) == 0 {
		return Packet{}, nil, ErrEmptyPayload
	}
	switch c := b[0]; {
	case c-'0' <= 9:
		p, rest, err = nextStringRecordV3(b)
	case c <= 1:
		p, rest, err = nextBinaryRecordV3(b)
	default:
		err = errV3Record
	}
	if err != nil {
		return Packet{}, nil, err
	}
	if rest = skipEmptyRecordsV3(rest); len(rest) == 0 {
		rest = nil
	}
	return p, rest, nil
}

// skipEmptyRecordsV3 drops leading zero-length string records ("0:", also
// written "00:").
func skipEmptyRecordsV3(b []byte) []byte {
	for {
		i := 0
		for i < len(b) && b[i] == '0' {
			i++
		}
		if i == 0 || i == len(b) || b[i] != ':' {
			return b
		}
		b = b[i+1:]
	}
}

// nextStringRecordV3 decodes one "<n>:<packet>" record.
func nextStringRecordV3(b []byte) (Packet, []byte, error) {
	n, i := 0, 0
	for ; i < len(b) && b[i] != ':'; i++ {
		d := b[i] - '0'
		if d > 9 {
			return Packet{}, nil, errV3Length
		}
		// n code units take at least n bytes: a larger n cannot fit, and
		// stopping here keeps n far from overflowing.
		if n = n*10 + int(d); n > len(b) {
			return Packet{}, nil, errV3Length
		}
	}
	if i == 0 || i == len(b) {
		return Packet{}, nil, errV3Length
	}
	body := b[i+1:]
	end, ok := utf16Advance(body, n)
	if !ok {
		return Packet{}, nil, errV3Length
	}
	p, err := parseTextPacketV3(body[:end])
	if err != nil {
		return Packet{}, nil, err
	}
	return p, body[end:], nil
}

// nextBinaryRecordV3 decodes one binary-form record: marker, length digits
// (byte values 0–9), 0xff, packet.
func nextBinaryRecordV3(b []byte) (Packet, []byte, error) {
	n, i := 0, 1
	for ; i < len(b) && b[i] != 0xff; i++ {
		d := b[i]
		if d > 9 {
			return Packet{}, nil, errV3Length
		}
		if n = n*10 + int(d); n > len(b) {
			return Packet{}, nil, errV3Length
		}
	}
	if i == 1 || i == len(b) {
		return Packet{}, nil, errV3Length
	}
	body := b[i+1:]
	if n > len(body) {
		return Packet{}, nil, errV3Length
	}
	rec, rest := body[:n], body[n:]
	if b[0] == 1 {
		p, err := ParsePacketV3(rec, true)
		return p, rest, err
	}
	p, err := parseTextPacketV3(rec)
	return p, rest, err
}

// AppendPayloadPacketV3 appends p as one record of a v3 string payload to
// dst and returns the extended slice: "<n>:" then the type digit and Data, or
// for a binary message "b4" and the standard padded base64 of Data. n counts
// UTF-16 code units; text Data should be valid UTF-8 (an invalid sequence is
// counted as the one U+FFFD a browser decodes it to). A payload is the
// concatenation of its records. p.Data is only read.
func AppendPayloadPacketV3(dst []byte, p Packet) []byte {
	if p.Binary {
		n := 2 + base64.StdEncoding.EncodedLen(len(p.Data))
		dst = strconv.AppendUint(dst, uint64(n), 10)
		dst = append(dst, ':', 'b', '0'+byte(PacketMessage))
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = strconv.AppendUint(dst, uint64(1+utf16Len(p.Data)), 10)
	dst = append(dst, ':', '0'+byte(p.Type))
	return append(dst, p.Data...)
}

// AppendBinaryPayloadPacketV3 appends p as one record of a v3 binary (XHR2)
// payload to dst and returns the extended slice: marker 0 for a text packet
// (type digit + Data as UTF-8) or 1 for a binary message (byte 0x04 + Data),
// the decimal digits of the packet's byte length as byte values 0–9, 0xff,
// then the packet. The reference server writes a whole payload in this form
// (Content-Type application/octet-stream) when the client did not ask for
// b64 and at least one packet is binary. p.Data is only read.
func AppendBinaryPayloadPacketV3(dst []byte, p Packet) []byte {
	marker, t := byte(0), '0'+byte(p.Type)
	if p.Binary {
		marker, t = 1, byte(PacketMessage)
	}
	dst = append(dst, marker)
	start := len(dst)
	dst = strconv.AppendUint(dst, uint64(1+len(p.Data)), 10)
	for i := start; i < len(dst); i++ {
		dst[i] -= '0'
	}
	dst = append(dst, 0xff, t)
	return append(dst, p.Data...)
}

// utf8Seq measures the character at the start of b (len(b) > 0) the way the
// WHATWG UTF-8 decoder of browsers and Node.js reads it: it returns the
// number of bytes taken and the UTF-16 code units produced. A valid sequence
// gives 1 unit (2 for 4-byte sequences, a surrogate pair); an invalid one
// gives one U+FFFD for its maximal subpart: a bad lead byte alone, or a lead
// byte and the continuation bytes that were still valid, with the first
// offending byte left for the next character.
func utf8Seq(b []byte) (size, units int) {
	c := b[0]
	lo, hi := byte(0x80), byte(0xbf)
	var need int
	switch {
	case c < 0x80:
		return 1, 1
	case c < 0xc2: // continuation byte or overlong 2-byte lead
		return 1, 1
	case c < 0xe0:
		need = 1
	case c == 0xe0:
		need, lo = 2, 0xa0
	case c == 0xed: // exclude surrogates
		need, hi = 2, 0x9f
	case c < 0xf0:
		need = 2
	case c == 0xf0:
		need, lo = 3, 0x90
	case c < 0xf4:
		need = 3
	case c == 0xf4:
		need, hi = 3, 0x8f
	default:
		return 1, 1
	}
	for k := 1; k <= need; k++ {
		if k >= len(b) || b[k] < lo || b[k] > hi {
			return k, 1
		}
		lo, hi = 0x80, 0xbf
	}
	if need == 3 {
		return 4, 2
	}
	return need + 1, 1
}

// utf16Len returns the length, in UTF-16 code units, of the JavaScript string
// that b decodes to as UTF-8.
func utf16Len(b []byte) int {
	n, i := 0, 0
	for i < len(b) {
		// ASCII fast path: eight bytes, eight units.
		if i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&asciiMask == 0 {
			i += 8
			n += 8
			continue
		}
		if b[i] < utf8.RuneSelf {
			i++
			n++
			continue
		}
		size, units := utf8Seq(b[i:])
		i += size
		n += units
	}
	return n
}

// asciiMask has the high bit of every byte of a uint64 set.
const asciiMask = 0x8080808080808080

// utf16Advance returns the byte offset in b after exactly n UTF-16 code
// units, decoding b as in utf16Len. It fails if b is too short or if the
// n-th unit is the first half of a surrogate pair.
func utf16Advance(b []byte, n int) (end int, ok bool) {
	i := 0
	for n > 0 {
		if n >= 8 && i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&asciiMask == 0 {
			i += 8
			n -= 8
			continue
		}
		if i >= len(b) {
			return 0, false
		}
		if b[i] < utf8.RuneSelf {
			i++
			n--
			continue
		}
		size, units := utf8Seq(b[i:])
		if units > n {
			return 0, false
		}
		i += size
		n -= units
	}
	return i, true
}
