//go:build linux

package loadgen

import (
	"bytes"
	"encoding/base64"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/wsframe"
)

// pollState is the HTTP long-polling side of a session: one keep-alive
// connection that always has a GET waiting for the server's packets, and one
// for POSTs, which carry the client's packets batched: packets sent while a
// POST is in flight leave together in the next one. With polling+upgrade the
// session's WebSocket (session.ws, role roleUpgrade) probes the upgrade;
// once the server has answered the probe, traffic moves to it and both HTTP
// connections close.
type pollState struct {
	get, post sock
	sid       string
	getReq    []byte // GET request with the sid
	postHead  []byte // POST request up to the Content-Length value
	batch     []byte // packets waiting for the next POST, \x1e-separated
	probed    bool   // the server answered the probe: polling pauses
	upgraded  bool
	t0        int64 // upgrade start
}

// sepBatch returns the batch ready for one more packet.
func (p *pollState) sepBatch() []byte {
	if len(p.batch) > 0 {
		p.batch = append(p.batch, payloadSep)
	}
	return p.batch
}

// opened runs when the polling handshake answered with sid.
func (p *pollState) opened(l *loop, s *session, sid string) {
	r := l.r
	p.sid = sid
	n := r.nodeOf(s)
	p.getReq = r.appendPollReq(nil, n, "GET", sid)
	p.postHead = r.appendPollReq(nil, n, "POST", sid)
	p.post.s, p.post.role = s, rolePost
	l.dialSock(&p.post)
	if r.cfg.Transport == TransportPollingUpgrade && s.state != ssClosed {
		p.t0 = l.now
		s.ws.s, s.ws.role = s, roleUpgrade
		l.dialSock(&s.ws)
	}
}

// getNext keeps a GET in flight.
func (p *pollState) getNext(l *loop, s *session) {
	if p.probed || s.state == ssClosed || s.state == ssIdle || p.getReq == nil {
		return
	}
	k := &p.get
	switch k.state {
	case sockClosed:
		k.s, k.role = s, roleGet
		l.dialSock(k)
	case sockIdle:
		k.out = append(l.out(k), p.getReq...)
		k.state = sockHTTP
		l.queue(k)
	}
}

// postNext sends the batch if no POST is in flight.
func (p *pollState) postNext(l *loop, s *session) {
	if len(p.batch) == 0 || p.postHead == nil || s.state == ssClosed || s.state == ssIdle {
		return
	}
	if p.upgraded {
		p.moveBatch(l, s)
		return
	}
	if p.probed {
		return // paused: the batch leaves over the WebSocket
	}
	k := &p.post
	switch k.state {
	case sockClosed:
		k.s, k.role = s, rolePost
		l.dialSock(k)
	case sockIdle:
		b := append(l.out(k), p.postHead...)
		b = appendInt(b, int64(len(p.batch)))
		b = append(b, "\r\n\r\n"...)
		k.out = append(b, p.batch...)
		p.batch = p.batch[:0]
		k.state = sockHTTP
		l.queue(k)
	}
}

// response handles a polling response on k; false when the session failed.
func (p *pollState) response(l *loop, s *session, k *sock, r *httpResp) bool {
	if r.status != 200 {
		l.fail(s, httpErrorKind(r))
		return false
	}
	k.state = sockIdle
	if r.close {
		l.closeSock(k)
	}
	if k.role == rolePost {
		if !bytes.Equal(r.body, []byte("ok")) {
			l.fail(s, "protocol: POST answered "+quoteShort(r.body))
			return false
		}
		if p.probed {
			l.closeSock(k)
			p.finishUpgrade(l, s)
			return true
		}
		p.postNext(l, s)
		return true
	}
	b := r.body
	for b != nil {
		var pk eio.Packet
		var err error
		if l.r.cfg.EIO == 3 {
			pk, b, err = eio.NextPayloadPacketV3(b)
		} else {
			pk, b, err = eio.NextPayloadPacket(b)
		}
		if err != nil {
			l.fail(s, "protocol: bad polling payload")
			return false
		}
		if p.upgraded && (pk.Type == eio.PacketClose || pk.Type == eio.PacketNoop) {
			continue // the old transport being discarded
		}
		l.packet(s, pk)
		if s.state == ssClosed || s.state == ssIdle {
			return false
		}
	}
	if p.probed {
		l.closeSock(k)
		p.finishUpgrade(l, s)
		return true
	}
	p.getNext(l, s)
	return true
}

