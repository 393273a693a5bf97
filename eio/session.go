package eio

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"

	"github.com/sioloop/sioloop/internal/timer"
)

// Close reasons, as the Node.js reference reports them.
const (
	ReasonTransportClose = "transport close"
	ReasonTransportError = "transport error"
	ReasonPingTimeout    = "ping timeout"
	ReasonParseError     = "parse error"
	ReasonForcedClose    = "forced close"
	ReasonServerShutdown = "server shutting down"
	// ReasonSlowConsumer: more output waited for the session than
	// Options.MaxBufferedBytes (the reference has no such bound).
	ReasonSlowConsumer = "slow consumer"
)

// SessionHandler receives a session's messages and its end. The upper layer
// (Socket.IO) implements it; set it with Session.SetHandler in the
// Server's connection callback.
type SessionHandler interface {
	// OnMessage gets one message packet's payload, in order. data is valid
	// until it returns. It runs on the event loop that read the packet.
	OnMessage(s *Session, data []byte, binary bool)
	// OnClose is called once, when the session ends.
	OnClose(s *Session, reason string)
}

// CloseDescriber is a SessionHandler that wants a close's description
// (Node's second argument of the "close" event): the error behind a
// transport error (a WebSocket protocol violation, a slow consumer, a
// read error), nil otherwise. It is called instead of OnClose.
type CloseDescriber interface {
	OnCloseDescribed(s *Session, reason string, description error)
}

// UpgradeWatcher is a SessionHandler that wants to know when its session
// moved from polling to WebSocket (Session.Transport then says
// "websocket"). OnUpgrade runs on the event loop of the new WebSocket,
// with no lock held, after Hooks.Upgrade.
type UpgradeWatcher interface {
	OnUpgrade(s *Session)
}

type sessionState uint8

const (
	stateOpen sessionState = iota
	stateClosing
	stateClosed
)

type hbPhase uint8

const (
	hbInterval hbPhase = iota // waiting to send the next ping
	hbPong                    // ping sent, waiting for a pong
)

// Session is one Engine.IO session (the reference calls it a socket). Its
// state is guarded by mu: requests of one session may arrive on different
// connections and event loops (polling GET and POST, an upgrade), and the
// lock makes that safe. Handlers are called without the lock held.
type Session struct {
	srv     *Server
	id      string
	handler SessionHandler
	// direct is set while the session is open on a WebSocket with the
	// Engine.IO 4 framing; ws is then fixed, and Direct reads it without
	// the lock. Both share the first cache line with the fields above.
	direct atomic.Bool
	queued int32  // packets in queue (under mu; here to fill the line)
	ws     WSConn // current WebSocket transport

	handshake *Handshake
	mu        sync.Mutex
	state     sessionState
	protocol  uint8 // 3 or 4
	websocket bool  // current transport is WebSocket
	pushed    bool  // the pong deadline was pushed since the last ping
	phase     hbPhase
	hb        timer.Node
	// The polling and upgrade state, made only for a session opened with
	// polling: one opened on WebSocket never needs it (nil), and stays
	// small. Touch its fields only where !websocket, or after a nil check.
	*pollState
}

// pollState is the part of a Session that only polling sessions use.
type pollState struct {
	pollEnc   encoding // compression the held GET accepts
	upgrading bool
	probed    bool           // 3probe sent
	probe     WSConn         // WebSocket being upgraded to
	poll      ResponseWriter // held polling GET
	upload    ResponseWriter // POST whose body is arriving
	queue     *bytebufferpool.ByteBuffer
	extra     []HeaderField // cache-control and CORS headers of polling answers
	pollHdr   []HeaderField // the held GET's, when the Headers hook adds some
	// closeReason is kept while a polling session waits for a GET to
	// carry its close packet.
	closeReason string
	upgrade     timer.Node // upgrade timeout
	check       timer.Node // the 100 ms release of a held GET during an upgrade
	// lingering: closed by the client's close packet and kept, for
	// lingerFor, to answer a GET that overtook that close (see lingerLocked).
	lingering bool
	closedAt  time.Time
	overflow  bool // the queue passed MaxBufferedBytes: close (unlockCheckOverflow)
	// due is when the heartbeat's next step is due (Unix ns; protocol 4):
	// the ping, or the end of the wait for the pong. The ping timeout is
	// counted from when the ping was due, not from when its timer fired,
	// and a request that arrives past it finds the session closed even if
	// the timer has not fired yet (expiredAt): a polling client sees the
	// deadline to the millisecond, as the public test suite checks.
	due int64
}

// ID is the session id (sid). Any goroutine.
func (s *Session) ID() string { return s.id }

// Protocol is the Engine.IO protocol revision (3 or 4).
func (s *Session) Protocol() int { return int(s.protocol) }

// Handshake describes the request that opened the session.
func (s *Session) Handshake() *Handshake { return s.handshake }

