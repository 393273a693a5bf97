package sio

import (
	"time"

	"github.com/sioloop/sioloop/broadcast"
	"github.com/sioloop/sioloop/internal/timer"
	"github.com/sioloop/sioloop/sio/parser"
)

// onEvent runs the handlers of an incoming EVENT.
func (s *Socket) onEvent(p *Packet, atts [][]byte) {
	if s.client.srv.pool != nil {
		// Workers mode: the packet must outlive this call.
		data := append([]byte(nil), p.Data...)
		id := p.ID
		s.client.srv.pool.submit(s, func() { s.runEvent(data, id, atts, new(Event)) })
		return
	}
	// A pooled scratch Event: handlers on the loop run one at a time, and
	// an idle connection should not carry one.
	pools := &s.client.srv.pools
	ev, _ := pools.events.Get().(*Event)
	if ev == nil {
		ev = new(Event)
	}
	s.runEvent(p.Data, p.ID, atts, ev)
	pools.events.Put(ev)
}

func (s *Socket) runEvent(data []byte, ackID int64, atts [][]byte, ev *Event) {
	if len(data) == 0 {
		return // an EVENT without payload: the reference ignores it
	}
	name, err := parser.EventName(data)
	if err != nil {
		s.client.forceClose()
		return
	}
	if err := ev.Fill(data, 1, atts); err != nil {
		s.client.forceClose()
		return
	}
	ev.Socket = s
	ev.ackID = ackID
	ev.acked = false

	s.mu.Lock()
	hs := s.handlers // a snapshot: the slice is never changed in place
	ev.name = ""
	for i := range hs {
		if hs[i].name == string(name) {
			ev.name, hs = hs[i].name, hs[i:]
			break
		}
	}
	var anyIn []AnyHandler
	var mws []func(e *Event) error
	if x := s.hooks; x != nil {
		anyIn, mws = x.anyIn, x.packetMws
	}
	s.mu.Unlock()
	if ev.name == "" {
		ev.name = string(name) // no handler: only catch-alls see it
		hs = nil
	}
	for _, x := range s.client.srv.detailed() {
		x.EventReceived(s, ev.name, ev.RawArgs())
	}
	for _, mw := range mws {
		if err := mw(ev); err != nil {
			s.reportError(err)
			return
		}
	}
	for _, h := range anyIn {
		h(ev.name, ev.RawArgs())
	}
	for i := range hs {
		if hs[i].name == ev.name {
			hs[i].fn(ev)
		}
	}
	ev.Socket = nil
	ev.Reset()
}

// pendingAck waits for one acknowledgement.
type pendingAck struct {
	s  *Socket
	id int64
	fn AckFunc
	tm timer.Node
}

func (a *pendingAck) OnTimer(*timer.Node) {
	s := a.s
	s.mu.Lock()
	if s.acks[a.id] != a {
		s.mu.Unlock()
		return
	}
	delete(s.acks, a.id)
	s.mu.Unlock()
	a.fn(nil, ErrAckTimeout)
}

func (s *Socket) addAck(id int64, fn AckFunc, timeout time.Duration) {
	a := &pendingAck{s: s, id: id, fn: fn}
	s.mu.Lock()
	if s.acks == nil {
		s.acks = make(map[int64]*pendingAck)
	}
	s.acks[id] = a
	s.mu.Unlock()
	if timeout > 0 {
		a.tm.Init(a)
		s.client.srv.wheel.Schedule(&a.tm, timeout)
	}
}

// onAck delivers an ACK to its callback; unknown ids are ignored.
func (s *Socket) onAck(p *Packet, atts [][]byte) {
	s.mu.Lock()
	a := s.acks[p.ID]
	if a != nil {
		delete(s.acks, p.ID)
	}
	s.mu.Unlock()
	if a == nil {
		return
	}
	s.client.srv.wheel.Stop(&a.tm)
	var args Args
	if err := args.Fill(p.Data, 0, atts); err != nil {
		s.client.forceClose()
		return
	}
	a.fn(&args, nil)
}

// sendAck answers the client's ack request id.
func (s *Socket) sendAck(id int64, args []any) error {
	enc, err := s.client.srv.encodeAck(s.nsp.name, id, args)
	if err != nil {
		return err
	}
	defer enc.release()
	s.sendEncoded(enc, false)
	return nil
}

