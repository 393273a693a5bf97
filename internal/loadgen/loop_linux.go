//go:build linux

package loadgen

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

const (
	readBufSize = 64 << 10
	smallBuf    = 4 << 10 // pooled buffer size (leftovers, output)
	maxFree     = 1024    // pooled buffers kept per loop
	sweepEvery  = int64(50e6)
	idleWake    = int64(10e6) // longest sleep: phase changes are seen within it
)

// phase of the run as a loop sees it.
type phase uint8

const (
	phConnect phase = iota
	phWarmup
	phWindow
	phDrain
)

// schedule is the run's timetable after the connect phase (Clock ns).
// A nil schedule means the connect phase is still on.
type schedule struct {
	warm, start, end int64
}

func (sc *schedule) phaseAt(now int64) phase {
	switch {
	case now < sc.warm:
		return phConnect
	case now < sc.start:
		return phWarmup
	case now < sc.end:
		return phWindow
	}
	return phDrain
}

// loopPub is what a loop publishes for the progress line; any goroutine may
// read it.
type loopPub struct {
	up, settled, failed   atomic.Int64
	sent, done, delivered atomic.Int64 // in-window
	errors, outstanding   atomic.Int64
	allDone, allDeliv     atomic.Int64 // every phase, warm-up included
	lastDeliv             atomic.Int64 // Clock ns of the latest delivery
	p99                   atomic.Int64 // ns, main latency so far
	cpuWindow             atomic.Int64 // thread CPU ns during the window, set at drain
	cpuConnect            atomic.Int64 // thread CPU ns during the connect phase
	// draining is set once the loop has stopped sending (drain phase) and
	// published its outstanding count after that: from then on outstanding
	// can only fall, so a zero means nothing is left to wait for.
	draining atomic.Bool
}

// loop is one event loop. Everything but pub is touched only by its own
// goroutine (and by Run after the goroutine has exited).
type loop struct {
	r        *run
	id       int
	epfd     int
	noPwait2 bool
	evs      []unix.EpollEvent
	socks    []*sock // by fd
	sess     []*session
	buf      []byte
	dirty    []*sock
	free     [][]byte
	now      int64
	st       *loopStats
	bucket   int
	mpBuf    []byte   // msgpack parser: a packet's payload as JSON
	mpAtts   [][]byte // and its binary values

	// dialing
	dialQ    []*session
	dialing  int
	dialCap  int
	nextDial float64 // ramp: intended time of the next dial
	dialGap  float64 // ramp: ns between dials (0: as fast as dialCap allows)

	// sending
	phase     phase
	sending   bool
	paced     bool
	nextSend  float64 // paced: intended time of the next op
	sendGap   float64
	active    []*session // ready sessions that may send (round robin)
	rr        int
	senders   int // broadcast/rooms: sending sessions on this loop
	winStart  int64
	winEnd    int64
	up        int
	upAtWin   int64 // connections up when the window opened
	settled   int
	outstand  int
	cpuStart  int64
	cpuBorn   int64
	nextSweep int64
	nextPub   int64
	silent    int64 // a ready connection with no input for this long failed (ns; 0 = off)
	pingGap   int64 // Engine.IO 3: the client pings every ready connection this often (ns)
	nextPing  int64
	v3buf     []byte // Engine.IO 3 polling: a packet on its way into a batch
	v3bin     []byte // and a binary one's data, decoded
	rng       uint64
	tls       *tlsLoop // TLS targets only
	wakeFd    int      // eventfd of finished TLS handshakes, -1 without TLS

	pub loopPub
}

func newLoop(r *run, id int) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	l := &loop{
		r: r, id: id, epfd: epfd,
		evs:    make([]unix.EpollEvent, 512),
		buf:    make([]byte, readBufSize),
		st:     newLoopStats(),
		winEnd: 1 << 62,
		wakeFd: -1,
		rng:    0x9e3779b97f4a7c15 ^ uint64(id+1)*0xbf58476d1ce4e5b9,
	}
	l.st.firstDial = -1
	if r.tlsConfigs != nil {
		if err := l.initTLS(); err != nil {
			unix.Close(epfd)
			return nil, err
		}
	}
	return l, nil
}

