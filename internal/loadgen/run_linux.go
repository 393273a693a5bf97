//go:build linux

package loadgen

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// run is the state shared by a run's loops. After New it is immutable but
// for the atomics.
type run struct {
	cfg       Config
	tgt       target // the first node's (the namespace is every node's)
	nodes     []node
	clock     Clock
	key       [4]byte
	src       []net.IP
	step      int64 // series bucket, ns
	wl        workload
	noTraffic bool

	wsKey    string
	wsAccept []byte

	tlsConfigs map[*target]*tls.Config // TLS targets (nil: none)
	tlsCache   tls.ClientSessionCache

	tPong, tPing, tConnect, tProbe, tUpgrade, tDisconnect *tmpl
	authPerConn                                           bool // the CONNECT is built per session (--auth with {{i}})
	msgpack                                               bool // Config.Parser is ParserMsgpack
	tmplErr                                               error

	sched       atomic.Pointer[schedule]
	budget      *atomic.Int64 // count mode: ops left to send
	stop        atomic.Bool
	interrupted atomic.Bool // the caller cancelled the run
	loops       []*loop
}

// Runner runs one configured load test. Create it with New; call Run once.
// Snapshot may be called from any goroutine while Run runs.
type Runner struct {
	r       *run
	started atomic.Int64 // Clock ns when Run started
	phase   atomic.Value // string
}

