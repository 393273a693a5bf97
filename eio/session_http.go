package eio

import (
	"bytes"
	"errors"
	"time"

	"github.com/gobwas/ws"
)

// serve handles a request that names this session's sid.
func (s *Session) serve(r *Request, w ResponseWriter, transport []byte, hdr []HeaderField) {
	srv := s.srv
	if requestProtocol(r) != s.protocol {
		// The reference refuses a protocol other than the session's
		// (PROTOCOL_MISMATCH), upgrade or not.
		srv.refuse(r, w, ErrBadRequest, hdr)
		return
	}
	if string(transport) == "websocket" {
		if !r.Upgrade {
			srv.refuse(r, w, ErrBadRequest, hdr)
			return
		}
		s.startUpgrade(r, w, hdr)
		return
	}
	if r.Upgrade {
		// A WebSocket upgrade for the polling transport: the reference
		// accepts it and closes it at once.
		acceptAndClose(w, hdr)
		return
	}
	at := time.Now().UnixNano()
	if !r.Arrived.IsZero() {
		at = r.Arrived.UnixNano()
	}
	if s.expiredAt(at) {
		srv.refuse(r, w, ErrUnknownSID, hdr)
		return
	}
	s.mu.Lock()
	ws := s.websocket
	s.mu.Unlock()
	if ws {
		// Polling on a session that has moved to WebSocket.
		srv.refuse(r, w, ErrBadRequest, hdr)
		return
	}
	switch string(r.Method) {
	case "GET":
		s.pollGET(r, w, hdr)
	case "POST":
		s.pollPOST(r, w)
	default:
		w.Respond(&Response{Status: 500})
	}
}

var (
	respBadEmpty = Response{Status: 400}
	respTooLarge = Response{Status: 413}
)

func (s *Session) pollGET(r *Request, w ResponseWriter, hdr []HeaderField) {
	enc := acceptedEncoding(r.Headers.Header("Accept-Encoding"))
	s.mu.Lock()
	s.pollEnc = enc
	switch {
	case s.state == stateClosing && s.queued > 0:
		// As the reference: what was queued before the close goes out
		// first, alone; the next GET gets the close packet.
		s.poll = w
		s.flushPollLocked()
		s.mu.Unlock()
		return
	case s.state == stateClosing:
		// Nothing left before the close: a noop and the close packet.
		s.sendLocked(Packet{Type: PacketNoop})
		s.sendLocked(Packet{Type: PacketClose})
		s.poll = w
		s.flushPollLocked()
		s.mu.Unlock()
		s.closeWith("", false)
		return
	case s.state != stateOpen && s.lingering && !r.Arrived.IsZero() && r.Arrived.Before(s.closedAt):
		// Closed by the client's close packet, not yet moved to the
		// lingering sessions, and this GET reached the server before that
		// close was applied: the noop a held GET gets at a close (as
		// Server.serve answers once the session lingers).
		var buf [8]byte
		s.respondPoll(w, s.appendPollPacket(buf[:0], Packet{Type: PacketNoop}, false))
		s.mu.Unlock()
		return
	case s.state != stateOpen:
		// Closed while this GET was on its way: answer as the reference
		// does once the session is gone.
		s.mu.Unlock()
		s.srv.refuse(r, w, ErrUnknownSID, hdr)
		return
	case s.poll != nil:
		// Two GETs at once: the reference refuses the second, answers the
		// first with a close packet and ends the session.
		s.mu.Unlock()
		w.Respond(&respBadEmpty)
		s.closeWith(ReasonTransportError, false)
		return
	}
	s.poll = w
	if s.srv.hooks.Headers != nil {
		s.pollHdr = s.srv.answerHeaders(r, s.extra, false)
	}
	if s.queued > 0 {
		s.flushPollLocked()
	} else {
		// Held; during an upgrade the 100 ms check releases it (see
		// upgradeCheck), as the reference does.
		w.NotifyAbort((*sessionAborts)(s))
	}
	s.mu.Unlock()
}

// sessionAborts is a Session as the network layer sees it when a pending
// request's connection goes away (PollAbortHandler), kept off the
// Session's exported methods.
type sessionAborts Session

// PollAborted implements PollAbortHandler: the held GET's (or an
// uploading POST's) connection closed.
func (t *sessionAborts) PollAborted(w ResponseWriter) {
	s := (*Session)(t)
	s.mu.Lock()
	if s.pollState == nil {
		s.mu.Unlock()
		return
	}
	if s.upload == w {
		s.upload = nil
		s.mu.Unlock()
		return
	}
	if s.poll != w {
		s.mu.Unlock()
		return
	}
	s.poll = nil
	s.mu.Unlock()
	s.closeWith(ReasonTransportError, false)
}

