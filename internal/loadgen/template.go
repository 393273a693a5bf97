package loadgen

import (
	"encoding/base64"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/sio/parser"
	"github.com/sioloop/sioloop/wsframe"
)

// payloadSep separates the packets of an Engine.IO 4 polling payload.
const payloadSep = 0x1e

// tmpl is one outgoing Engine.IO packet encoded once per run: the plain
// packet (what a polling POST carries) and the complete masked WebSocket
// frame. Fields that change per send are fixed-width decimal numbers
// (slots); a send copies the frame and overwrites the slots' digits, masking
// them with the key at their payload position, so no JSON is encoded and no
// payload is re-masked per send.
//
// A tmpl is immutable after build and shared by every loop.
type tmpl struct {
	pkt   []byte // plain Engine.IO packet ("4" + Socket.IO packet)
	ws    []byte // masked client text frame carrying pkt
	hdr   int    // length of ws's header: ws[hdr:] is the masked pkt
	key   [4]byte
	slots []slot
	// A binary event's attachment, sent after the packet: as a masked
	// binary frame over WebSocket, as "b"+base64 in a polling payload.
	attWS, attPkt []byte
	att           []byte // the attachment itself
	// bin: a msgpack-parser template (msgpack.go): ws is a binary frame,
	// pkt the msgpack packet, slots are big-endian integers.
	bin bool
}

// slot is a fixed-width decimal field of a tmpl, at off in pkt.
type slot struct{ off, width int }

// tmplBuilder assembles a packet with slots.
type tmplBuilder struct {
	b     []byte
	slots []slot
}

func (tb *tmplBuilder) lit(s string)      { tb.b = append(tb.b, s...) }
func (tb *tmplBuilder) litBytes(p []byte) { tb.b = append(tb.b, p...) }

// num reserves a slot of width digits (filled with '1' then '0's, a valid
// JSON number and ack id, until patched).
func (tb *tmplBuilder) num(width int) {
	tb.slots = append(tb.slots, slot{off: len(tb.b), width: width})
	tb.b = append(tb.b, '1')
	for i := 1; i < width; i++ {
		tb.b = append(tb.b, '0')
	}
}

// build finishes the template with the given mask key.
func (tb *tmplBuilder) build(key [4]byte) *tmpl {
	t := &tmpl{pkt: tb.b, key: key, slots: tb.slots}
	t.ws = wsframe.AppendClientFrame(nil, ws.OpText, t.pkt, key)
	t.hdr = len(t.ws) - len(t.pkt)
	return t
}

// withAttachment makes t a BINARY_EVENT template's: att follows the packet.
func (t *tmpl) withAttachment(att []byte) *tmpl {
	t.att = att
	t.attWS = wsframe.AppendClientFrame(nil, ws.OpBinary, att, t.key)
	t.attPkt = append([]byte{'b'}, base64.StdEncoding.EncodeToString(att)...)
	return t
}

// binaryEventTmpl is eventTmpl for a BINARY_EVENT with one attachment.
func binaryEventTmpl(nsp string, ack bool, key [4]byte, att []byte, body func(tb *tmplBuilder)) *tmpl {
	tb := &tmplBuilder{}
	tb.lit("4")
	tb.b = parser.AppendPacketHeader(tb.b, &parser.Packet{Type: parser.PacketBinaryEvent, Attachments: 1, Namespace: []byte(nsp), ID: parser.NoID})
	if ack {
		tb.num(ackDigits)
	}
	body(tb)
	return tb.build(key).withAttachment(att)
}

// eventTmpl builds `4` + a Socket.IO EVENT on nsp. With ack, an ack id slot
// (ackDigits wide) follows the header and becomes the template's first slot.
// body writes the JSON array of the event (name and arguments), with slots of
// its own.
func eventTmpl(nsp string, ack bool, key [4]byte, body func(tb *tmplBuilder)) *tmpl {
	tb := &tmplBuilder{}
	tb.lit("4")
	tb.b = parser.AppendPacketHeader(tb.b, &parser.Packet{Type: parser.PacketEvent, Namespace: []byte(nsp), ID: parser.NoID})
	if ack {
		tb.num(ackDigits)
	}
	body(tb)
	return tb.build(key)
}

// appendWS appends the frame with vals written into the slots, in order.
func (t *tmpl) appendWS(dst []byte, vals ...int64) []byte {
	if t.bin {
		return t.appendWSBin(dst, vals)
	}
	off := len(dst) + t.hdr
	dst = append(dst, t.ws...)
	p := dst[off:]
	for i, s := range t.slots {
		putDigits(p[s.off:s.off+s.width], vals[i])
		for j := s.off; j < s.off+s.width; j++ {
			p[j] ^= t.key[j&3]
		}
	}
	if t.attWS != nil {
		dst = append(dst, t.attWS...)
	}
	return dst
}

// appendPkt appends the plain packet with vals written into the slots.
func (t *tmpl) appendPkt(dst []byte, vals ...int64) []byte {
	if t.bin {
		return t.appendPktBin(dst, vals)
	}
	off := len(dst)
	dst = append(dst, t.pkt...)
	p := dst[off:]
	for i, s := range t.slots {
		putDigits(p[s.off:s.off+s.width], vals[i])
	}
	if t.attPkt != nil {
		dst = append(dst, payloadSep)
		dst = append(dst, t.attPkt...)
	}
	return dst
}

// putDigits writes v right-aligned in decimal into b, padding with '0'.
// Callers keep v within len(b) digits (and, for a JSON number, with a
// non-zero leading digit: see stampBase and ackBase).
func putDigits(b []byte, v int64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// parseDigits reads the unsigned decimal number at the start of b.
func parseDigits(b []byte) (v int64, n int) {
	for n < len(b) && b[n] >= '0' && b[n] <= '9' && n < 19 {
		v = v*10 + int64(b[n]-'0')
		n++
	}
	return v, n
}

// payloadString returns n bytes of printable ASCII that need no JSON escape.
func payloadString(n int) []byte {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[i%len(alpha)]
	}
	return b
}