// run is the loop goroutine.
func (l *loop) run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	setTimerSlack()
	l.cpuBorn = threadCPU()
	l.now = l.r.clock.Now()
	l.nextDial = float64(l.now)
	for !l.r.stop.Load() {
		l.tick()
		l.flush()
		timeout := l.nextWake() - l.r.clock.Now()
		n, err := epollWait(l.epfd, l.evs, max(0, timeout), &l.noPwait2)
		l.now = l.r.clock.Now()
		l.setBucket()
		if err != nil && err != unix.EINTR {
			l.errorf("loop: epoll: " + err.Error())
			break
		}
		for i := 0; i < n; i++ {
			l.event(&l.evs[i])
		}
	}
	l.now = l.r.clock.Now()
	l.tick()
	for p := l.phase + 1; p <= phDrain; p++ {
		l.enter(p)
	}
	l.unanswered()
	l.publish(true)
	l.closeAll()
}

// nextWake returns when the loop must wake at the latest.
func (l *loop) nextWake() int64 {
	w := l.now + idleWake
	if l.sending && l.paced {
		w = min(w, int64(l.nextSend))
	}
	if l.dialGap > 0 && len(l.dialQ) > 0 && l.dialing < l.dialCap {
		w = min(w, int64(l.nextDial))
	}
	if sc := l.r.sched.Load(); sc != nil && sc.warm > l.now {
		w = min(w, sc.warm)
	}
	if l.winStart > l.now {
		w = min(w, l.winStart)
	}
	if l.winEnd > l.now {
		w = min(w, l.winEnd)
	}
	return min(w, l.nextSweep)
}

// event handles one epoll event.
func (l *loop) event(ev *unix.EpollEvent) {
	var k *sock
	if int(ev.Fd) < len(l.socks) {
		k = l.socks[ev.Fd]
	}
	if k == nil {
		if int(ev.Fd) == l.wakeFd {
			l.tlsWake()
		}
		return
	}
	if k.state == sockConnecting {
		if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
			l.connected(k)
		}
		return
	}
	if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		l.readable(k, ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0)
	}
	if k.state != sockClosed && ev.Events&unix.EPOLLOUT != 0 && (len(k.out) > 0 || l.tls != nil && l.tlsPending(k)) {
		l.queue(k)
	}
}

// tick runs the timed work of a pass: phases, dials, paced sends, sweeps.
func (l *loop) tick() {
	if sc := l.r.sched.Load(); sc != nil {
		l.winStart, l.winEnd = sc.start, sc.end
		if ph := sc.phaseAt(l.now); ph > l.phase {
			for p := l.phase + 1; p <= ph; p++ {
				l.enter(p)
			}
		}
	}
	l.dialMore()
	if l.sending && l.paced {
		for n := 0; int64(l.nextSend) <= l.now && n < 100000; n++ {
			t := int64(l.nextSend)
			if !l.take(t) { // the count is spent
				l.sending = false
				break
			}
			l.nextSend += l.sendGap
			if !l.r.wl.paced(l, t) && l.inWin(t) {
				l.st.backlog++
			}
		}
	}
	if l.now >= l.nextSweep {
		l.sweep()
		l.nextSweep = l.now + sweepEvery
	}
	if l.now >= l.nextPub {
		l.publish(false)
		l.nextPub = l.now + 20e6
	}
}

// enter switches the loop into phase p.
func (l *loop) enter(p phase) {
	l.phase = p
	switch p {
	case phWarmup:
		l.pub.cpuConnect.Store(threadCPU() - l.cpuBorn)
		l.startSending()
	case phWindow:
		l.cpuStart = threadCPU()
		l.upAtWin = int64(l.up)
		if n := len(l.r.nodes); n > 1 {
			l.st.upPerNode = make([]int64, n)
			for _, s := range l.sess {
				if s.state == ssReady {
					l.st.upPerNode[l.r.nodeIndex(s.idx)]++
				}
			}
		}
		if !l.sending {
			l.startSending()
		}
	case phDrain:
		l.sending = false
		l.publish(false)
		l.pub.draining.Store(true)
		if l.cpuStart != 0 {
			l.pub.cpuWindow.Store(threadCPU() - l.cpuStart)
		}
	}
}

func (l *loop) startSending() {
	if l.r.noTraffic {
		return
	}
	l.sending = true
	share := l.r.wl.rateShare(l)
	if l.r.cfg.Rate > 0 && share > 0 && l.r.cfg.Scenario != ScenarioConnect {
		l.paced = true
		l.sendGap = 1e9 / (l.r.cfg.Rate * share)
		l.nextSend = float64(l.now)
	}
	l.r.wl.start(l)
}