// postStarted records a POST whose body is still arriving.
func (s *Session) postStarted(w ResponseWriter) {
	s.mu.Lock()
	if s.state != stateOpen || s.websocket {
		s.mu.Unlock()
		return
	}
	if s.upload != nil && s.upload != w {
		s.mu.Unlock()
		w.Respond(&Response{Status: 400, Close: true})
		s.overlap()
		return
	}
	s.upload = w
	w.NotifyAbort((*sessionAborts)(s))
	s.mu.Unlock()
}

// overlap ends the session after two POSTs at once, as the reference does:
// the pending GET gets a close packet, the first POST is dropped unanswered.
func (s *Session) overlap() {
	s.mu.Lock()
	first := s.upload
	s.upload = nil
	s.mu.Unlock()
	if first != nil {
		first.Drop()
	}
	s.closeWith(ReasonTransportError, false)
}

func (s *Session) pollPOST(r *Request, w ResponseWriter) {
	s.mu.Lock()
	if s.upload != nil && s.upload != w {
		s.mu.Unlock()
		w.Respond(&respBadEmpty)
		s.overlap()
		return
	}
	s.upload = nil
	s.mu.Unlock()
	if len(r.Body) > s.srv.opts.MaxPayload {
		w.Respond(&respTooLarge)
		return
	}
	if s.protocol == 4 && bytes.HasPrefix(r.Headers.Header("Content-Type"), []byte("application/octet-stream")) {
		w.Respond(&respBadEmpty)
		s.closeWith(ReasonTransportError, false)
		return
	}
	next := NextPayloadPacket
	if s.protocol == 3 {
		next = NextPayloadPacketV3
	}
	body := r.Body
	var err error
	if len(body) == 0 {
		err = ErrInvalidPayload
	}
	for err == nil && body != nil {
		var p Packet
		p, body, err = next(body)
		if err != nil {
			break
		}
		if p.Type == PacketPing && s.protocol == 4 {
			// v4 clients never ping: the reference ends the session.
			w.Respond(&Response{Status: 200, ContentType: ctHTML, Header: s.srv.answerHeaders(r, s.extra, false), Body: bodyOK})
			s.closeWith(ReasonTransportError, false)
			return
		}
		if p.Type == PacketClose {
			// The client is leaving: its pending GET gets a noop.
			s.mu.Lock()
			if s.poll != nil {
				s.respondPollPacketLocked(PacketNoop)
			} else if s.state == stateOpen {
				s.srv.lingerLocked(s, time.Now())
			}
			s.mu.Unlock()
			s.closeWith(ReasonTransportClose, false)
			break
		}
		s.onPacket(p)
	}
	w.Respond(&Response{Status: 200, ContentType: ctHTML, Header: s.srv.answerHeaders(r, s.extra, false), Body: bodyOK})
	if err != nil {
		s.closeWith(ReasonParseError, false)
	}
}

// wsTransport receives the messages of the session's WebSocket transport.
type wsTransport struct{ s *Session }

func (t wsTransport) OnMessage(c WSConn, binary bool, data []byte) {
	s := t.s
	var p Packet
	var err error
	if s.protocol == 3 {
		p, err = ParsePacketV3(data, binary)
	} else {
		p, err = ParsePacket(data, binary)
	}
	if err != nil {
		s.closeWith(ReasonParseError, false)
		return
	}
	if p.Type == PacketClose {
		// The reference ignores a close packet over WebSocket.
		return
	}
	s.onPacket(p)
}

func (t wsTransport) OnClose(c WSConn, err error) {
	s := t.s
	s.mu.Lock()
	mine := s.ws == c
	s.mu.Unlock()
	if !mine {
		return
	}
	switch {
	case errors.Is(err, ErrSlowConsumer):
		s.closeDescribed(ReasonSlowConsumer, err, false)
	case err != nil:
		s.closeDescribed(ReasonTransportError, err, false)
	default:
		s.closeWith(ReasonTransportClose, false)
	}
}

// startUpgrade handles a WebSocket request on a polling session.
func (s *Session) startUpgrade(r *Request, w ResponseWriter, hdr []HeaderField) {
	s.mu.Lock()
	ok := s.state == stateOpen && !s.websocket && !s.upgrading &&
		!s.srv.opts.DisallowUpgrades && s.srv.opts.allows("websocket")
	if ok {
		s.upgrading = true
	}
	s.mu.Unlock()
	if !ok {
		// The reference accepts the WebSocket and closes it at once.
		acceptAndClose(w, hdr)
		return
	}
	c, err := w.Upgrade(probeTransport{s}, s.srv.answerHeaders(r, hdr, false))
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.state != stateOpen {
		s.upgrading = false
		if err == nil {
			c.Close(0)
		}
		return
	}
	s.probe = c
	s.srv.wheel.Schedule(&s.upgrade, s.srv.opts.UpgradeTimeout)
}

func (s *Session) upgradeTimedOut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || !s.upgrading || s.probe == nil {
		return
	}
	s.probe.Close(0)
	s.abortUpgradeLocked()
}