// New checks cfg, resolves the target and prepares the run.
func New(cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	tgts, err := resolve(&c)
	if err != nil {
		return nil, err
	}
	r := &run{cfg: c, tgt: tgts[0], clock: NewClock(c.Origin)}
	srcs := c.SourceIPs
	if ip4 := r.tgt.addr.IP.To4(); len(srcs) == 0 && ip4 != nil && ip4.IsLoopback() && c.Conns > 8000 {
		for i := range (c.Conns + 7999) / 8000 {
			srcs = append(srcs, fmt.Sprintf("127.0.%d.%d", c.Proc+1, i+1))
		}
	}
	for _, a := range srcs {
		ip := net.ParseIP(a)
		if ip == nil || ip.To4() == nil {
			return nil, configErr("bad source address %q (IPv4 only)", a)
		}
		r.src = append(r.src, ip)
	}
	if _, err := rand.Read(r.key[:]); err != nil {
		return nil, err
	}
	var k [16]byte
	_, _ = rand.Read(k[:])
	r.wsKey = base64.StdEncoding.EncodeToString(k[:])
	h := sha1.Sum([]byte(r.wsKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	r.wsAccept = []byte(base64.StdEncoding.EncodeToString(h[:]))
	for i := range tgts {
		if tgts[i].tls {
			if r.tlsConfigs == nil {
				r.tlsConfigs = map[*target]*tls.Config{}
				r.tlsCache = tls.NewLRUClientSessionCache(max(64, c.Conns))
			}
			r.tlsConfigs[&tgts[i]] = r.tlsConfig(&tgts[i])
		}
		n := node{tgt: &tgts[i]}
		n.wsReq = r.appendWSReq(nil, &n, "")
		n.pollOpenReq = r.appendPollReq(nil, &n, "GET", "")
		r.nodes = append(r.nodes, n)
	}
	r.msgpack = c.Parser == ParserMsgpack
	r.controlTmpls()
	r.step = int64(250 * time.Millisecond)
	if c.Duration+c.Warmup > 2*time.Minute {
		r.step = int64(time.Second)
	}
	if r.wl, err = newWorkload(r); err != nil {
		return nil, err
	}
	if r.tmplErr != nil {
		return nil, r.tmplErr
	}
	r.noTraffic = c.Scenario == ScenarioConnect
	if c.Count > 0 && !r.noTraffic {
		r.budget = new(atomic.Int64)
		r.budget.Store(r.wl.countShare(&c))
	}
	for i := range c.Loops {
		l, err := newLoop(r, i)
		if err != nil {
			for _, l := range r.loops {
				l.closeAll()
			}
			return nil, err
		}
		r.loops = append(r.loops, l)
	}
	for i := range c.Conns {
		l := r.loops[i%len(r.loops)]
		s := &session{idx: int32(c.ConnOffset + i), ai: -1}
		s.dec.Client = true
		l.sess = append(l.sess, s)
		l.dialQ = append(l.dialQ, s)
	}
	perLoop := max(1, c.DialConcurrency/len(r.loops))
	for _, l := range r.loops {
		l.dialCap = perLoop
		if c.Scenario == ScenarioConnect && c.Mode == ModeRamp {
			l.dialGap = 1e9 / (c.Rate * float64(len(l.sess)) / float64(c.TotalConns))
		}
	}
	rn := &Runner{r: r}
	rn.phase.Store("init")
	return rn, nil
}

// Config returns the run's configuration with defaults applied.
func (rn *Runner) Config() Config { return rn.r.cfg }

// Snapshot reports progress. Any goroutine.
func (rn *Runner) Snapshot() Snapshot {
	r := rn.r
	s := Snapshot{Phase: rn.phase.Load().(string), Target: r.cfg.Conns}
	if t := rn.started.Load(); t != 0 {
		s.Elapsed = time.Duration(r.clock.Now() - t)
	}
	for _, l := range r.loops {
		p := &l.pub
		s.Up += p.up.Load()
		s.Settled += p.settled.Load()
		s.Failed += p.failed.Load()
		s.Sent += p.sent.Load()
		s.Done += p.done.Load()
		s.Delivered += p.delivered.Load()
		s.AllDone += p.allDone.Load()
		s.AllDelivered += p.allDeliv.Load()
		s.Errors += p.errors.Load()
		s.Outstanding += p.outstanding.Load()
		s.P99 = max(s.P99, time.Duration(p.p99.Load()))
	}
	return s
}

// draining reports whether every loop has stopped sending and published
// what it still waits for. Until then a published outstanding count of
// zero may be stale: a loop still in its window (it enters the drain at
// its next pass) can have sent ops since it last published, for instance
// when every churn session was reconnecting at that moment.
func (r *run) draining() bool {
	for _, l := range r.loops {
		if !l.pub.draining.Load() {
			return false
		}
	}
	return true
}

// mainHist is the histogram the progress line shows.
func (r *run) mainHist(st *loopStats) *hdrhistogram.Histogram {
	switch r.cfg.Scenario {
	case ScenarioEcho, ScenarioChurn:
		return st.rtt
	case ScenarioAck:
		return st.ack
	case ScenarioBroadcast, ScenarioRooms:
		return st.delivery
	case ScenarioConnect:
		return st.connect
	}
	return nil
}

// Run runs the test to its end and returns the result. Cancelling ctx ends
// it early (the result covers what was measured). Run may be called once.
func (rn *Runner) Run(ctx context.Context, hooks Hooks) (*Result, error) {
	r := rn.r
	c := &r.cfg
	res := &Result{Started: time.Now()}
	rn.started.Store(r.clock.Now())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.Conns.RSSBeforeKiB, res.Conns.HeapBefore = PidRSS(0), int64(ms.HeapAlloc)
	cpuBorn, srvBorn := ProcessCPU(), noCPU
	if c.ServerPID > 0 {
		srvBorn = pidTimes(c.ServerPID)
		res.Server = &ServerStats{PID: c.ServerPID, RSSBeforeKiB: PidRSS(c.ServerPID)}
	}

	var wg sync.WaitGroup
	for _, l := range r.loops {
		wg.Add(1)
		go func() { defer wg.Done(); l.run() }()
	}
	stopAll := func() { r.stop.Store(true); wg.Wait() }
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			r.interrupted.Store(true)
			return false
		case <-time.After(d):
			return true
		}
	}

	// Connect phase.
	rn.phase.Store("connect")
	deadline := r.clock.Now() + int64(c.ConnectTimeout)
	for {
		s := rn.Snapshot()
		if int(s.Settled) >= c.Conns || r.clock.Now() > deadline {
			break
		}
		if !sleep(5 * time.Millisecond) {
			stopAll()
			return rn.result(res, hooks, 0, 0, 0, srvBorn)
		}
	}
	up := int(rn.Snapshot().Up)
	res.Client.ConnectCPU = float64(ProcessCPU()-cpuBorn) / 1e9
	if srvBorn.ok() && r.noTraffic && c.Mode != ModeHold {
		res.Server.setCPU(srvBorn, pidTimes(c.ServerPID))
		res.Server.RSSAfterKiB = PidRSS(c.ServerPID)
	}
	runtime.ReadMemStats(&ms)
	res.Conns.RSSAfterKiB, res.Conns.HeapAfter = PidRSS(0), int64(ms.HeapAlloc)
	if up == 0 && hooks.Connected == nil {
		// nothing connected: nothing to measure (the errors say why)
		stopAll()
		rn.phase.Store("done")
		return rn.result(res, hooks, 0, 0, -1, noCPU)
	}
	now := int64(0)
	if hooks.Connected != nil {
		rn.phase.Store("barrier")
		var err error
		if now, err = hooks.Connected(up); err != nil {
			stopAll()
			return nil, err
		}
	}

	// Traffic.
	if now == 0 {
		now = r.clock.Now()
	}
	sc := &schedule{warm: now, start: now + int64(c.Warmup), end: now + int64(c.Warmup) + int64(c.Duration)}
	if r.noTraffic {
		sc.start = now
		sc.end = now
		if c.Mode == ModeHold {
			sc.end = now + int64(c.Duration)
		}
	}
	r.sched.Store(sc)
	rn.phase.Store("warmup")
	if d := time.Duration(sc.start - r.clock.Now()); d > 0 && !sleep(d) {
		stopAll() // cancelled during the warmup: no window
		return rn.result(res, hooks, 0, 0, -1, noCPU)
	}
	rn.phase.Store("run")
	cpu0, srv0 := ProcessCPU(), noCPU
	if c.ServerPID > 0 && (!r.noTraffic || c.Mode == ModeHold) {
		srv0 = pidTimes(c.ServerPID)
	}
	end := sc.end
	fan := c.Scenario == ScenarioBroadcast || c.Scenario == ScenarioRooms || c.Scenario == ScenarioCustom
	idle := r.budget != nil && r.budget.Load() <= 0 && fan && c.Procs > 1
	for r.clock.Now() < end {
		if idle {
			// Count mode, no sends here: receive until the copies stop
			// coming (the senders are in other processes).
			var last int64
			for _, l := range r.loops {
				last = max(last, l.pub.lastDeliv.Load())
			}
			if last > 0 && r.clock.Now()-last > int64(time.Second) {
				end = last
				r.sched.Store(&schedule{warm: sc.warm, start: sc.start, end: end})
				break
			}
		} else if r.budget != nil && r.budget.Load() <= 0 {
			end = r.clock.Now()
			r.sched.Store(&schedule{warm: sc.warm, start: sc.start, end: end})
			break
		}
		if c.Scenario != ScenarioChurn && up > 0 && rn.Snapshot().Up == 0 {
			// Every connection is gone (the server died or closed them)
			// and none comes back: the window ends here instead of
			// averaging throughput over dead time.
			end = r.clock.Now()
			res.Conns.AllLost = float64(end) / 1e9
			r.sched.Store(&schedule{warm: sc.warm, start: sc.start, end: end})
			break
		}
		d := min(time.Duration(end-r.clock.Now()), 5*time.Millisecond)
		if !sleep(d) {
			end = r.clock.Now()
			r.sched.Store(&schedule{warm: sc.warm, start: sc.start, end: end})
			stopAll()
			return rn.result(res, hooks, sc.start, end, cpu0, srv0)
		}
	}
	cpu1 := ProcessCPU()
	srv1 := noCPU
	if srv0.ok() {
		srv1 = pidTimes(c.ServerPID)
	}

	// Drain: outstanding replies and deliveries, bounded by Drain.
	rn.phase.Store("drain")
	limit := end + int64(c.Drain)
	for r.clock.Now() < limit && !r.noTraffic {
		s := rn.Snapshot()
		if s.Outstanding <= 0 && r.draining() {
			if !fan {
				break
			}
			var last int64
			for _, l := range r.loops {
				last = max(last, l.pub.lastDeliv.Load())
			}
			if r.clock.Now()-max(last, end) > int64(300*time.Millisecond) {
				break
			}
			if c.Scenario == ScenarioBroadcast && c.Procs == 1 && s.Delivered >= s.Sent*s.Up && s.Sent > 0 {
				break
			}
		}
		if !sleep(5 * time.Millisecond) {
			break
		}
	}
	stopAll()
	rn.phase.Store("done")
	res.Client.CPU = float64(cpu1-cpu0) / 1e9
	if srv0.ok() && srv1.ok() && res.Server != nil {
		res.Server.setCPU(srv0, srv1)
		res.Server.RSSAfterKiB = PidRSS(c.ServerPID)
	}
	return rn.result(res, hooks, sc.start, end, -1, noCPU)
}