// inWin reports whether an op or message intended (stamped) at t counts:
// it was sent after the window opened. No upper bound is needed (nothing is
// sent after the window closes), so processes of a count run agree on
// deliveries whatever their own window's end.
func (l *loop) inWin(t int64) bool { return t >= l.winStart && l.winStart > 0 }

// take reports whether an op intended at t may be sent (count budget).
func (l *loop) take(t int64) bool {
	if !l.sending {
		return false
	}
	if b := l.r.budget; b != nil && l.inWin(t) {
		return b.Add(-1) >= 0
	}
	return true
}

// setBucket updates the series bucket of l.now, recording the connection
// level of the buckets passed.
func (l *loop) setBucket() {
	b := int(l.now / l.r.step)
	for l.bucket < b {
		setAt(&l.st.sConns, l.bucket, int64(l.up))
		l.bucket++
	}
}

func (l *loop) publish(final bool) {
	p := &l.pub
	p.up.Store(int64(l.up))
	p.settled.Store(int64(l.settled))
	p.failed.Store(l.st.connFails)
	p.sent.Store(l.st.sent)
	p.done.Store(l.st.done)
	p.delivered.Store(l.st.deliveries)
	p.allDone.Store(l.st.allDone)
	p.allDeliv.Store(l.st.allDeliv)
	p.outstanding.Store(int64(l.outstand))
	var e int64
	for _, n := range l.st.errs {
		e += n
	}
	p.errors.Store(e)
	if final || l.now/500e6 != (l.now-20e6)/500e6 {
		if h := l.r.mainHist(l.st); h != nil && h.TotalCount() > 0 {
			p.p99.Store(h.ValueAtQuantile(99))
		}
	}
	if final {
		setAt(&l.st.sConns, l.bucket, int64(l.up))
	}
}

// unanswered counts the ops still awaiting a reply when the run ends (the
// drain is over) as timeouts, with an error each, so that sent = completed
// + timeouts. A run interrupted by its caller did not give them their
// chance: they are taken out of the sent ops instead.
func (l *loop) unanswered() {
	cut := l.r.interrupted.Load()
	for _, s := range l.sess {
		if s.pq.n == 0 && (s.x == nil || s.x.replies.n == 0) {
			continue
		}
		before := l.st.timeouts
		l.lose(s)
		for n := before; n < l.st.timeouts; n++ {
			if cut {
				l.st.sent--
			} else {
				l.errorf("op: no reply by the end of the run")
			}
		}
		if cut {
			l.st.timeouts = before
		}
	}
}

// errorf counts an error of the given kind.
func (l *loop) errorf(kind string) {
	l.st.errs[kind]++
	bump(&l.st.sErrs, l.bucket, 1)
}

// ---- buffers ----

func (l *loop) getBuf(n int) []byte {
	if n <= smallBuf {
		if k := len(l.free); k > 0 {
			b := l.free[k-1]
			l.free = l.free[:k-1]
			return b[:0]
		}
		return make([]byte, 0, smallBuf)
	}
	return make([]byte, 0, n)
}

func (l *loop) putBuf(b []byte) {
	if cap(b) == smallBuf && len(l.free) < maxFree {
		l.free = append(l.free, b[:0])
	}
}

// ---- sockets ----

// register adds a connecting socket to the loop.
func (l *loop) register(k *sock, fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return err
	}
	for len(l.socks) <= fd {
		l.socks = append(l.socks, make([]*sock, max(1024, len(l.socks)))...)
	}
	l.socks[fd] = k
	k.fd = int32(fd)
	k.state = sockConnecting
	return nil
}

