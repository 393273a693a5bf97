package sio

import (
	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"

	"github.com/sioloop/sioloop/broadcast"
	"github.com/sioloop/sioloop/sio/parser"
	"github.com/sioloop/sioloop/wsframe"
)

// Parser selects the wire format of Socket.IO packets (Options.Parser), as
// the parser option of Node's new Server({parser}). Both ends must use the
// same one: a client with the default parser cannot talk to a server with
// ParserMsgpack, nor the other way round.
type Parser uint8

const (
	// ParserDefault is the Socket.IO protocol's own format (socket.io-parser):
	// a text message per packet, binary values as attachments that follow
	// it as binary messages.
	ParserDefault Parser = iota
	// ParserMsgpack is the format of the npm package socket.io-msgpack-parser
	// 3.0: one binary message per packet, a msgpack map {type, nsp, data,
	// id} with binary values inline. The client must be created with
	// parser: require("socket.io-msgpack-parser").
	ParserMsgpack
)

func (p Parser) String() string {
	switch p {
	case ParserDefault:
		return "default"
	case ParserMsgpack:
		return "msgpack"
	}
	return "unknown"
}

// Whatever the parser, the server works on packets in the default text
// form (handlers see Args: raw JSON plus attachments, and every Encoded
// holds Packet and Attachments, which adapters read). With ParserMsgpack
// the msgpack form is made at the edges: an incoming binary message is
// transcoded to the text form before dispatch, and an outgoing Encoded
// gets its msgpack form once, shared by all its recipients as its
// WebSocket frames are.

// onMsgpackMessage reads one message of a ParserMsgpack session: a packet
// in one binary message, its data transcoded into a pooled buffer that
// lives until the packet is dispatched.
func (c *client) onMsgpackMessage(data []byte, binary bool) {
	if !binary {
		c.violation("a text message with the msgpack parser")
		return
	}
	b := c.srv.getBuf()
	defer c.srv.putBuf(b)
	p, buf, atts, err := parser.ParseMsgpackPacket(data, b.B[:0], nil)
	b.B = buf
	if err != nil {
		c.violation("bad msgpack packet: " + err.Error())
		return
	}
	c.dispatch(&p, atts)
}

// sendPacket writes a packet built on the spot (CONNECT, DISCONNECT,
// CONNECT_ERROR: no attachments) in the server's wire format.
func (c *client) sendPacket(p *Packet) {
	b := c.srv.getBuf()
	if c.srv.msgpack {
		var err error
		if b.B, err = parser.AppendMsgpackPacket(b.B, p, nil); err == nil {
			c.srv.countOut(c.sess, b.B, nil)
			_ = c.sess.Send(b.B, true)
		}
	} else {
		b.B = parser.AppendPacket(b.B, p)
		c.srv.countOut(c.sess, b.B, nil)
		_ = c.sess.Send(b.B, false)
	}
	c.srv.putBuf(b)
}

// msgpackForm returns the packet in the msgpack parser's form, made on
// first use and kept until release (not safe for concurrent first use: a
// packet is sent from one goroutine; the recovery log makes its copies'
// form before sharing them). Nil when the packet cannot be transcoded.
func (e *Encoded) msgpackForm() []byte {
	if e.mp == nil && !e.mpFailed {
		p, err := parser.ParsePacket(e.Packet)
		if err == nil {
			var b *bytebufferpool.ByteBuffer
			if e.srv != nil {
				b = e.srv.getBuf()
			} else {
				b = new(bytebufferpool.ByteBuffer)
			}
			b.B, err = parser.AppendMsgpackPacket(b.B[:0], &p, e.Attachments)
			if err == nil {
				e.mp, e.mpBuf = b.B, b
			} else if e.srv != nil {
				e.srv.putBuf(b)
			}
		}
		e.mpFailed = e.mp == nil
	}
	return e.mp
}

// msgpackFrames is wsFrames for ParserMsgpack: one binary frame holding
// the msgpack form.
func (e *Encoded) msgpackFrames() *broadcast.Frames {
	f := broadcast.NewFrames()
	b := f.B()
	*b = wsframe.AppendFrame(*b, ws.OpBinary, e.msgpackForm())
	return f
}