// Transport is "polling" or "websocket". Any goroutine.
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.websocket {
		return "websocket"
	}
	return "polling"
}

// SetHandler installs h. Call it from the Server's connection callback,
// before any message can arrive.
func (s *Session) SetHandler(h SessionHandler) { s.handler = h }

// Handshake is what the opening request carried, copied.
type Handshake struct {
	Path       string // the request target's path
	RawQuery   string
	RawHeaders string
	RemoteAddr net.Addr
	Time       time.Time
	Secure     bool
}

// ErrSessionClosed is returned by writes on a closed session.
var ErrSessionClosed = errors.New("eio: session closed")

// Send queues one message packet. binary selects a binary message. data
// is copied before Send returns. Any goroutine.
func (s *Session) Send(data []byte, binary bool) error {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	s.sendLocked(Packet{Type: PacketMessage, Binary: binary, Data: data})
	return s.unlockCheckOverflow()
}

// ErrSlowConsumer is returned by a write that found the session's output
// over Options.MaxBufferedBytes: the session is closed.
var ErrSlowConsumer = errors.New("eio: slow consumer: output over MaxBufferedBytes, session closed")

// unlockCheckOverflow releases s.mu and closes the session if a write
// under it overflowed (see sendLocked).
func (s *Session) unlockCheckOverflow() error {
	over := s.pollState != nil && s.overflow
	s.mu.Unlock()
	if over {
		s.closeDescribed(ReasonSlowConsumer, ErrSlowConsumer, false)
		return ErrSlowConsumer
	}
	return nil
}

// SendPacket queues one text message followed by binary messages (a
// Socket.IO packet and its attachments), with nothing interleaved. All
// slices are copied before it returns. Any goroutine.
func (s *Session) SendPacket(text []byte, binary [][]byte) error {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	// Polling: queue everything before answering a held GET, so that one
	// payload carries the packet and its attachments, as with the
	// reference. (A WebSocket session has no polling state.)
	var held ResponseWriter
	if !s.websocket {
		held, s.poll = s.poll, nil
	}
	s.sendLocked(Packet{Type: PacketMessage, Data: text})
	for _, b := range binary {
		s.sendLocked(Packet{Type: PacketMessage, Binary: true, Data: b})
	}
	if held != nil {
		s.poll = held
		s.flushPollLocked()
	}
	return s.unlockCheckOverflow()
}

// Buffered is how many bytes of output wait for this session on the
// server: packets queued for a polling session's next GET, or bytes the
// WebSocket connection has not yet handed to the kernel. Past
// Options.MaxBufferedBytes the session is a slow consumer. Any goroutine.
func (s *Session) Buffered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.state != stateOpen:
		return 0
	case s.websocket:
		return s.ws.Buffered()
	case s.queue != nil:
		return len(s.queue.B)
	}
	return 0
}

// ErrBufferFull is returned by TrySendPacket when the packet would take
// the session's output past Options.MaxBufferedBytes: nothing was sent
// and the session stays open.
var ErrBufferFull = errors.New("eio: output buffer full (MaxBufferedBytes)")

// TrySendPacket is SendPacket that refuses, with ErrBufferFull, a packet
// that would take the session's buffered output past MaxBufferedBytes,
// instead of queuing it (and closing the session as a slow consumer).
// Any goroutine.
func (s *Session) TrySendPacket(text []byte, binary [][]byte) error {
	n := len(text) + 8
	for _, b := range binary {
		n += len(b) + 8
	}
	if s.Buffered()+n > s.srv.opts.MaxBufferedBytes {
		return ErrBufferFull
	}
	return s.SendPacket(text, binary)
}

// Writable reports whether a packet sent now would leave at once: a
// WebSocket with no output backlog, or a polling session with a GET
// waiting. Volatile packets are dropped when it is false. Any goroutine.
func (s *Session) Writable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return false
	}
	if s.websocket {
		return s.ws.Writable()
	}
	return s.poll != nil
}

// Direct returns the session's WebSocket connection while the session is
// open on WebSocket with Engine.IO 4 framing, else nil (polling, an
// upgrade in progress, v3, closing): pre-encoded frames written to it
// directly keep their order with the session's other packets. It takes no
// lock. Any goroutine.
func (s *Session) Direct() WSConn {
	if s.direct.Load() {
		return s.ws
	}
	return nil
}

// setWSLocked makes c the session's transport.
func (s *Session) setWSLocked(c WSConn) {
	s.ws = c
	s.websocket = true
	if s.protocol == 4 && s.state == stateOpen {
		s.direct.Store(true)
	}
}

var (
	typeDigits     = [...][]byte{{'0'}, {'1'}, {'2'}, {'3'}, {'4'}, {'5'}, {'6'}}
	v3BinaryPrefix = []byte{4} // v3 binary WebSocket messages start with the type byte
)

