package sio

import (
	"sync"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"

	"github.com/sioloop/sioloop/broadcast"
	"github.com/sioloop/sioloop/sio/parser"
	"github.com/sioloop/sioloop/wsframe"
)

// pools are the server's scratch buffers and encoded packets.
type pools struct {
	bufs   bytebufferpool.Pool
	encs   sync.Pool // *Encoded
	events sync.Pool // *Event, scratch for handlers run on the loop
	batch  sync.Pool // *broadcast.Batch
}

func (s *Server) getBatch() *broadcast.Batch {
	b, _ := s.pools.batch.Get().(*broadcast.Batch)
	if b == nil {
		b = new(broadcast.Batch)
	}
	return b
}

// flushBatch schedules the batch's loops and returns it to the pool.
func (s *Server) flushBatch(b *broadcast.Batch) {
	b.Flush()
	s.pools.batch.Put(b)
}

func (s *Server) getBuf() *bytebufferpool.ByteBuffer  { return s.pools.bufs.Get() }
func (s *Server) putBuf(b *bytebufferpool.ByteBuffer) { s.pools.bufs.Put(b) }

// Encoded is a packet encoded once, ready for any number of recipients.
type Encoded struct {
	// Packet is the Socket.IO packet in text form ("2[…]", "51-/nsp,[…]").
	Packet []byte
	// Attachments are the binary attachments, sent after Packet.
	Attachments [][]byte
	// AckID is the packet's ack id, for a broadcast with acks.
	AckID int64

	frames *broadcast.Frames // WebSocket form, built for broadcasts
	buf    *bytebufferpool.ByteBuffer
	// mp is the packet in ParserMsgpack's form (wire.go), made on first
	// use in mpBuf; mpFailed: it could not be made.
	mp       []byte
	mpBuf    *bytebufferpool.ByteBuffer
	mpFailed bool
	srv      *Server // owner of the pools; nil for logged copies
	// shared: recipients of a broadcast (sendShared), sharedWS: those of
	// them on WebSocket; counted in Stats at release, once per broadcast.
	shared, sharedWS int32
}

// wsFrames returns the complete WebSocket frames of the packet (Engine.IO
// v4): a text frame "4"+Packet, then one binary frame per attachment; with
// ParserMsgpack (mp), one binary frame of the msgpack form. Built on first
// use, shared by reference; not safe for concurrent first use (a broadcast
// runs on one goroutine).
func (e *Encoded) wsFrames(mp bool) *broadcast.Frames {
	if e.frames == nil && mp {
		e.frames = e.msgpackFrames()
	}
	if e.frames == nil {
		f := broadcast.NewFrames()
		b := f.B()
		*b = wsframe.AppendHeader(*b, wsframe.Header{Fin: true, OpCode: ws.OpText, Length: int64(len(e.Packet) + 1)})
		*b = append(*b, '4')
		*b = append(*b, e.Packet...)
		for _, a := range e.Attachments {
			*b = wsframe.AppendFrame(*b, ws.OpBinary, a)
		}
		e.frames = f
	}
	return e.frames
}

// Release frees an Encoded that an adapter made (EncodeEvent, or
// &Encoded{…}) once its broadcast is done; connections still holding its
// frames keep them until written. Not for an Encoded the server handed to
// the adapter.
func (e *Encoded) Release() { e.release() }

// release returns the packet to its server's pools; connections still
// holding its frames keep them until written.
func (e *Encoded) release() {
	if e.frames != nil {
		e.frames.Release()
		e.frames = nil
	}
	srv := e.srv
	if srv == nil {
		e.mp, e.mpBuf, e.mpFailed = nil, nil, false
		return
	}
	if e.shared > 0 {
		srv.countShared(e, e.shared, e.sharedWS)
	}
	srv.putBuf(e.buf)
	if e.mpBuf != nil {
		srv.putBuf(e.mpBuf)
	}
	*e = Encoded{}
	srv.pools.encs.Put(e)
}

func (s *Server) newEncoded() *Encoded {
	e, _ := s.pools.encs.Get().(*Encoded)
	if e == nil {
		e = new(Encoded)
	}
	e.srv, e.buf = s, s.getBuf()
	return e
}

// encodeEvent encodes EVENT/BINARY_EVENT [event, args...] for namespace
// nsp with ack id (-1: none). A non-empty offset is appended as a last
// argument (connection state recovery).
func (s *Server) encodeEvent(nsp string, id int64, event string, args []any, offset string) (*Encoded, error) {
	if offset != "" {
		args = append(args[:len(args):len(args)], offset)
	}
	e := s.newEncoded()
	var err error
	e.buf.B, e.Attachments, err = parser.AppendEvent(e.buf.B, nsp, id, event, args, nil)
	e.AckID = id
	return e.finish(err)
}

// EncodeEvent encodes an EVENT of n whose data, the Socket.IO JSON
// [event, ...args], refers to atts by placeholders: for an adapter
// delivering another node's broadcast. withAck gives it a new ack id
// (AckID) for BroadcastWithAck. Release it after the broadcast.
func (n *Namespace) EncodeEvent(data []byte, atts [][]byte, withAck bool) *Encoded {
	e := n.srv.newEncoded()
	p := parser.Packet{Type: parser.PacketEvent, Namespace: []byte(n.name), ID: -1, Data: data, Attachments: len(atts)}
	if len(atts) > 0 {
		p.Type = parser.PacketBinaryEvent
	}
	if withAck {
		p.ID = n.nextAckID()
	}
	e.buf.B = parser.AppendPacket(e.buf.B, &p)
	e.Packet, e.Attachments, e.AckID = e.buf.B, atts, p.ID
	return e
}

// encodeAck encodes ACK/BINARY_ACK [args...].
func (s *Server) encodeAck(nsp string, id int64, args []any) (*Encoded, error) {
	e := s.newEncoded()
	var err error
	e.buf.B, e.Attachments, err = parser.AppendAck(e.buf.B, nsp, id, args, nil)
	return e.finish(err)
}

func (e *Encoded) finish(err error) (*Encoded, error) {
	if err != nil {
		e.release()
		return nil, err
	}
	e.Packet = e.buf.B
	return e, nil
}

// payload returns the JSON part of the packet.
func (e *Encoded) payload() []byte {
	p, err := parser.ParsePacket(e.Packet)
	if err != nil {
		return nil
	}
	return p.Data
}

// recordOffset returns a fresh offset when recovery is on and the packet
// (an EVENT without ack) must be logged.
func (s *Server) recordOffset(ack bool) string {
	if s.recovery == nil || ack {
		return ""
	}
	return newOffset()
}