// probeTransport receives the messages of a WebSocket being upgraded to.
type probeTransport struct{ s *Session }

func (t probeTransport) OnMessage(c WSConn, binary bool, data []byte) {
	s := t.s
	s.mu.Lock()
	if s.probe != c {
		s.mu.Unlock()
		return
	}
	var p Packet
	var err error
	if s.protocol == 3 {
		p, err = ParsePacketV3(data, binary)
	} else {
		p, err = ParsePacket(data, binary)
	}
	switch {
	case err == nil && p.Type == PacketPing && string(p.Data) == "probe":
		c.WriteFrame(ws.OpText, typeDigits[PacketPong], p.Data)
		s.probed = true
		// As the reference: from now on, every 100 ms, a held GET is
		// released with a noop so that the client can pause polling.
		s.srv.wheel.Schedule(&s.check, upgradeCheckEvery)
	case err == nil && p.Type == PacketUpgrade && s.probed:
		s.srv.wheel.Stop(&s.upgrade)
		s.srv.wheel.Stop(&s.check)
		if w := s.poll; w != nil {
			// The client pauses polling before it sends the upgrade
			// packet, so a GET still held here was sent after it, on
			// another connection, and overtook it (another event loop):
			// answer it as the reference answers a GET that follows the
			// upgrade.
			s.poll = nil
			s.srv.refuseLate(w, ErrBadRequest, s.extra)
		}
		s.probe = nil
		s.ws = c
		s.websocket = true
		c.SetHandler(wsTransport{s})
		s.upgrading = false
		// Packets queued for polling now go over WebSocket, in order.
		if s.queued > 0 {
			s.drainQueueToWSLocked()
		}
		s.setWSLocked(c)
		if s.state == stateClosing {
			// The server closed the session during the upgrade: finish
			// the close on the new transport, as the reference does.
			reason := s.closeReason
			s.mu.Unlock()
			s.closeWith(reason, true)
			return
		}
		fn := s.srv.hooks.Upgrade
		uw, _ := s.handler.(UpgradeWatcher)
		if fn != nil || uw != nil {
			s.mu.Unlock()
			if fn != nil {
				fn(s)
			}
			if uw != nil {
				uw.OnUpgrade(s)
			}
			return
		}
	default:
		// Anything else during the probe aborts the upgrade only.
		s.abortUpgradeLocked()
		c.Close(0)
	}
	s.mu.Unlock()
}

func (t probeTransport) OnClose(c WSConn, err error) {
	s := t.s
	s.mu.Lock()
	if s.probe == c {
		s.abortUpgradeLocked()
	}
	s.mu.Unlock()
}

// abortUpgradeLocked forgets an upgrade that did not complete; polling
// goes on.
func (s *Session) abortUpgradeLocked() {
	s.probe = nil
	s.upgrading = false
	s.probed = false
	s.srv.wheel.Stop(&s.upgrade)
	s.srv.wheel.Stop(&s.check)
}

// upgradeCheckEvery is the reference's period for releasing a held GET
// while an upgrade is probed (engine.io socket.ts, setInterval(check, 100)).
const upgradeCheckEvery = 100 * time.Millisecond

// upgradeCheck runs every upgradeCheckEvery once the probe was answered,
// until the upgrade completes or fails: a held GET gets a noop.
func (s *Session) upgradeCheck() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || !s.upgrading || !s.probed {
		return
	}
	if s.poll != nil {
		s.respondPollPacketLocked(PacketNoop)
	}
	s.srv.wheel.Schedule(&s.check, upgradeCheckEvery)
}

// drainQueueToWSLocked re-sends the polling queue over the WebSocket.
func (s *Session) drainQueueToWSLocked() {
	next := NextPayloadPacket
	if s.protocol == 3 {
		next = NextPayloadPacketV3
	}
	b := s.queue.B
	for len(b) > 0 {
		p, rest, err := next(b)
		if err != nil {
			break
		}
		writeWSPacket(s.ws, p, s.protocol)
		b = rest
	}
	s.queue.Reset()
	s.queued = 0
}

// acceptAndClose answers an upgrade request with 101, then a close frame
// without status code, as the reference does for upgrades it cannot use.
func acceptAndClose(w ResponseWriter, hdr []HeaderField) {
	if c, err := w.Upgrade(closedProbe{}, hdr); err == nil {
		c.Close(0)
	}
}

// closedProbe swallows a WebSocket that is closed at once.
type closedProbe struct{}

func (closedProbe) OnMessage(WSConn, bool, []byte) {}
func (closedProbe) OnClose(WSConn, error)          {}

// overtook reports whether r, a GET for this lingering session, reached
// the server before the close was applied.
func (s *Session) overtook(r *Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lingering && !r.Arrived.IsZero() && r.Arrived.Before(s.closedAt)
}