// result assembles the Result from the loops' stats (after they exited).
// cpu0 > 0 / srv0.ok() means the window was cut short: read the CPU now.
func (rn *Runner) result(res *Result, hooks Hooks, start, end, cpu0 int64, srv0 cpuTimes) (*Result, error) {
	r := rn.r
	c := &r.cfg
	if cpu0 > 0 {
		res.Client.CPU = float64(ProcessCPU()-cpu0) / 1e9
	}
	if srv0.ok() && res.Server != nil {
		res.Server.setCPU(srv0, pidTimes(c.ServerPID))
		res.Server.RSSAfterKiB = PidRSS(c.ServerPID)
	}
	res.Tool, res.Schema = "siobench", SchemaVersion
	res.Label, res.Scenario, res.Target = c.Label, c.Scenario, c.URL
	if c.Scenario == ScenarioConnect {
		res.Mode = c.Mode
	}
	res.Transport, res.Namespace = c.Transport, r.tgt.nsp
	if r.msgpack {
		res.Parser = ParserMsgpack
	}
	res.Params = Params{
		Conns: c.Conns, Procs: 1, Loops: len(r.loops), DialConcurrency: c.DialConcurrency,
		Rate: c.Rate, InFlight: c.InFlight, Duration: c.Duration.Seconds(), Count: c.Count,
		Warmup: c.Warmup.Seconds(), Payload: c.Payload,
	}
	if len(r.nodes) > 1 {
		res.Params.Nodes = len(r.nodes)
	}
	if c.Scenario == ScenarioRooms {
		res.Params.Rooms, res.Params.RoomSize = c.Rooms, c.RoomSize
	}
	if c.Scenario == ScenarioChurn {
		res.Params.ChurnOps = c.ChurnOps
	}
	res.Conns.Target = c.Conns
	res.Interrupted = r.interrupted.Load()
	res.Latency = map[string]*Latency{}
	res.Errors = map[string]int64{}
	res.Client.Cores = Cores()
	res.Client.Embedded = hooks.Embedded
	res.Series.Step = int(r.step / 1e6)

	hs := map[string]*hdrhistogram.Histogram{}
	add := func(name string, h *hdrhistogram.Histogram) {
		if h.TotalCount() == 0 {
			return
		}
		if hs[name] == nil {
			hs[name] = NewHist()
		}
		hs[name].Merge(h)
	}
	var lastDone, firstDial, lastReady int64
	firstDial = -1
	var receivers int64
	fan := c.Scenario == ScenarioBroadcast || c.Scenario == ScenarioRooms
	for _, l := range r.loops {
		st := l.st
		add(LatRTT, st.rtt)
		add(LatAck, st.ack)
		add(LatConnect, st.connect)
		add(LatJoin, st.join)
		add(LatDelivery, st.delivery)
		add(LatUpgrade, st.upgrade)
		add(LatDeliveryCross, st.cross)
		add(LatDeliverySame, st.same)
		for i, n := range st.upPerNode {
			bump(&res.Conns.PerNode, i, n)
		}
		for k, h := range st.named {
			add(k, h)
		}
		res.Ops.Sent += st.sent
		res.Ops.Completed += st.done
		res.Ops.Timeouts += st.timeouts
		res.Ops.Late += st.late
		res.Ops.NotSent += st.backlog
		res.Conns.Connects += st.connects
		res.Conns.InWindow += st.connectsInWin
		res.Conns.Failed += st.connFails
		res.Conns.Dropped += st.drops
		res.Client.LoopCPU += float64(l.pub.cpuWindow.Load()) / 1e9
		res.Client.LoopConnect += float64(l.pub.cpuConnect.Load()) / 1e9
		res.Client.BytesIn += st.bytesIn
		res.Client.BytesOut += st.bytesOut
		lastDone = max(lastDone, st.lastDone)
		lastReady = max(lastReady, st.lastReady)
		if st.firstDial >= 0 && (firstDial < 0 || st.firstDial < firstDial) {
			firstDial = st.firstDial
		}
		for k, n := range st.errs {
			res.Errors[k] += n
		}
		for k, n := range st.recvByName {
			if res.Received == nil {
				res.Received = map[string]int64{}
			}
			res.Received[k] += n
		}
		receivers += l.upAtWin
		if fan {
			if res.Deliveries == nil {
				res.Deliveries = &DeliveryStats{}
			}
			res.Deliveries.Messages += st.messages
			res.Deliveries.Received += st.deliveries
		}
		mergeSeries(&res.Series, &Series{Ops: st.sOps, Deliveries: st.sDeliv, Conns: st.sConns, Errors: st.sErrs})
	}
	if res.Deliveries != nil {
		res.Deliveries.Receivers = receivers
	}
	for k, h := range hs {
		res.Latency[k] = Summarize(h)
	}
	// Connected count: connections up when the window opened (connect: at
	// the end of the connect phase).
	for _, l := range r.loops {
		res.Conns.Up += l.upAtWin
	}
	if firstDial >= 0 {
		res.Conns.FirstDial = float64(firstDial) / 1e9
		res.Conns.LastReady = float64(max(lastReady, firstDial)) / 1e9
	}
	if start > 0 {
		res.Series.WindowStart = float64(start) / 1e9
		res.Series.WindowEnd = float64(end) / 1e9
		res.Window = float64(end-start) / 1e9
		if c.Count > 0 && lastDone > end {
			res.Window = float64(lastDone-start) / 1e9
			res.Series.WindowEnd = float64(lastDone) / 1e9
		}
	}
	if c.Scenario == ScenarioConnect && c.Mode != ModeHold {
		// the window is the connect phase
		res.Window = res.Conns.LastReady - res.Conns.FirstDial
		res.Series.WindowStart, res.Series.WindowEnd = res.Conns.FirstDial, res.Conns.LastReady
		res.Client.CPU, res.Client.LoopCPU = res.Client.ConnectCPU, res.Client.LoopConnect
		for _, l := range r.loops {
			l.pub.cpuWindow.Store(l.pub.cpuConnect.Load())
		}
	}
	res.Finish()
	res.Warnings = warnings(res, r)
	return res, nil
}