func (s *Session) sendLocked(p Packet) {
	if s.srv.trace {
		s.srv.tracePacket("sent", s, p)
	}
	if s.websocket {
		writeWSPacket(s.ws, p, s.protocol)
		return
	}
	if s.queue == nil {
		s.queue = bytebufferpool.Get()
	}
	if s.overflow || len(s.queue.B)+len(p.Data)+8 > s.srv.opts.MaxBufferedBytes {
		// A slow consumer: drop everything; the caller closes the session
		// once it releases the lock (unlockCheckOverflow).
		s.overflow = true
		s.queue.B = s.queue.B[:0]
		s.queued = 0
		return
	}
	if s.protocol == 3 {
		s.queue.B = AppendPayloadPacketV3(s.queue.B, p)
	} else {
		s.queue.B = AppendPayloadPacket(s.queue.B, p, s.queued > 0)
	}
	s.queued++
	if s.poll != nil {
		s.flushPollLocked()
	}
}

func writeWSPacket(c WSConn, p Packet, protocol uint8) {
	if p.Binary {
		if protocol == 3 {
			c.WriteFrame(ws.OpBinary, v3BinaryPrefix, p.Data)
			return
		}
		c.WriteFrame(ws.OpBinary, nil, p.Data)
		return
	}
	c.WriteFrame(ws.OpText, typeDigits[p.Type], p.Data)
}

// flushPollLocked answers the held GET with the queued packets.
func (s *Session) flushPollLocked() {
	w := s.poll
	s.poll = nil
	var body []byte
	if s.queue != nil {
		body = s.queue.B
	}
	s.respondPoll(w, body)
	if s.queue != nil {
		s.queue.Reset()
	}
	s.queued = 0
}

// closePollLocked answers the held GET with what is queued and a close
// packet: "…\x1e1", or just "1".
func (s *Session) closePollLocked() {
	s.sendLocked(Packet{Type: PacketClose}) // flushes: a GET is held
}

func (s *Session) appendPollPacket(dst []byte, p Packet, sep bool) []byte {
	if s.protocol == 3 {
		return AppendPayloadPacketV3(dst, p)
	}
	return AppendPayloadPacket(dst, p, sep)
}

// respondPollPacketLocked answers the held GET with one control packet,
// leaving the data queue alone.
func (s *Session) respondPollPacketLocked(t PacketType) {
	if s.poll == nil {
		return
	}
	w := s.poll
	s.poll = nil
	var buf [8]byte
	s.respondPoll(w, s.appendPollPacket(buf[:0], Packet{Type: t}, false))
}

// Close ends the session from the server side (reason "forced close").
// Queued packets are delivered first where the transport allows. Any
// goroutine.
func (s *Session) Close() { s.closeWith(ReasonForcedClose, true) }

// closeWith ends the session. graceful: tell the client (close frame, or a
// close packet for polling).
func (s *Session) closeWith(reason string, graceful bool) {
	s.closeDescribed(reason, nil, graceful)
}

// closeDescribed is closeWith with the error behind the close (see
// CloseDescriber).
func (s *Session) closeDescribed(reason string, desc error, graceful bool) {
	s.mu.Lock()
	switch {
	case s.state == stateClosed:
		s.mu.Unlock()
		return
	case s.state == stateOpen && graceful && !s.websocket && s.poll == nil:
		// Polling with no GET to answer: the next GET carries the close
		// packet; give up on it after pingTimeout.
		s.state = stateClosing
		s.direct.Store(false)
		s.closeReason = reason
		s.srv.wheel.Schedule(&s.hb, s.srv.opts.PingTimeout)
		s.mu.Unlock()
		return
	case s.state == stateClosing:
		reason = s.closeReason
	}
	s.finishLocked(graceful)
	linger := s.pollState != nil && s.lingering
	s.mu.Unlock()
	s.srv.remove(s, linger)
	if s.srv.trace || reason == ReasonSlowConsumer {
		s.srv.logClosed(s, reason)
	}
	if fn := s.srv.hooks.Close; fn != nil {
		fn(s, reason)
	}
	if h := s.handler; h != nil {
		if d, ok := h.(CloseDescriber); ok {
			d.OnCloseDescribed(s, reason, desc)
			return
		}
		h.OnClose(s, reason)
	}
}

// finishLocked releases the transports; the caller then removes the session
// and tells the handler.
func (s *Session) finishLocked(graceful bool) {
	s.state = stateClosed
	s.direct.Store(false)
	s.srv.wheel.Stop(&s.hb)
	switch {
	case s.websocket:
		s.ws.Close(0)
	case s.poll != nil:
		s.closePollLocked()
	}
	if p := s.pollState; p != nil {
		s.srv.wheel.Stop(&p.upgrade)
		s.srv.wheel.Stop(&p.check)
		if p.probe != nil {
			p.probe.Close(0)
			p.probe = nil
		}
		if p.queue != nil {
			bytebufferpool.Put(p.queue)
			p.queue = nil
		}
	}
}

