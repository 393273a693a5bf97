//go:build linux

package loadgen

import (
	"net"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sioloop/sioloop/wsframe"
)

// sock states.
const (
	sockClosed     uint8 = iota // no descriptor (the zero value)
	sockConnecting              // TCP connect in progress
	sockIdle                    // connected, no request in flight (HTTP keep-alive)
	sockHTTP                    // request sent, awaiting the response
	sockWS                      // WebSocket frames
)

// sock roles.
const (
	roleWS      uint8 = iota // the session's WebSocket
	roleGet                  // polling: the GET connection
	rolePost                 // polling: the POST connection
	roleUpgrade              // polling+upgrade: the WebSocket being probed
)

// sock is one TCP connection. Loop goroutine only.
type sock struct {
	fd     int32
	role   uint8
	state  uint8
	queued bool
	s      *session
	in     []byte // bytes of an incomplete frame or response (nil when none)
	out    []byte // bytes waiting to be written (nil when none)
}

// session states.
const (
	ssIdle      uint8 = iota // waiting to dial
	ssDialing                // TCP connect in progress
	ssHandshake              // HTTP request sent, awaiting the open packet
	ssConnect                // Socket.IO CONNECT sent
	ssJoining                // rooms: join sent
	ssReady                  // in the namespace: traffic flows
	ssClosed                 // failed or done; not redialled
)

// session is one Socket.IO client connection. Loop goroutine only.
// Keep it small: an idle connection costs this struct and its decoder.
type session struct {
	ws       sock // WebSocket (also the upgrade probe, for polling+upgrade)
	dec      wsframe.Decoder
	poll     *pollState // polling transports only
	idx      int32      // global connection index
	state    uint8
	skip     uint8 // binary attachments to skip
	ai       int32 // index in loop.active, -1 when not there
	t0       int64 // intended dial time
	deadline int64 // handshake deadline
	lastRecv int64
	retryAt  int64 // churn: redial after a failure

	pq     ring // outstanding ops: intended send times, oldest first
	x      *customState
	ackSeq uint32 // next ack id - ackBase
	late   uint32 // timed-out ops whose replies may still come
	nops   uint32 // churn: ops done in this life
}

// ---- connection setup ----

// dial starts connecting s (intended at t).
func (l *loop) dial(s *session, t int64) {
	r := l.r
	s.t0 = t
	s.deadline = l.now + int64(r.cfg.HandshakeTimeout)
	s.state = ssDialing
	s.lastRecv = l.now
	l.dialing++
	if l.st.firstDial < 0 {
		l.st.firstDial = t
	}
	k := &s.ws
	k.s, k.role = s, roleWS
	if r.cfg.Transport != TransportWebSocket {
		s.poll = &pollState{}
		k = &s.poll.get
		k.s, k.role = s, roleGet
	}
	l.dialSock(k)
}

// dialSock opens k's TCP connection.
func (l *loop) dialSock(k *sock) {
	k.fd = -1
	var src net.IP
	if n := len(l.r.src); n > 0 {
		src = l.r.src[int(k.s.idx)%n]
	}
	tgt := l.r.nodeOf(k.s).tgt
	if tgt.tls {
		l.dialTLS(k, tgt, src)
		return
	}
	fd, err := dialSock(tgt.addr, src)
	if err == nil {
		if err = l.register(k, fd); err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		k.state = sockClosed
		k.s.sockDown(l, k, errnoKind("connect", err))
	}
}

// dialMore starts queued dials within the concurrency bound (and, for a
// ramp, the schedule).
func (l *loop) dialMore() {
	for len(l.dialQ) > 0 && l.dialing < l.dialCap {
		t := l.now
		if l.dialGap > 0 {
			if int64(l.nextDial) > l.now {
				return
			}
			t = int64(l.nextDial)
			l.nextDial += l.dialGap
		}
		s := l.dialQ[0]
		l.dialQ[0] = nil
		l.dialQ = l.dialQ[1:]
		l.dial(s, t)
	}
}

// sockUp runs when k's TCP connection is established.
func (s *session) sockUp(l *loop, k *sock) {
	r := l.r
	switch k.role {
	case roleWS:
		k.out = append(l.out(k), r.nodeOf(s).wsReq...)
		k.state = sockHTTP
		s.state = ssHandshake
	case roleUpgrade:
		k.out = r.appendWSReq(l.out(k), r.nodeOf(s), s.poll.sid)
		k.state = sockHTTP
	case roleGet:
		if s.state == ssDialing {
			k.out = append(l.out(k), r.nodeOf(s).pollOpenReq...)
			k.state = sockHTTP
			s.state = ssHandshake
		} else {
			s.poll.getNext(l, s)
		}
	case rolePost:
		s.poll.postNext(l, s)
	}
}