// sendControl sends a CONNECT or DISCONNECT packet with an optional JSON body.
func (s *Socket) sendControl(t PacketType, data []byte) {
	p := Packet{Type: t, Namespace: []byte(s.nsp.name), ID: -1, Data: data}
	s.client.sendPacket(&p)
}

// sendEncoded writes an encoded packet to the socket's session.
func (s *Socket) sendEncoded(enc *Encoded, volatile bool) {
	sess := s.client.sess
	if volatile && !sess.Writable() {
		s.client.srv.countDropped()
		return
	}
	srv := s.client.srv
	if srv.msgpack {
		if mp := enc.msgpackForm(); mp != nil {
			srv.countOut(sess, mp, nil)
			_ = sess.Send(mp, true)
		}
		return
	}
	srv.countOut(sess, enc.Packet, enc.Attachments)
	_ = sess.SendPacket(enc.Packet, enc.Attachments)
}

// sendShared queues one recipient's copy of a broadcast: on a WebSocket
// its pre-built frames go straight to the connection (by reference when
// large), the connections grouped by event loop in b; on polling the
// packet is queued for the next GET.
func (s *Socket) sendShared(enc *Encoded, volatile bool, b *broadcast.Batch) {
	enc.shared++ // counted once, when the packet is released (Stats)
	c := s.sess.Direct()
	if c == nil {
		s.sendEncoded(enc, volatile)
		return
	}
	srv := s.client.srv
	if srv.msgpack && enc.msgpackForm() == nil {
		return // not transcodable (an adapter's malformed packet)
	}
	if enc.srv != nil {
		enc.sharedWS++
	} else if srv.msgpack { // an adapter's packet (from another node): no release to count at
		srv.countOut(s.sess, enc.mp, nil)
	} else {
		srv.countOut(s.sess, enc.Packet, enc.Attachments)
	}
	f := enc.wsFrames(srv.msgpack)
	if bc, ok := c.(broadcast.Conn); ok {
		b.Send(bc, f, volatile)
		return
	}
	if !volatile || c.Writable() { // a network layer without batching
		c.WriteRaw(f.Bytes())
	} else {
		s.client.srv.countDropped()
	}
}

func (s *Socket) notifyOutgoing(event string, enc *Encoded) {
	var out []AnyHandler
	s.mu.Lock()
	if x := s.hooks; x != nil {
		out = x.anyOut
	}
	s.mu.Unlock()
	obs := s.client.srv.detailed()
	if len(out) == 0 && len(obs) == 0 {
		return
	}
	var args Args
	if err := args.Fill(enc.payload(), 1, enc.Attachments); err != nil {
		return
	}
	for _, x := range obs {
		x.EventSent(s, event, args.RawArgs())
	}
	for _, h := range out {
		h(event, args.RawArgs())
	}
}

// onClose disconnects the socket with reason: disconnecting handlers,
// rooms left, disconnect handlers.
func (s *Socket) onClose(reason string) { s.onCloseDescribed(reason, nil) }

// onCloseDescribed ends the socket; desc is the error behind the
// connection's end, if any (OnDisconnectDescribed).
func (s *Socket) onCloseDescribed(reason string, desc error) {
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return
	}
	s.connected = false
	if s.nsp.srv.trace {
		s.nsp.srv.logger().Debug("sio: socket disconnected", "nsp", s.nsp.name, "id", s.id, "reason", reason)
	}
	var disconnecting []func(reason string)
	var described []func(reason string, description error)
	if x := s.hooks; x != nil {
		disconnecting = x.onDisconning
		described = x.onDisconnectDesc
	}
	disconnect := s.onDisconnect
	s.mu.Unlock()
	srv := s.client.srv
	for _, fn := range disconnecting {
		srv.callDisconnect(fn, reason)
	}
	if rec := s.client.srv.recovery; rec != nil {
		rec.save(s, reason)
	}
	s.nsp.adapter.DelAll(s)
	s.nsp.remove(s)
	s.client.remove(s)
	for _, x := range srv.detailed() {
		x.SocketDisconnected(s, reason)
	}
	for _, fn := range disconnect {
		srv.callDisconnect(fn, reason)
	}
	for _, fn := range described {
		func() {
			defer srv.recoverReport()
			fn(reason, desc)
		}()
	}
}
