//go:build linux

package loadgen

import (
	"bytes"
	"strings"

	"github.com/sioloop/sioloop/sio/parser"
)

// workload is a scenario's behaviour on a loop. Every method runs on the
// loop's goroutine; a workload keeps per-run immutable data (templates) and
// leaves mutable state to sessions and loops.
type workload interface {
	// ready runs when s's CONNECT was accepted; the workload marks it ready
	// (loop.markReady) now or after more setup (a room join).
	ready(l *loop, s *session)
	// start runs when the loop starts sending: a closed loop sends its first
	// ops here.
	start(l *loop)
	// paced sends one op intended at t; false when there was no connection
	// to send it on (or its backlog was full).
	paced(l *loop, t int64) bool
	event(l *loop, s *session, name, data []byte)
	ack(l *loop, s *session, id int64, data []byte)
	// timeout runs after one of s's ops timed out.
	timeout(l *loop, s *session)
	// rateShare is the loop's share of the run's global Rate.
	rateShare(l *loop) float64
	// countShare is this process's share of the run's global Count.
	countShare(c *Config) int64
}

// ---- echo, ack, churn ----

// reqWL: every connection sends a request and awaits its reply: the echoed
// event (echo, churn) or the acknowledgement (ack).
type reqWL struct {
	t        *tmpl
	byAck    bool
	reply    string
	replyLen int    // expected length of the echoed event's JSON
	churn    uint32 // ops per connection life; 0 = forever
	inflight uint32
}

func (w *reqWL) ready(l *loop, s *session) {
	l.markReady(s)
	l.activate(s)
	if l.sending && !l.paced {
		w.fill(l, s)
	}
}

func (w *reqWL) fill(l *loop, s *session) {
	for s.pq.n < w.inflight && s.state == ssReady {
		if !l.take(l.now) || !l.sendOp(s, w.t, l.now, w.byAck) {
			return
		}
	}
}

func (w *reqWL) start(l *loop) {
	if !l.paced {
		for _, s := range l.active {
			w.fill(l, s)
		}
	}
}

func (w *reqWL) paced(l *loop, t int64) bool {
	s := l.nextActive()
	return s != nil && l.sendOp(s, w.t, t, w.byAck)
}

func (w *reqWL) event(l *loop, s *session, name, data []byte) {
	if w.byAck || string(name) != w.reply {
		return
	}
	if len(data) != w.replyLen {
		l.errorf("op: reply differs from the request")
	}
	if l.complete(s, l.st.rtt) {
		w.next(l, s)
	}
}

func (w *reqWL) ack(l *loop, s *session, id int64, _ []byte) {
	if !w.byAck {
		return
	}
	if l.completeAck(s, id, l.st.ack) {
		w.next(l, s)
	}
}

func (w *reqWL) next(l *loop, s *session) {
	if w.churn > 0 {
		s.nops++
		if s.nops >= w.churn && s.pq.n == 0 && l.sending {
			l.recycle(s)
			return
		}
	}
	if l.sending && !l.paced {
		w.fill(l, s)
	}
}

func (w *reqWL) timeout(l *loop, s *session) { w.next(l, s) }

func (w *reqWL) rateShare(l *loop) float64 {
	return float64(len(l.sess)) / float64(l.r.cfg.TotalConns)
}

func (w *reqWL) countShare(c *Config) int64 { return evenShare(c, c.Count) }

// recycle disconnects s cleanly (Socket.IO DISCONNECT, then close) and
// queues it to dial again: one churn cycle.
func (l *loop) recycle(s *session) {
	s.sendRaw(l, l.r.tDisconnect)
	if s.poll == nil || s.poll.upgraded {
		l.writeNow(&s.ws)
	}
	l.up--
	l.lose(s)
	l.reset(s)
	s.state = ssIdle
	l.dialQ = append(l.dialQ, s)
}

// writeNow writes k's pending output at once (before a close).
func (l *loop) writeNow(k *sock) {
	if k.state != sockWS {
		return
	}
	if l.tls != nil {
		if t := l.tlsOf(k); t != nil {
			l.flushTLS(k, t)
			return
		}
	}
	if len(k.out) == 0 {
		return
	}
	if n, err := writeFD(int(k.fd), k.out); err == nil {
		l.st.bytesOut += int64(n)
	}
}

// ---- broadcast, rooms ----

