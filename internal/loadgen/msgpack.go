package loadgen

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/internal/msgpack"
	"github.com/sioloop/sioloop/sio/parser"
	"github.com/sioloop/sioloop/wsframe"
)

// The msgpack parser (Config.Parser = ParserMsgpack) speaks the
// socket.io-msgpack-parser 3.0 format: each Socket.IO packet is one binary
// Engine.IO message holding a msgpack map {type, nsp, data, id}, with
// binary values inline as bin. Templates are still written as Socket.IO
// JSON text (template.go) and converted once, by the project's codec
// (parser.AppendMsgpackPacket); their slots become fixed-width msgpack
// integers (uint32 for ack ids and connection indexes, uint64 for stamps:
// every value a slot takes keeps that form), patched in binary. Replies are
// decoded to the text form (parser.ParseMsgpackPacket) and matched as the
// default parser's.

// msgpackTmpl returns the msgpack form of t, a template of one Socket.IO
// packet in text form ("4" + packet, and maybe one attachment).
func msgpackTmpl(t *tmpl) (*tmpl, error) {
	// Fill each slot with a distinct value of its width, to find it in
	// the msgpack form.
	text := bytes.Clone(t.pkt)
	vals := make([]int64, len(t.slots))
	for i, s := range t.slots {
		v := int64(1)
		for range s.width - 1 {
			v *= 10
		}
		vals[i] = v + 1234567 + int64(i)*7919
		putDigits(text[s.off:s.off+s.width], vals[i])
	}
	p, err := parser.ParsePacket(text[1:])
	if err != nil {
		return nil, fmt.Errorf("msgpack template: %w", err)
	}
	var atts [][]byte
	if t.att != nil {
		atts = [][]byte{t.att}
	}
	m, err := parser.AppendMsgpackPacket(nil, &p, atts)
	if err != nil {
		return nil, fmt.Errorf("msgpack template: %w", err)
	}
	mt := &tmpl{bin: true, key: t.key, pkt: m}
	for i, v := range vals {
		enc := msgpack.AppendInt(nil, v)
		if enc[0] != 0xce && enc[0] != 0xcf {
			return nil, fmt.Errorf("msgpack template: slot %d of width %d has no fixed form", i, t.slots[i].width)
		}
		off := bytes.Index(m, enc)
		if off < 0 || bytes.Index(m[off+1:], enc) >= 0 {
			return nil, fmt.Errorf("msgpack template: slot %d not found once", i)
		}
		mt.slots = append(mt.slots, slot{off: off + 1, width: len(enc) - 1})
	}
	mt.ws = wsframe.AppendClientFrame(nil, ws.OpBinary, m, t.key)
	mt.hdr = len(mt.ws) - len(m)
	return mt, nil
}

// putBin writes v big-endian into b (4 or 8 bytes: a slot of a msgpack
// template).
func putBin(b []byte, v int64) {
	if len(b) == 4 {
		binary.BigEndian.PutUint32(b, uint32(v))
	} else {
		binary.BigEndian.PutUint64(b, uint64(v))
	}
}

// appendWSBin is appendWS for a msgpack template.
func (t *tmpl) appendWSBin(dst []byte, vals []int64) []byte {
	off := len(dst) + t.hdr
	dst = append(dst, t.ws...)
	p := dst[off:]
	for i, s := range t.slots {
		putBin(p[s.off:s.off+s.width], vals[i])
		for j := s.off; j < s.off+s.width; j++ {
			p[j] ^= t.key[j&3]
		}
	}
	return dst
}

// appendPktBin is appendPkt for a msgpack template: the binary message in
// a polling payload, "b" + base64.
func (t *tmpl) appendPktBin(dst []byte, vals []int64) []byte {
	var tmp [512]byte
	m := append(tmp[:0], t.pkt...)
	for i, s := range t.slots {
		putBin(m[s.off:s.off+s.width], vals[i])
	}
	dst = append(dst, 'b')
	return base64.StdEncoding.AppendEncode(dst, m)
}