// connected completes a non-blocking connect.
func (l *loop) connected(k *sock) {
	e, err := unix.GetsockoptInt(int(k.fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && e != 0 {
		err = unix.Errno(e)
	}
	if err != nil {
		l.sockFailed(k, errnoKind("connect", err))
		return
	}
	k.state = sockIdle
	k.s.sockUp(l, k)
	if len(k.out) > 0 {
		l.queue(k)
	}
}

// readable reads k until the kernel has nothing more (edge-triggered).
func (l *loop) readable(k *sock, hup bool) {
	if l.tls != nil {
		if t := l.tlsOf(k); t != nil {
			l.readableTLS(k, t, hup)
			return
		}
	}
	for k.state != sockClosed {
		var (
			n      int
			err    error
			b      []byte
			space  int
			fromIn = len(k.in) > 0
		)
		if fromIn {
			if cap(k.in)-len(k.in) < 2048 {
				nb := make([]byte, len(k.in), max(2*cap(k.in), len(k.in)+readBufSize))
				copy(nb, k.in)
				l.putBuf(k.in)
				k.in = nb
			}
			space = cap(k.in) - len(k.in)
			n, err = unix.Read(int(k.fd), k.in[len(k.in):cap(k.in)])
		} else {
			space = len(l.buf)
			n, err = unix.Read(int(k.fd), l.buf)
		}
		if err != nil {
			if err == unix.EAGAIN {
				return
			}
			if err == unix.EINTR {
				continue
			}
			l.sockFailed(k, errnoKind("conn", err))
			return
		}
		l.now = l.r.clock.Now()
		k.s.lastRecv = l.now
		l.st.bytesIn += int64(n)
		eof := n == 0
		if fromIn {
			k.in = k.in[:len(k.in)+n]
			b = k.in
		} else {
			b = l.buf[:n]
		}
		used := 0
		if len(b) > 0 {
			used = l.input(k, b, eof)
			if used < 0 || k.state == sockClosed {
				return
			}
		}
		rest := b[used:]
		if fromIn {
			k.in = k.in[:copy(k.in, rest)]
			if len(k.in) == 0 {
				l.putBuf(k.in)
				k.in = nil
			}
		} else if len(rest) > 0 {
			k.in = append(l.getBuf(len(rest)), rest...)
		}
		if eof {
			l.sockEOF(k)
			return
		}
		if n < space && !hup {
			return
		}
	}
}

// queue marks k for the end-of-pass flush.
func (l *loop) queue(k *sock) {
	if !k.queued {
		k.queued = true
		l.dirty = append(l.dirty, k)
	}
}

// out returns k's output buffer, taking one if it has none.
func (l *loop) out(k *sock) []byte {
	if k.out == nil {
		k.out = l.getBuf(0)
	}
	return k.out
}

// flush writes every queued socket once.
func (l *loop) flush() {
	for i := 0; i < len(l.dirty); i++ {
		k := l.dirty[i]
		l.dirty[i] = nil
		k.queued = false
		if k.state == sockClosed || k.state == sockConnecting {
			continue
		}
		if l.tls != nil {
			if t := l.tlsOf(k); t != nil {
				l.flushTLS(k, t)
				continue
			}
		}
		if len(k.out) == 0 {
			continue
		}
		n, err := unix.Write(int(k.fd), k.out)
		if err != nil {
			if err == unix.EAGAIN || err == unix.EINTR {
				continue // EPOLLOUT brings it back
			}
			l.sockFailed(k, errnoKind("conn", err))
			continue
		}
		l.st.bytesOut += int64(n)
		if n == len(k.out) {
			l.putBuf(k.out)
			k.out = nil
		} else {
			k.out = k.out[:copy(k.out, k.out[n:])]
		}
	}
	l.dirty = l.dirty[:0]
}

// closeSock closes k's descriptor and drops its buffers. It does not tell
// the session.
func (l *loop) closeSock(k *sock) {
	if k.state == sockClosed {
		return
	}
	if l.tls != nil {
		l.tlsClosed(k)
	}
	if k.fd >= 0 {
		l.socks[k.fd] = nil
		unix.Close(int(k.fd))
	}
	k.fd = -1
	k.state = sockClosed
	if k.in != nil {
		l.putBuf(k.in)
		k.in = nil
	}
	if k.out != nil {
		l.putBuf(k.out)
		k.out = nil
	}
}

// sockFailed handles an I/O error on k.
func (l *loop) sockFailed(k *sock, kind string) {
	s := k.s
	l.closeSock(k)
	s.sockDown(l, k, kind)
}

// sockEOF handles the server closing k.
func (l *loop) sockEOF(k *sock) {
	s := k.s
	idle := k.state == sockIdle
	l.closeSock(k)
	if idle && k.role == rolePost {
		return // keep-alive POST connection timed out: redialled on demand
	}
	s.sockDown(l, k, "conn: closed by server")
}

// closeAll closes every socket at the end of the run, with a reset: a
// graceful close would leave a TIME_WAIT socket per connection on this side
// for a minute, and a full port range slows down the next run's connects.
func (l *loop) closeAll() {
	lg := unix.Linger{Onoff: 1, Linger: 0}
	for _, k := range l.socks {
		if k != nil {
			_ = unix.SetsockoptLinger(int(k.fd), unix.SOL_SOCKET, unix.SO_LINGER, &lg)
			l.closeSock(k)
		}
	}
	unix.Close(l.epfd)
	if l.tls != nil {
		l.closeTLS()
	}
}