// warnings flags figures that measure the load generator, not the server.
func warnings(res *Result, r *run) []string {
	var w []string
	if res.Window <= 0 {
		return w
	}
	var busiest float64
	for _, l := range r.loops {
		busiest = max(busiest, float64(l.pub.cpuWindow.Load())/1e9/res.Window*100)
	}
	res.Client.LoopPercent = busiest
	if busiest > 90 {
		w = append(w, fmt.Sprintf("siobench is the bottleneck: an event loop used %.0f%% of a core during the window; use more --loops, --procs or cores", busiest))
	}
	if !res.Client.Embedded && res.Client.Percent > 90*float64(res.Client.Cores) {
		w = append(w, fmt.Sprintf("siobench used %.0f%% of its %d allowed core(s): the client limits this measurement", res.Client.Percent, res.Client.Cores))
	}
	if res.Client.Embedded {
		w = append(w, "the bundled server ran inside siobench: client and server share CPUs (pin them apart with `siobench serve` + --url for figures to quote)")
	}
	if res.Ops.NotSent > 0 {
		w = append(w, fmt.Sprintf("%d paced ops were not sent (no connection ready or backlog full): the offered rate was not met", res.Ops.NotSent))
	}
	return w
}

// node is one target server of the run (several: a cluster).
type node struct {
	tgt         *target
	wsReq       []byte // WebSocket handshake without sid
	pollOpenReq []byte
}