// fanWL: senders emit messages carrying their send time; every connection
// counts the copies it receives. Broadcast has one sender (connection 0)
// and every connection receives; rooms has one sender per room (connection
// r for room r) and the room's members receive. A closed-loop sender sends
// its next message when a copy of its own comes back.
type fanWL struct {
	rooms    bool
	name     string  // event the server delivers: bcast or toroom
	tmpls    []*tmpl // per room (one for broadcast)
	joins    []*tmpl // rooms: join emits, with an ack id
	nrooms   int
	inflight uint32
	cluster  bool // several nodes: split delivery latency by node
}

func (w *fanWL) sender(s *session) bool {
	if w.rooms {
		return int(s.idx) < w.nrooms
	}
	return s.idx == 0
}

func (w *fanWL) room(s *session) int {
	if w.rooms {
		return int(s.idx) % w.nrooms
	}
	return 0
}

func (w *fanWL) ready(l *loop, s *session) {
	if w.rooms {
		s.state = ssJoining
		s.t0 = l.now
		s.ackSeq = 1
		s.send(l, w.joins[w.room(s)], ackBase)
		return
	}
	w.joined(l, s)
}

func (w *fanWL) joined(l *loop, s *session) {
	l.markReady(s)
	if w.sender(s) {
		l.activate(s)
		l.senders++
		if l.sending && !l.paced {
			w.fill(l, s)
		}
	}
}

func (w *fanWL) fill(l *loop, s *session) {
	for s.pq.n < w.inflight && s.state == ssReady {
		if !l.take(l.now) || !w.send(l, s, l.now) {
			return
		}
	}
}

func (w *fanWL) send(l *loop, s *session, t int64) bool {
	if !l.sendOp(s, w.tmpls[w.room(s)], t, false) {
		return false
	}
	if l.inWin(t) {
		l.st.messages++
	}
	return true
}

func (w *fanWL) start(l *loop) {
	if !l.paced {
		for _, s := range l.active {
			w.fill(l, s)
		}
	}
}

func (w *fanWL) paced(l *loop, t int64) bool {
	s := l.nextActive()
	return s != nil && w.send(l, s, t)
}

func (w *fanWL) event(l *loop, s *session, name, data []byte) {
	if string(name) != w.name {
		return
	}
	t := stampOf(data)
	if t < 0 {
		l.errorf("protocol: " + w.name + " without a timestamp")
		return
	}
	l.deliver(t)
	if w.cluster && l.inWin(t) {
		// the sender is on node 0 (connection 0; member 0 of each room)
		if l.r.nodeIndex(s.idx) != 0 {
			record(l.st.cross, l.now-t)
		} else {
			record(l.st.same, l.now-t)
		}
	}
	if w.sender(s) && s.state == ssReady && l.complete(s, nil) && l.sending && !l.paced {
		w.fill(l, s)
	}
}

func (w *fanWL) ack(l *loop, s *session, id int64, _ []byte) {
	if s.state == ssJoining && id == ackBase {
		record(l.st.join, l.now-s.t0)
		w.joined(l, s)
		return
	}
	l.errorf("ack: unexpected")
}

func (w *fanWL) timeout(l *loop, s *session) {
	if l.sending && !l.paced {
		w.fill(l, s)
	}
}

func (w *fanWL) rateShare(l *loop) float64 {
	if w.rooms {
		return float64(l.senders) / float64(w.nrooms)
	}
	return float64(l.senders)
}

func (w *fanWL) countShare(c *Config) int64 {
	if !w.rooms {
		if c.ConnOffset == 0 {
			return c.Count
		}
		return 0
	}
	// senders here: global indexes [off, off+conns) below nrooms
	here := max(0, min(c.ConnOffset+c.Conns, w.nrooms)-c.ConnOffset)
	share := c.Count * int64(here) / int64(w.nrooms)
	if c.ConnOffset == 0 {
		var sum int64
		off := 0
		for _, k := range SplitConns(c.TotalConns, c.Procs) {
			h := max(0, min(off+k, w.nrooms)-off)
			sum += c.Count * int64(h) / int64(w.nrooms)
			off += k
		}
		share += c.Count - sum
	}
	return share
}

// stampOf reads the send time (Clock ns) from a payload carrying
// {"t":<stamp>,...}; -1 when absent.
func stampOf(data []byte) int64 {
	i := bytes.Index(data, []byte(`"t":`))
	if i < 0 {
		return -1
	}
	v, n := parseDigits(data[i+4:])
	if n != stampDigits {
		return -1
	}
	return v - stampBase
}

// ---- connect ----

// connWL only connects.
type connWL struct{}

func (connWL) ready(l *loop, s *session)             { l.markReady(s) }
func (connWL) start(*loop)                           {}
func (connWL) paced(*loop, int64) bool               { return true }
func (connWL) event(*loop, *session, []byte, []byte) {}
func (connWL) ack(*loop, *session, int64, []byte)    {}
func (connWL) timeout(*loop, *session)               {}
func (connWL) rateShare(l *loop) float64             { return float64(len(l.sess)) / float64(l.r.cfg.TotalConns) }
func (connWL) countShare(*Config) int64              { return 0 }

