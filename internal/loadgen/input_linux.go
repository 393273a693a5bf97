//go:build linux

package loadgen

import (
	"bytes"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio/parser"
	"github.com/sioloop/sioloop/wsframe"
)

// input consumes what it can of b, bytes read from k; it returns the bytes
// used, or -1 when k was closed.
func (l *loop) input(k *sock, b []byte, eof bool) int {
	s := k.s
	off := 0
	for off < len(b) {
		switch k.state {
		case sockHTTP:
			resp, n, err := parseResp(b[off:], eof)
			if err == errNeedMore {
				return off
			}
			if err != nil {
				l.sockFailed(k, "handshake: "+err.Error())
				return -1
			}
			off += n
			if k.role == roleWS || k.role == roleUpgrade {
				if !l.wsResponse(k, &resp) {
					return -1
				}
			} else if !s.poll.response(l, s, k, &resp) {
				return -1
			}
			if k.state == sockClosed {
				return -1
			}
		case sockWS:
			n := l.frames(k, b[off:])
			if n < 0 {
				return -1
			}
			return off + n
		default:
			l.sockFailed(k, "protocol: unexpected bytes from the server")
			return -1
		}
	}
	return off
}

// wsResponse checks the answer to a WebSocket upgrade request.
func (l *loop) wsResponse(k *sock, r *httpResp) bool {
	if r.status != 101 {
		l.sockFailed(k, httpErrorKind(r))
		return false
	}
	if !bytes.Equal(r.accept, l.r.wsAccept) {
		l.sockFailed(k, "handshake: bad Sec-WebSocket-Accept")
		return false
	}
	k.state = sockWS
	if k.role == roleUpgrade {
		k.out = l.r.tProbe.appendWS(l.out(k))
		l.queue(k)
	}
	return true
}

// frames decodes WebSocket messages from b.
func (l *loop) frames(k *sock, b []byte) int {
	s := k.s
	off := 0
	for off < len(b) {
		m, n, err := s.dec.Next(b[off:])
		off += n
		if err != nil {
			if err == wsframe.ErrNeedMore {
				return off
			}
			l.sockFailed(k, "protocol: bad WebSocket frame")
			return -1
		}
		switch m.Op {
		case ws.OpText:
			p, err := eio.ParsePacket(m.Payload, false)
			if err != nil {
				l.sockFailed(k, "protocol: bad Engine.IO packet")
				return -1
			}
			if k.role == roleUpgrade {
				s.poll.probeReply(l, s, k, p)
			} else {
				l.packet(s, p)
			}
		case ws.OpBinary:
			l.binary(s, m.Payload)
		case ws.OpPing:
			k.out = wsframe.AppendClientFrame(l.out(k), ws.OpPong, m.Payload, l.r.key)
			l.queue(k)
		case ws.OpClose:
			code, _, _ := wsframe.ParseClose(m.Payload)
			l.sockFailed(k, "conn: closed by server (WebSocket close "+itoa(int64(code))+")")
			return -1
		}
		if k.state == sockClosed || s.state == ssClosed || s.state == ssIdle {
			return -1
		}
	}
	return off
}

// packet handles one Engine.IO packet from either transport.
func (l *loop) packet(s *session, p eio.Packet) {
	switch p.Type {
	case eio.PacketMessage:
		if p.Binary {
			l.binary(s, p.Data)
			return
		}
		l.message(s, p.Data)
	case eio.PacketPing:
		s.sendRaw(l, l.r.tPong)
	case eio.PacketOpen:
		l.open(s, p.Data)
	case eio.PacketClose:
		l.fail(s, "conn: closed by server (Engine.IO close)")
	case eio.PacketNoop, eio.PacketPong:
	default:
		l.fail(s, "protocol: unexpected Engine.IO packet")
	}
}

