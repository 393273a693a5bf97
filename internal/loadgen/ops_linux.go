//go:build linux

package loadgen

import "github.com/HdrHistogram/hdrhistogram-go"

// sendOp sends an op from template t intended at time at; ack adds an ack
// id. It returns false when the op could not be queued.
func (l *loop) sendOp(s *session, t *tmpl, at int64, ack bool) bool {
	if !s.pq.push(at) {
		if l.inWin(at) {
			l.st.backlog++
		}
		return false
	}
	l.outstand++
	if l.inWin(at) {
		l.st.sent++
	}
	if ack {
		id := ackBase + int64(s.ackSeq)
		s.ackSeq = (s.ackSeq + 1) % ackSpan
		s.send(l, t, id)
	} else if len(t.slots) > 0 {
		s.send(l, t, stampBase+at)
	} else {
		s.send(l, t)
	}
	return true
}

// complete ends s's oldest op (a reply in order), recording its latency in
// h (if not nil). It returns false for a reply nothing waited for.
func (l *loop) complete(s *session, h *hdrhistogram.Histogram) bool {
	if s.late > 0 {
		s.late--
		l.st.late++
		return false
	}
	if s.pq.n == 0 {
		l.errorf("op: unexpected reply")
		return false
	}
	t := s.pq.pop() & timeMask
	l.outstand--
	bump(&l.st.sOps, l.bucket, 1) // the series shows warmup and drain too
	l.st.allDone++
	if l.inWin(t) {
		l.st.done++
		l.st.lastDone = l.now
		if h != nil {
			record(h, l.now-t)
		}
	}
	return true
}

// completeAck ends the op acknowledged with id.
func (l *loop) completeAck(s *session, id int64, h *hdrhistogram.Histogram) bool {
	if s.pq.n == 0 {
		if s.late > 0 {
			s.late--
			l.st.late++
		} else {
			l.errorf("ack: unknown id")
		}
		return false
	}
	head := ackBase + int64((s.ackSeq+ackSpan-s.pq.n)%ackSpan)
	d := id - head
	switch {
	case d == 0:
		return l.complete(s, h)
	case d < 0 && d >= -int64(s.late):
		s.late--
		l.st.late++
		return false
	case d > 0 && d < int64(s.pq.n):
		for range d {
			l.errorf("ack: skipped")
			t := s.pq.pop() & timeMask
			l.outstand--
			if l.inWin(t) {
				l.st.timeouts++
			}
		}
		return l.complete(s, h)
	}
	l.errorf("ack: unknown id")
	return false
}

// deliver counts one broadcast or room message copy sent at t.
func (l *loop) deliver(t int64) {
	bump(&l.st.sDeliv, l.bucket, 1)
	l.st.allDeliv++
	if !l.inWin(t) {
		return
	}
	l.st.deliveries++
	record(l.st.delivery, l.now-t)
	l.pub.lastDeliv.Store(l.now)
}

// sweep times out handshakes and ops, and redials churned sessions.
func (l *loop) sweep() {
	r := l.r
	opTimeout := int64(r.cfg.OpTimeout)
	ping := false
	if r.cfg.EIO == 3 && l.pingGap > 0 && l.now >= l.nextPing {
		// Engine.IO 3: the client pings (every connection at once, at the
		// server's interval: one joining since the last round waits at
		// most an interval, within the server's interval + timeout)
		ping = l.nextPing > 0
		l.nextPing = l.now + l.pingGap
	}
	for _, s := range l.sess {
		switch s.state {
		case ssClosed:
		case ssIdle:
			if s.retryAt != 0 && s.retryAt <= l.now && l.sending {
				s.retryAt = 0
				s.ai = -1
				l.dialQ = append(l.dialQ, s)
			}
		case ssReady:
			if ping {
				s.sendRaw(l, r.tPing)
			}
			for s.pq.n > 0 && l.now-s.pq.head()&timeMask > opTimeout {
				t := s.pq.pop() & timeMask
				l.outstand--
				s.late++
				if l.inWin(t) {
					l.st.timeouts++
				}
				l.errorf("op: timeout (no reply within " + r.cfg.OpTimeout.String() + ")")
				r.wl.timeout(l, s)
			}
			if s.x != nil {
				r.wl.(*customWL).sweepReplies(l, s, opTimeout)
			}
			if l.silent > 0 && l.now-s.lastRecv > l.silent {
				l.fail(s, "conn: server silent (no ping within pingInterval+pingTimeout)")
			}
		default:
			if l.now > s.deadline {
				kind := handshakeTimeoutKind(s)
				if s.state == ssConnect && r.msgpack {
					kind += " (does the server use the msgpack parser?)"
				}
				l.fail(s, kind)
			}
		}
	}
}

func handshakeTimeoutKind(s *session) string {
	switch s.state {
	case ssDialing:
		return "connect: timeout"
	case ssHandshake:
		if s.ws.state == sockHTTP || (s.poll != nil && s.poll.get.state == sockHTTP) {
			return "handshake: timeout (no HTTP response)"
		}
		return "handshake: timeout (no open packet)"
	case ssConnect:
		return "namespace: timeout (no CONNECT reply)"
	case ssJoining:
		return "join: timeout (no ack)"
	}
	return "handshake: timeout"
}
