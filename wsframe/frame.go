package wsframe

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"

	"github.com/gobwas/ws"
)

// ErrNeedMore is returned when b does not yet hold a complete header (ParseHeader)
// or a complete message (Decoder.Next). The caller keeps the unconsumed bytes,
// appends what arrives next and calls again.
var ErrNeedMore = errors.New("wsframe: need more bytes")

// MaxHeaderSize is the size of the longest frame header: 2 fixed bytes, an
// 8-byte extended length and a 4-byte mask key.
const MaxHeaderSize = ws.MaxHeaderSize

// Bits of the first two header bytes.
const (
	bitFin    = 0x80
	bitsRsv   = 0x70
	bitsOp    = 0x0f
	bitMask   = 0x80
	bitsLen7  = 0x7f
	len16Flag = 126
	len64Flag = 127
)

// Header is a parsed frame header (RFC 6455, section 5.2).
//
// Rsv holds the three reserved bits as RSV1<<2 | RSV2<<1 | RSV3, like
// ws.Header.Rsv. Length is the payload length; it is never negative after
// ParseHeader and must not be negative when passed to AppendHeader.
type Header struct {
	Fin    bool
	Rsv    byte
	OpCode ws.OpCode
	Masked bool
	Mask   [4]byte
	Length int64
}

// ParseHeader parses one frame header from the start of b without copying or
// allocating. n is the header length; the payload is b[n:n+h.Length].
//
// It returns ErrNeedMore (and n == 0) while b holds an incomplete header, and
// a *CloseError with code 1002 for a 64-bit length whose most significant bit
// is set. It checks nothing else: the rules of the protocol (masking, RSV
// bits, opcodes, control frame limits) are the Decoder's.
//
// b is only read. Safe to call from any goroutine.
func ParseHeader(b []byte) (h Header, n int, err error) {
	if len(b) < 2 {
		return h, 0, ErrNeedMore
	}
	b0, b1 := b[0], b[1]
	h.Fin = b0&bitFin != 0
	h.Rsv = (b0 & bitsRsv) >> 4
	h.OpCode = ws.OpCode(b0 & bitsOp)
	h.Masked = b1&bitMask != 0

	switch l := b1 & bitsLen7; l {
	case len16Flag:
		if len(b) < 4 {
			return h, 0, ErrNeedMore
		}
		h.Length = int64(binary.BigEndian.Uint16(b[2:4]))
		n = 4
	case len64Flag:
		if len(b) < 10 {
			return h, 0, ErrNeedMore
		}
		u := binary.BigEndian.Uint64(b[2:10])
		if u>>63 != 0 {
			return h, 0, closeErr(ws.StatusProtocolError, "64-bit payload length has the most significant bit set")
		}
		h.Length = int64(u)
		n = 10
	default:
		h.Length = int64(l)
		n = 2
	}

	if h.Masked {
		if len(b) < n+4 {
			return h, 0, ErrNeedMore
		}
		h.Mask = [4]byte(b[n : n+4])
		n += 4
	}
	return h, n, nil
}

// HeaderSize returns the length of the header AppendHeader writes for a
// payload of payloadLen bytes, masked (client to server) or not.
// Safe to call from any goroutine.
func HeaderSize(payloadLen int, masked bool) int {
	n := 2
	switch {
	case payloadLen < len16Flag:
	case payloadLen <= 0xffff:
		n += 2
	default:
		n += 8
	}
	if masked {
		n += 4
	}
	return n
}

// AppendHeader appends the encoding of h to dst and returns the extended
// slice. The length uses the shortest form, as RFC 6455 requires. Only the
// low 3 bits of h.Rsv and the low 4 bits of h.OpCode are used.
//
// It allocates only when dst has to grow. To put a header in front of a
// payload encoded first, reserve MaxHeaderSize bytes and append the header
// into buf[off:off] with off = MaxHeaderSize - HeaderSize(len, masked).
// Safe to call from any goroutine.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := (h.Rsv&7)<<4 | byte(h.OpCode)&bitsOp
	if h.Fin {
		b0 |= bitFin
	}
	var b1 byte
	if h.Masked {
		b1 = bitMask
	}
	l := uint64(h.Length)
	switch {
	case l < len16Flag:
		dst = append(dst, b0, b1|byte(l))
	case l <= 0xffff:
		dst = append(dst, b0, b1|len16Flag, byte(l>>8), byte(l))
	default:
		dst = append(dst, b0, b1|len64Flag)
		dst = binary.BigEndian.AppendUint64(dst, l)
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// AppendFrame appends one complete server frame (FIN set, not masked) with
// the given opcode and payload to dst and returns the extended slice.
// payload is copied, not retained. It allocates only when dst has to grow
// (at most once). Safe to call from any goroutine.
func AppendFrame(dst []byte, op ws.OpCode, payload []byte) []byte {
	dst = slices.Grow(dst, HeaderSize(len(payload), false)+len(payload))
	dst = AppendHeader(dst, Header{Fin: true, OpCode: op, Length: int64(len(payload))})
	return append(dst, payload...)
}

// AppendClientFrame appends one complete client frame (FIN set, masked with
// mask) to dst and returns the extended slice. payload is copied and masked in
// dst; the caller's payload is neither modified nor retained. A client should
// use a fresh random mask per frame. It allocates only when dst has to grow
// (at most once). Safe to call from any goroutine.
func AppendClientFrame(dst []byte, op ws.OpCode, payload []byte, mask [4]byte) []byte {
	dst = slices.Grow(dst, HeaderSize(len(payload), true)+len(payload))
	dst = AppendHeader(dst, Header{Fin: true, OpCode: op, Masked: true, Mask: mask, Length: int64(len(payload))})
	start := len(dst)
	dst = append(dst, payload...)
	Unmask(dst[start:], mask, 0)
	return dst
}

// smallUnmask is the payload length below which Unmask XORs 8-byte words
// itself: ws.Cipher's vector kernels win only above it (Socket.IO messages
// are mostly short). Measured on amd64, see BenchmarkUnmask.
const smallUnmask = 64

// Unmask XORs p in place with mask (RFC 6455, section 5.3); masking and
// unmasking are the same operation. pos is the offset of p[0] within the
// frame payload, so a payload can be processed in pieces (only pos modulo 4
// matters). p is modified, not retained. Safe to call from any goroutine (on
// distinct p).
func Unmask(p []byte, mask [4]byte, pos int) {
	if len(p) >= smallUnmask {
		ws.Cipher(p, mask, pos&3)
		return
	}
	// The mask as a little-endian word rotated so that its first byte is
	// the one p[0] meets, then doubled to 64 bits.
	k := binary.LittleEndian.Uint32(mask[:])
	k = bits.RotateLeft32(k, -8*(pos&3))
	k8 := uint64(k)<<32 | uint64(k)
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k8)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= byte(k8 >> (8 * i))
	}
}