// nodeIndex returns the node connection idx goes to: round robin, except
// in the rooms scenario, where member j of every room (connection
// j×rooms+room, the sender being member 0) goes to node j mod nodes, so
// that a room's members sit on other nodes than its sender.
func (r *run) nodeIndex(idx int32) int {
	n := len(r.nodes)
	if n == 1 {
		return 0
	}
	i := int(idx)
	if r.cfg.Scenario == ScenarioRooms {
		i /= r.cfg.Rooms
	}
	return i % n
}

// nodeOf returns the node of session s.
func (r *run) nodeOf(s *session) *node { return &r.nodes[r.nodeIndex(s.idx)] }

// appendWSReq appends the WebSocket handshake request to n (with sid when
// upgrading).
func (r *run) appendWSReq(b []byte, n *node, sid string) []byte {
	b = r.appendReqLine(b, n, "GET", "websocket", sid)
	b = append(b, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	b = append(b, r.wsKey...)
	return append(b, "\r\nSec-WebSocket-Version: 13\r\n\r\n"...)
}

// appendPollReq appends a polling request: a complete GET, or a POST up to
// its Content-Length value.
func (r *run) appendPollReq(b []byte, n *node, method, sid string) []byte {
	b = r.appendReqLine(b, n, method, "polling", sid)
	if method == "POST" {
		return append(b, "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: "...)
	}
	return append(b, "\r\n"...)
}

func (r *run) appendReqLine(b []byte, n *node, method, transport, sid string) []byte {
	t := n.tgt
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, t.path...)
	b = append(b, "?EIO="...)
	b = append(b, '0'+byte(r.cfg.EIO))
	b = append(b, "&transport="...)
	b = append(b, transport...)
	if sid != "" {
		b = append(b, "&sid="...)
		b = append(b, sid...)
	}
	if t.query != "" {
		b = append(b, '&')
		b = append(b, t.query...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, t.host...)
	b = append(b, "\r\nUser-Agent: siobench\r\n"...)
	return b
}

// cpuTimes is a process's user and system CPU time (ns); negative when not read.
type cpuTimes struct{ user, sys int64 }

var noCPU = cpuTimes{-1, -1}

func (t cpuTimes) ok() bool { return t.user >= 0 }

func pidTimes(pid int) cpuTimes {
	u, s := PidCPUSplit(pid)
	return cpuTimes{u, s}
}

// setCPU records the server's CPU between two readings.
func (s *ServerStats) setCPU(from, to cpuTimes) {
	if !to.ok() {
		return
	}
	s.UserCPU = float64(to.user-from.user) / 1e9
	s.SysCPU = float64(to.sys-from.sys) / 1e9
	s.CPU = s.UserCPU + s.SysCPU
}