// finishUpgrade sends the upgrade packet once polling is paused: no GET and
// no POST in flight (as engine.io-client does).
func (p *pollState) finishUpgrade(l *loop, s *session) {
	if p.upgraded || p.get.state == sockHTTP || p.post.state == sockHTTP {
		return
	}
	k := &s.ws
	k.out = l.r.tUpgrade.appendWS(l.out(k))
	l.queue(k)
	k.role = roleWS
	p.upgraded = true
	record(l.st.upgrade, l.now-p.t0)
	p.moveBatch(l, s)
	l.closeSock(&p.get)
	l.closeSock(&p.post)
}

// probeReply handles a packet on the upgrading WebSocket.
func (p *pollState) probeReply(l *loop, s *session, k *sock, pk eio.Packet) {
	if pk.Type != eio.PacketPong || string(pk.Data) != "probe" {
		l.errorf("upgrade: unexpected packet during the probe")
		return
	}
	p.probed = true
	p.finishUpgrade(l, s)
}

// moveBatch sends batched packets over the WebSocket after an upgrade.
func (p *pollState) moveBatch(l *loop, s *session) {
	if l.r.cfg.EIO == 3 {
		p.moveBatchV3(l, s)
		return
	}
	b := p.batch
	for len(b) > 0 {
		pkt := b
		if i := bytes.IndexByte(b, payloadSep); i >= 0 {
			pkt, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(pkt) > 0 && pkt[0] == 'b' {
			// a binary message (an attachment, a msgpack packet)
			bin, err := base64.StdEncoding.AppendDecode(nil, pkt[1:])
			if err == nil {
				s.ws.out = wsframe.AppendClientFrame(l.out(&s.ws), ws.OpBinary, bin, l.r.key)
			}
			continue
		}
		s.ws.out = wsframe.AppendClientFrame(l.out(&s.ws), ws.OpText, pkt, l.r.key)
	}
	p.batch = p.batch[:0]
	l.queue(&s.ws)
}

func quoteShort(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return "\"" + string(b) + "\""
}

// appendV3 appends the packets of pkt (appendPkt's form: \x1e-separated,
// a binary one as "b" + base64) to the batch as Engine.IO 3 payload records
// ("<n>:<packet>", a binary message as "b4" + base64 of its data).
func (p *pollState) appendV3(l *loop, pkt []byte) {
	for len(pkt) > 0 {
		one := pkt
		if i := bytes.IndexByte(pkt, payloadSep); i >= 0 {
			one, pkt = pkt[:i], pkt[i+1:]
		} else {
			pkt = nil
		}
		if len(one) == 0 {
			continue
		}
		if one[0] == 'b' {
			bin, err := base64.StdEncoding.AppendDecode(l.v3bin[:0], one[1:])
			if err != nil {
				continue
			}
			l.v3bin = bin
			if len(bin) > 0 && bin[0] == byte(eio.PacketMessage) {
				bin = bin[1:] // the v3 type byte the WebSocket form carries
			}
			p.batch = eio.AppendPayloadPacketV3(p.batch, eio.Packet{Type: eio.PacketMessage, Binary: true, Data: bin})
			continue
		}
		p.batch = eio.AppendPayloadPacketV3(p.batch, eio.Packet{Type: eio.PacketType(one[0] - '0'), Data: one[1:]})
	}
}

// moveBatchV3 is moveBatch for an Engine.IO 3 batch (payload records).
func (p *pollState) moveBatchV3(l *loop, s *session) {
	b := p.batch
	for b != nil {
		pk, rest, err := eio.NextPayloadPacketV3(b)
		if err != nil {
			break
		}
		b = rest
		if pk.Binary {
			s.ws.out = wsframe.AppendClientFrame(l.out(&s.ws), ws.OpBinary, eio.AppendPacketV3(nil, pk), l.r.key)
			continue
		}
		s.ws.out = wsframe.AppendClientFrame(l.out(&s.ws), ws.OpText, eio.AppendPacketV3(nil, pk), l.r.key)
	}
	p.batch = p.batch[:0]
	l.queue(&s.ws)
}