// sockDown runs when one of s's connections failed or was closed by the
// server; kind names why.
func (s *session) sockDown(l *loop, k *sock, kind string) {
	if s.state == ssClosed || s.state == ssIdle {
		return
	}
	if k.role == roleUpgrade && s.poll != nil && !s.poll.upgraded {
		// a failed probe leaves the session on polling
		l.errorf("upgrade: " + kind)
		return
	}
	l.fail(s, kind)
}

// fail ends s: counts the error, closes its connections, accounts for its
// outstanding ops; churn redials it later.
func (l *loop) fail(s *session, kind string) {
	if s.state == ssConnect && strings.HasPrefix(kind, "conn: closed by server") {
		// What a server does with a CONNECT in the other parser's format.
		if l.r.msgpack {
			kind = "namespace: the server closed the connection on the msgpack CONNECT: it does not use the msgpack parser (drop --parser msgpack)"
		} else {
			kind = "namespace: the server closed the connection on the CONNECT (a server with the msgpack parser? try --parser msgpack)"
		}
	}
	l.errorf(kind)
	if s.state == ssReady {
		l.st.drops++
		l.up--
	} else if s.state != ssIdle && s.state != ssClosed {
		l.st.connFails++
		l.dialing--
		l.settled++
	}
	l.lose(s)
	l.reset(s)
	if l.r.cfg.Scenario == ScenarioChurn && l.sending {
		s.state = ssIdle
		s.retryAt = l.now + 100e6
		return
	}
	s.state = ssClosed
}

// lose drops s's outstanding ops: each in-window one is a timeout.
func (l *loop) lose(s *session) {
	if s.x != nil {
		for s.x.replies.n > 0 {
			t := s.x.replies.pop() & timeMask
			l.outstand--
			if l.inWin(t) {
				l.st.timeouts++
			}
		}
	}
	for s.pq.n > 0 {
		t := s.pq.pop() & timeMask
		l.outstand--
		if l.inWin(t) {
			l.st.timeouts++
		}
	}
}

// reset closes s's connections and clears its per-connection state so that
// it can be dialled again.
func (l *loop) reset(s *session) {
	l.deactivate(s)
	l.closeSock(&s.ws)
	if p := s.poll; p != nil {
		l.closeSock(&p.get)
		l.closeSock(&p.post)
		s.poll = nil
	}
	s.dec.Reset()
	s.dec.Client = true
	s.pq.h, s.pq.n, s.late, s.nops, s.ackSeq, s.skip = 0, 0, 0, 0, 0, 0
	s.x = nil
}

// joinedNamespace runs when the server accepted the Socket.IO CONNECT.
func (l *loop) joinedNamespace(s *session) {
	l.st.connects++
	if l.inWin(l.now) {
		l.st.connectsInWin++
	}
	record(l.st.connect, l.now-s.t0)
	l.r.wl.ready(l, s)
}

// markReady makes s ready for traffic: the end of its setup.
func (l *loop) markReady(s *session) {
	if s.state == ssReady {
		return
	}
	s.state = ssReady
	l.dialing--
	l.settled++
	l.up++
	if l.phase == phConnect {
		l.st.lastReady = l.now
	}
}

// activate adds s to the sessions paced sends go to.
func (l *loop) activate(s *session) {
	if s.ai >= 0 {
		return
	}
	s.ai = int32(len(l.active))
	l.active = append(l.active, s)
}

func (l *loop) deactivate(s *session) {
	i := s.ai
	if i < 0 {
		return
	}
	last := len(l.active) - 1
	l.active[i] = l.active[last]
	l.active[i].ai = i
	l.active[last] = nil
	l.active = l.active[:last]
	s.ai = -1
}

// nextActive returns the next session in round robin, or nil.
func (l *loop) nextActive() *session {
	if len(l.active) == 0 {
		return nil
	}
	l.rr++
	if l.rr >= len(l.active) {
		l.rr = 0
	}
	return l.active[l.rr]
}

// send sends one message from template t with vals in its slots.
func (s *session) send(l *loop, t *tmpl, vals ...int64) {
	if p := s.poll; p != nil && !p.upgraded {
		if l.r.cfg.EIO == 3 {
			l.v3buf = t.appendPkt(l.v3buf[:0], vals...)
			p.appendV3(l, l.v3buf)
		} else {
			p.batch = t.appendPkt(p.sepBatch(), vals...)
		}
		p.postNext(l, s)
		return
	}
	k := &s.ws
	k.out = t.appendWS(l.out(k), vals...)
	l.queue(k)
}

// sendRaw sends a template without slots.
func (s *session) sendRaw(l *loop, t *tmpl) { s.send(l, t) }
