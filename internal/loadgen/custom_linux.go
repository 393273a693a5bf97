//go:build linux

package loadgen

import (
	"bytes"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// connBase offsets the connection index carried in custom payloads ("c"),
// a fixed-width slot like the stamp.
const (
	connBase   = 1_000_000_000
	connDigits = 10
)

// customWL runs a ScenarioFile mix.
type customWL struct {
	evs      []customEvent
	total    int // sum of weights
	joins    []*tmpl
	inflight uint32
}

type customEvent struct {
	name  string
	t     *tmpl // slots: [ack id], t, c
	ack   bool
	reply string
	cum   int // cumulative weight
	hist  string
}

// customState is a custom session's replies in flight.
type customState struct {
	replies ring // intended times | event index << 56
}

func newCustomWL(r *run) (*customWL, error) {
	f := r.cfg.Custom
	w := &customWL{inflight: uint32(r.cfg.InFlight)}
	for i, e := range f.Events {
		fields, err := e.fieldsJSON()
		if err != nil {
			return nil, err
		}
		weight := e.Weight
		if weight == 0 {
			weight = 1
		}
		w.total += weight
		ce := customEvent{name: e.Name, ack: e.Ack, reply: e.Reply, cum: w.total}
		switch {
		case e.Ack:
			ce.hist = "ack:" + e.Name
		case e.Reply != "":
			ce.hist = "reply:" + e.Name
		}
		pay := payloadString(e.Payload)
		body := func(tb *tmplBuilder) {
			tb.lit(`["` + e.Name + `",{` + fields + `"t":`)
			tb.num(stampDigits)
			tb.lit(`,"c":`)
			tb.num(connDigits)
			tb.lit(`,"p":"`)
			tb.litBytes(pay)
			tb.lit(`"`)
			if e.Binary > 0 {
				tb.lit(`,"b":{"_placeholder":true,"num":0}`)
			}
			tb.lit(`}]`)
		}
		if e.Binary > 0 {
			att := payloadString(e.Binary)
			if r.cfg.EIO == 3 {
				att = append([]byte{4}, att...) // Engine.IO 3: a binary message starts with its type
			}
			ce.t = r.sio(binaryEventTmpl(r.tgt.nsp, e.Ack, r.key, att, body))
		} else {
			ce.t = r.sio(eventTmpl(r.tgt.nsp, e.Ack, r.key, body))
		}
		w.evs = append(w.evs, ce)
		_ = i
	}
	for _, room := range f.Join {
		rb, _ := jsonQuote(room)
		w.joins = append(w.joins, r.sio(eventTmpl(r.tgt.nsp, true, r.key, func(tb *tmplBuilder) {
			tb.lit(`["join",` + rb + `]`)
		})))
	}
	return w, nil
}

func jsonQuote(s string) (string, error) {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

func (w *customWL) ready(l *loop, s *session) {
	s.x = &customState{}
	if len(w.joins) > 0 {
		s.state = ssJoining
		s.t0 = l.now
		for i, t := range w.joins {
			s.send(l, t, ackBase+int64(i))
		}
		s.ackSeq = uint32(len(w.joins))
		return
	}
	w.joined(l, s)
}

func (w *customWL) joined(l *loop, s *session) {
	s.nops = 0
	l.markReady(s)
	l.activate(s)
	if l.sending && !l.paced {
		w.fill(l, s)
	}
}

func (w *customWL) pending(s *session) uint32 { return s.pq.n + s.x.replies.n }

func (w *customWL) fill(l *loop, s *session) {
	for w.pending(s) < w.inflight && s.state == ssReady {
		if !l.take(l.now) || !w.send(l, s, l.now) {
			return
		}
	}
}

// pick chooses an event by weight (xorshift on the loop).
func (w *customWL) pick(l *loop) int {
	l.rng ^= l.rng << 13
	l.rng ^= l.rng >> 7
	l.rng ^= l.rng << 17
	n := int(l.rng % uint64(w.total))
	for i := range w.evs {
		if n < w.evs[i].cum {
			return i
		}
	}
	return len(w.evs) - 1
}

func (w *customWL) send(l *loop, s *session, t int64) bool {
	i := w.pick(l)
	e := &w.evs[i]
	stamp, conn := stampBase+t, connBase+int64(s.idx)
	tagged := t | int64(i)<<56
	switch {
	case e.ack:
		if !s.pq.push(tagged) {
			l.st.backlog++
			return false
		}
		id := ackBase + int64(s.ackSeq)
		s.ackSeq = (s.ackSeq + 1) % ackSpan
		s.send(l, e.t, id, stamp, conn)
		l.outstand++
	case e.reply != "":
		if !s.x.replies.push(tagged) {
			l.st.backlog++
			return false
		}
		s.send(l, e.t, stamp, conn)
		l.outstand++
	default:
		s.send(l, e.t, stamp, conn)
	}
	if l.inWin(t) {
		l.st.sent++
		if !e.ack && e.reply == "" {
			l.st.done++ // fire-and-forget: done when sent
			bump(&l.st.sOps, l.bucket, 1)
			l.st.allDone++
		}
	}
	return true
}

func (w *customWL) start(l *loop) {
	if !l.paced {
		for _, s := range l.active {
			w.fill(l, s)
		}
	}
}

func (w *customWL) paced(l *loop, t int64) bool {
	s := l.nextActive()
	return s != nil && w.send(l, s, t)
}

func (w *customWL) event(l *loop, s *session, name, data []byte) {
	t := stampOf(data)
	if t < 0 {
		return
	}
	if l.inWin(t) {
		l.st.recvByName[string(name)]++
		l.pub.lastDeliv.Store(l.now)
		record(l.st.hist("recv:"+string(name)), l.now-t)
	}
	c := jsonInt(data, `"c":`)
	if c != connBase+int64(s.idx) || s.x == nil || s.x.replies.n == 0 {
		return
	}
	v := s.x.replies.head()
	e := &w.evs[v>>56]
	if e.reply != string(name) {
		return
	}
	if t < v&timeMask {
		l.st.late++ // the reply of an op that timed out
		return
	}
	s.x.replies.pop()
	l.outstand--
	bump(&l.st.sOps, l.bucket, 1)
	l.st.allDone++
	if it := v & timeMask; l.inWin(it) {
		l.st.done++
		l.st.lastDone = l.now
		record(l.st.hist(e.hist), l.now-it)
	}
	if l.sending && !l.paced {
		w.fill(l, s)
	}
}

func (w *customWL) ack(l *loop, s *session, id int64, _ []byte) {
	if s.state == ssJoining {
		s.nops++
		if int(s.nops) == len(w.joins) {
			record(l.st.join, l.now-s.t0)
			w.joined(l, s)
		}
		return
	}
	if s.pq.n == 0 {
		l.errorf("ack: unknown id")
		return
	}
	var h *hdrhistogram.Histogram
	if e := &w.evs[s.pq.head()>>56]; e.ack {
		h = l.st.hist(e.hist)
	}
	if l.completeAck(s, id, h) && l.sending && !l.paced {
		w.fill(l, s)
	}
}

func (w *customWL) timeout(l *loop, s *session) {
	if l.sending && !l.paced {
		w.fill(l, s)
	}
}

func (w *customWL) rateShare(l *loop) float64 {
	return float64(len(l.sess)) / float64(l.r.cfg.TotalConns)
}

func (w *customWL) countShare(c *Config) int64 { return evenShare(c, c.Count) }

// sweepReplies times out s's awaited replies.
func (w *customWL) sweepReplies(l *loop, s *session, opTimeout int64) {
	q := &s.x.replies
	for q.n > 0 && l.now-q.head()&timeMask > opTimeout {
		t := q.pop() & timeMask
		l.outstand--
		if l.inWin(t) {
			l.st.timeouts++
		}
		l.errorf("op: timeout (no reply)")
		w.timeout(l, s)
	}
}