// sessionTimers is a Session seen by its timers: OnTimer stays off the
// Session's exported methods.
type sessionTimers Session

// OnTimer implements timer.Handler for the heartbeat and upgrade timers.
func (t *sessionTimers) OnTimer(n *timer.Node) {
	s := (*Session)(t)
	if p := s.pollState; p != nil {
		switch n {
		case &p.upgrade:
			s.upgradeTimedOut()
			return
		case &p.check:
			s.upgradeCheck()
			return
		}
	}
	s.mu.Lock()
	if s.state == stateClosed && s.pollState != nil && s.lingering {
		s.lingering = false
		s.mu.Unlock()
		s.srv.forget(s)
		return
	}
	if s.state == stateClosing {
		s.mu.Unlock()
		s.closeWith("", false)
		return
	}
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	if s.phase == hbInterval {
		s.phase = hbPong
		s.pushed = false
		if s.protocol == 4 {
			s.sendLocked(Packet{Type: PacketPing})
		}
		wait := s.srv.opts.PingTimeout
		if p := s.pollState; p != nil && s.protocol == 4 && p.due != 0 {
			p.due += int64(wait) // from when the ping was due
			wait = max(time.Duration(p.due-time.Now().UnixNano()), 0)
		}
		s.srv.wheel.Schedule(&s.hb, wait)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.closeWith(ReasonPingTimeout, false)
}

// onPacket handles one decoded packet from the client, lock not held.
func (s *Session) onPacket(p Packet) {
	if s.srv.trace {
		s.srv.tracePacket("received", s, p)
	}
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	switch p.Type {
	case PacketPong:
		if s.protocol == 4 {
			s.phase = hbInterval
			s.srv.wheel.Schedule(&s.hb, s.srv.opts.PingInterval)
			s.setDueLocked(s.srv.opts.PingInterval)
		} else {
			s.pushDeadlineLocked()
		}
		s.mu.Unlock()
		return
	case PacketPing:
		if s.protocol == 3 {
			// v3: the client pings, the server answers.
			s.sendLocked(Packet{Type: PacketPong, Data: p.Data})
			s.pushDeadlineLocked()
		}
		s.mu.Unlock()
		return
	case PacketClose:
		s.mu.Unlock()
		s.closeWith(ReasonTransportClose, false)
		return
	case PacketMessage:
		s.pushDeadlineLocked()
		s.mu.Unlock()
		if h := s.handler; h != nil {
			h.OnMessage(s, p.Data, p.Binary)
		}
		return
	}
	s.mu.Unlock()
}

// pushDeadlineLocked: the first packet from the client while a pong is
// awaited moves the deadline to pingTimeout from now, once per ping (the
// reference does the same).
func (s *Session) pushDeadlineLocked() {
	if s.protocol == 3 {
		s.srv.wheel.Schedule(&s.hb, s.srv.opts.PingInterval+s.srv.opts.PingTimeout)
		return
	}
	if s.phase == hbPong && !s.pushed {
		s.pushed = true
		s.srv.wheel.Schedule(&s.hb, s.srv.opts.PingTimeout)
		s.setDueLocked(s.srv.opts.PingTimeout)
	}
}

// setDueLocked records that the heartbeat's next step is d from now
// (polling sessions; see pollState.due).
func (s *Session) setDueLocked(d time.Duration) {
	if p := s.pollState; p != nil {
		p.due = time.Now().UnixNano() + int64(d)
	}
}

// expiredAt reports whether the session's pong was due before at (a
// request's arrival, Unix ns) and, if so, closes it with "ping timeout":
// the request then finds no session, as it would have had the timer fired
// to the nanosecond.
func (s *Session) expiredAt(at int64) bool {
	s.mu.Lock()
	p := s.pollState
	expired := p != nil && s.state == stateOpen && s.protocol == 4 && s.phase == hbPong && p.due != 0 && at >= p.due
	s.mu.Unlock()
	if expired {
		s.closeWith(ReasonPingTimeout, false)
	}
	return expired
}

func (s *Session) startHeartbeat() {
	s.hb.Init((*sessionTimers)(s))
	if s.pollState != nil {
		s.upgrade.Init((*sessionTimers)(s))
		s.check.Init((*sessionTimers)(s))
	}
	if s.protocol == 3 {
		s.phase = hbPong
		s.srv.wheel.Schedule(&s.hb, s.srv.opts.PingInterval+s.srv.opts.PingTimeout)
		return
	}
	s.srv.wheel.Schedule(&s.hb, s.srv.opts.PingInterval)
	s.setDueLocked(s.srv.opts.PingInterval)
}