// ---- templates ----

// newWorkload builds the scenario's workload and its templates.
func newWorkload(r *run) (workload, error) {
	c := &r.cfg
	nsp := r.tgt.nsp
	pay := payloadString(c.Payload)
	switch c.Scenario {
	case ScenarioEcho, ScenarioChurn, ScenarioAck:
		name := "echo"
		if c.Scenario == ScenarioAck {
			name = "echoack"
		}
		var body []byte
		body = append(body, `["`...)
		body = append(body, name...)
		body = append(body, `","`...)
		body = append(body, pay...)
		body = append(body, `"]`...)
		w := &reqWL{byAck: c.Scenario == ScenarioAck, reply: "echo", replyLen: len(body), inflight: uint32(c.InFlight)}
		w.t = r.sio(eventTmpl(nsp, w.byAck, r.key, func(tb *tmplBuilder) { tb.litBytes(body) }))
		if c.Scenario == ScenarioChurn {
			w.churn = uint32(c.ChurnOps)
		}
		return w, nil
	case ScenarioBroadcast, ScenarioRooms:
		w := &fanWL{rooms: c.Scenario == ScenarioRooms, name: "bcast", nrooms: 1, inflight: uint32(c.InFlight), cluster: len(r.nodes) > 1}
		if w.rooms {
			w.name, w.nrooms = "toroom", c.Rooms
		}
		for i := range w.nrooms {
			room := "r" + itoa(int64(i))
			w.tmpls = append(w.tmpls, r.sio(eventTmpl(nsp, false, r.key, func(tb *tmplBuilder) {
				tb.lit(`["` + w.name + `",{`)
				if w.rooms {
					tb.lit(`"room":"` + room + `",`)
				}
				tb.lit(`"t":`)
				tb.num(stampDigits)
				tb.lit(`,"p":"`)
				tb.litBytes(pay)
				tb.lit(`"}]`)
			})))
			if w.rooms {
				w.joins = append(w.joins, r.sio(eventTmpl(nsp, true, r.key, func(tb *tmplBuilder) {
					tb.lit(`["join","` + room + `"]`)
				})))
			}
		}
		return w, nil
	case ScenarioConnect:
		return connWL{}, nil
	case ScenarioCustom:
		return newCustomWL(r)
	}
	return nil, configErr("unknown scenario %q", c.Scenario)
}

// connectTmpl returns the CONNECT packet of session s: the run's, or one
// built for it when the auth payload is templated with {{i}}.
func (r *run) connectTmpl(s *session) *tmpl {
	if !r.authPerConn {
		return r.tConnect
	}
	tb := &tmplBuilder{}
	tb.lit("4" + string(parser.AppendPacketHeader(nil, &parser.Packet{Type: parser.PacketConnect, Namespace: []byte(r.tgt.nsp), ID: parser.NoID})))
	tb.lit(strings.ReplaceAll(r.cfg.Auth, "{{i}}", itoa(int64(s.idx))))
	return r.sio(tb.build(r.key))
}

// sio returns t, a Socket.IO packet's template, in the run's parser: t
// itself, or its msgpack form (a failure is kept in r.tmplErr).
func (r *run) sio(t *tmpl) *tmpl {
	if !r.msgpack {
		return t
	}
	m, err := msgpackTmpl(t)
	if err != nil {
		if r.tmplErr == nil {
			r.tmplErr = err
		}
		return t
	}
	return m
}

// controlTmpls builds the fixed packets every session may send.
func (r *run) controlTmpls() {
	raw := func(s string) *tmpl {
		tb := &tmplBuilder{}
		tb.lit(s)
		return tb.build(r.key)
	}
	nsp := []byte(r.tgt.nsp)
	r.tPong = raw("3")
	r.tPing = raw("2")
	r.tProbe = raw("2probe")
	r.tUpgrade = raw("5")
	r.tConnect = r.sio(raw("4" + string(parser.AppendPacketHeader(nil, &parser.Packet{Type: parser.PacketConnect, Namespace: nsp, ID: parser.NoID})) + r.cfg.Auth))
	r.authPerConn = strings.Contains(r.cfg.Auth, "{{i}}")
	r.tDisconnect = r.sio(raw("4" + string(parser.AppendPacketHeader(nil, &parser.Packet{Type: parser.PacketDisconnect, Namespace: nsp, ID: parser.NoID}))))
}