// open handles the Engine.IO handshake.
func (l *loop) open(s *session, data []byte) {
	if s.state != ssHandshake {
		l.fail(s, "protocol: second open packet")
		return
	}
	pi, pt := jsonInt(data, `"pingInterval":`), jsonInt(data, `"pingTimeout":`)
	if pi > 0 && pt > 0 {
		l.silent = (pi+pt)*1e6 + 2e9
		l.pingGap = pi * 1e6
	}
	if s.poll != nil {
		sid, ok := jsonString(data, `"sid":"`)
		if !ok {
			l.fail(s, "protocol: open packet without sid")
			return
		}
		s.poll.opened(l, s, sid)
	}
	s.state = ssConnect
	if l.r.cfg.EIO == 3 && l.r.tgt.nsp == "/" {
		return // Socket.IO 2: the server joins the main namespace by itself
	}
	s.sendRaw(l, l.r.connectTmpl(s))
}

// message handles a Socket.IO packet.
func (l *loop) message(s *session, b []byte) {
	if l.r.msgpack {
		l.fail(s, "protocol: "+errParserMismatch)
		return
	}
	p, err := parser.ParsePacket(b)
	if err != nil {
		l.fail(s, "protocol: bad Socket.IO packet")
		return
	}
	l.sioPacket(s, &p)
}

// errParserMismatch is the error of a msgpack client that got a text
// Socket.IO packet.
const errParserMismatch = "the server sent a text Socket.IO packet: it uses the default parser, not msgpack (drop --parser msgpack)"

// sioPacket dispatches a decoded Socket.IO packet.
func (l *loop) sioPacket(s *session, p *parser.Packet) {
	if string(p.Namespace) != l.r.tgt.nsp {
		return
	}
	switch p.Type {
	case parser.PacketEvent, parser.PacketBinaryEvent:
		// A binary event counts when its packet arrives (its JSON carries
		// the stamps); the attachments that follow are skipped.
		if p.Type == parser.PacketBinaryEvent {
			s.skip = uint8(min(p.Attachments, 255))
		}
		name, err := parser.EventName(p.Data)
		if err != nil {
			l.errorf("protocol: event without a name")
			return
		}
		if s.state == ssReady || s.state == ssJoining {
			l.r.wl.event(l, s, name, p.Data)
		}
	case parser.PacketAck, parser.PacketBinaryAck:
		if p.Type == parser.PacketBinaryAck {
			s.skip = uint8(min(p.Attachments, 255))
		}
		if s.state == ssReady || s.state == ssJoining {
			l.r.wl.ack(l, s, p.ID, p.Data)
		}
	case parser.PacketConnect:
		if s.state == ssConnect {
			l.joinedNamespace(s)
		}
	case parser.PacketConnectError:
		msg, _ := jsonString(p.Data, `"message":"`)
		if msg == "" {
			msg = string(p.Data)
		}
		l.fail(s, "namespace: connect_error ("+msg+")")
	case parser.PacketDisconnect:
		l.fail(s, "conn: disconnected by server")
	}
}

// binary handles a binary Engine.IO message: an attachment to skip, or
// with the msgpack parser a Socket.IO packet.
func (l *loop) binary(s *session, m []byte) {
	if l.r.msgpack {
		l.msgpackMessage(s, m)
		return
	}
	if s.skip > 0 {
		s.skip--
		return
	}
	l.errorf("protocol: unexpected binary message")
}

// msgpackMessage handles a binary Engine.IO message of the msgpack parser:
// one Socket.IO packet.
func (l *loop) msgpackMessage(s *session, m []byte) {
	p, buf, atts, err := parser.ParseMsgpackPacket(m, l.mpBuf[:0], l.mpAtts[:0])
	l.mpBuf = buf
	clear(atts)
	l.mpAtts = atts[:0]
	if err != nil {
		l.fail(s, "protocol: bad msgpack Socket.IO packet ("+err.Error()+")")
		return
	}
	l.sioPacket(s, &p)
}
