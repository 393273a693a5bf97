package loadgen

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion is the version of Result's JSON form.
const SchemaVersion = 1

// Result is the outcome of a run: the JSON document siobench prints with
// --json and reads back with --compare, and what child processes send their
// parent. Raw counts are kept next to the figures derived from them (see
// Finish), so results merge exactly. Times are in seconds, latencies in
// microseconds.
type Result struct {
	Tool      string    `json:"tool"`
	Schema    int       `json:"schema"`
	Label     string    `json:"label,omitempty"`
	Scenario  string    `json:"scenario"`
	Mode      string    `json:"mode,omitempty"`
	Target    string    `json:"target"`
	Transport string    `json:"transport"`
	Namespace string    `json:"namespace"`
	Parser    string    `json:"parser,omitempty"` // msgpack; absent: the default parser
	Started   time.Time `json:"started"`
	Params    Params    `json:"params"`

	Window     float64             `json:"window_s"` // measurement window length
	Conns      ConnStats           `json:"conns"`
	Ops        OpStats             `json:"ops"`
	Deliveries *DeliveryStats      `json:"deliveries,omitempty"`
	Latency    map[string]*Latency `json:"latency"`
	Errors     map[string]int64    `json:"errors"`
	Received   map[string]int64    `json:"received,omitempty"` // custom: in-window events received, by name
	Client     ClientStats         `json:"client"`
	Server     *ServerStats        `json:"server,omitempty"`
	Series     Series              `json:"series"`
	Warnings   []string            `json:"warnings,omitempty"`
	// Interrupted: the caller cancelled the run (Ctrl-C) before its end;
	// the figures cover what was measured until then.
	Interrupted bool `json:"interrupted,omitempty"`
	// Problems says what went wrong, one line each, most basic first
	// (derived, see Finish): connections that failed or were dropped, ops
	// that got no reply, deliveries that did not arrive, errors. A run is
	// clean when it is empty; siobench then exits 0.
	Problems []string `json:"problems,omitempty"`
}

// Params records the run's configuration.
type Params struct {
	Conns           int     `json:"conns"`
	Procs           int     `json:"procs"`
	Nodes           int     `json:"nodes,omitempty"` // target servers (URLs), when more than one
	Loops           int     `json:"loops"`
	DialConcurrency int     `json:"dial_concurrency"`
	Rate            float64 `json:"rate"`
	InFlight        int     `json:"inflight"`
	Duration        float64 `json:"duration_s"`
	Count           int64   `json:"count,omitempty"`
	Warmup          float64 `json:"warmup_s"`
	Payload         int     `json:"payload"`
	Rooms           int     `json:"rooms,omitempty"`
	RoomSize        int     `json:"room_size,omitempty"`
	ChurnOps        int     `json:"churn_ops,omitempty"`
}

// ConnStats counts connections.
type ConnStats struct {
	Target   int   `json:"target"`    // connections asked for
	Up       int64 `json:"up"`        // ready when the window opened
	Connects int64 `json:"connects"`  // handshakes completed, all phases
	InWindow int64 `json:"in_window"` // of which during the window (churn)
	Failed   int64 `json:"failed"`    // attempts that failed
	Dropped  int64 `json:"dropped"`   // ready connections lost (closed by the server, errors)
	// AllLost is when the last connection was lost (s since the origin),
	// when that happened before the window ended: the window was cut there,
	// so throughput and CPU cover the time the server was up.
	AllLost float64 `json:"all_lost_s,omitempty"`
	// PerNode counts the connections up when the window opened by node
	// (--url), when there are several.
	PerNode   []int64 `json:"per_node,omitempty"`
	FirstDial float64 `json:"first_dial"` // connect phase: s since the origin
	LastReady float64 `json:"last_ready"`
	Phase     float64 `json:"phase_s"` // connect phase length (derived)
	PerSec    float64 `json:"per_s"`   // connects/s: Up over Phase, InWindow over Window for churn (derived)

	// Memory of this (these) process(es) around the connect phase.
	RSSBeforeKiB int64   `json:"rss_before_kib,omitempty"`
	RSSAfterKiB  int64   `json:"rss_after_kib,omitempty"`
	HeapBefore   int64   `json:"heap_before,omitempty"`
	HeapAfter    int64   `json:"heap_after,omitempty"`
	BytesPerConn float64 `json:"bytes_per_conn,omitempty"` // RSS delta / Up (derived)
	HeapPerConn  float64 `json:"heap_per_conn,omitempty"`  // Go heap delta / Up (derived)
}

// OpStats counts request/response operations (echo, ack, custom) or, for
// broadcast and rooms, the sender's messages.
type OpStats struct {
	Sent      int64   `json:"sent"`
	Completed int64   `json:"completed"`
	Timeouts  int64   `json:"timeouts"` // no reply within the op timeout or before the drain ended
	Late      int64   `json:"late"`     // replies that came after their timeout
	NotSent   int64   `json:"not_sent"` // paced ops skipped: no connection, or its backlog was full
	PerSec    float64 `json:"per_s"`    // Completed / Window (derived)
}

// DeliveryStats counts the copies of broadcast and room messages.
type DeliveryStats struct {
	Messages  int64   `json:"messages"`  // sent in the window
	Receivers int64   `json:"receivers"` // broadcast: connections up when the window opened
	Fanout    int64   `json:"fanout"`    // copies expected per message (derived)
	Expected  int64   `json:"expected"`  // (derived)
	Received  int64   `json:"received"`
	Missing   int64   `json:"missing"` // (derived)
	Extra     int64   `json:"extra"`   // more than expected: duplicates (derived)
	PerSec    float64 `json:"per_s"`   // (derived)
}

// Latency summarises one histogram; Hist holds it whole (HdrHistogram V2
// compressed, base64) so that results merge and plot exactly.
type Latency struct {
	Count  int64   `json:"count"`
	Min    float64 `json:"min_us"`
	Mean   float64 `json:"mean_us"`
	P50    float64 `json:"p50_us"`
	P90    float64 `json:"p90_us"`
	P99    float64 `json:"p99_us"`
	P999   float64 `json:"p999_us"`
	Max    float64 `json:"max_us"`
	Stddev float64 `json:"stddev_us"`
	Hist   string  `json:"hist"`
}

// ClientStats is siobench's own cost during the window.
type ClientStats struct {
	CPU         float64 `json:"cpu_s"`               // process user+sys
	LoopCPU     float64 `json:"loop_cpu_s"`          // event loop threads only
	Percent     float64 `json:"cpu_pct"`             // process, % of one core (derived)
	LoopPercent float64 `json:"loop_cpu_pct"`        // busiest loop thread, % of one core
	PerOp       float64 `json:"cpu_per_op_us"`       // process CPU / op (derived)
	LoopPerOp   float64 `json:"loop_per_op_us"`      // loop CPU / op (derived)
	ConnectCPU  float64 `json:"connect_cpu_s"`       // process user+sys during the connect phase
	LoopConnect float64 `json:"loop_connect_s"`      // event loops during the connect phase
	PerConnect  float64 `json:"loop_per_connect_us"` // loop CPU per connection made in the connect phase (derived)
	Cores       int     `json:"cores"`               // CPUs the process may use (summed over processes)
	Embedded    bool    `json:"embedded"`            // the bundled server ran in-process: its CPU is in cpu_s
	BytesIn     int64   `json:"bytes_in"`
	BytesOut    int64   `json:"bytes_out"`
}

// ServerStats is the sampled server process (--server-pid or the bundled
// server in a child process) during the window.
type ServerStats struct {
	PID          int     `json:"pid"`
	CPU          float64 `json:"cpu_s"`  // user+sys
	UserCPU      float64 `json:"user_s"` // of which user space
	SysCPU       float64 `json:"sys_s"`  // of which kernel
	Percent      float64 `json:"cpu_pct"`
	PerOp        float64 `json:"cpu_per_op_us"`
	RSSBeforeKiB int64   `json:"rss_before_kib"`
	RSSAfterKiB  int64   `json:"rss_after_kib"`
	PerConnKiB   float64 `json:"rss_per_conn_kib"`
}

// Series is throughput over time, one bucket per Step ms from the origin.
// Unlike the totals it counts warmup and drain too (charts shade the window).
type Series struct {
	Step        int     `json:"step_ms"`
	WindowStart float64 `json:"window_start_s"` // s since the origin
	WindowEnd   float64 `json:"window_end_s"`
	Ops         []int64 `json:"ops"`        // completions
	Deliveries  []int64 `json:"deliveries"` // copies received
	Conns       []int64 `json:"conns"`      // connections up at the bucket's end
	Errors      []int64 `json:"errors"`
}

// Summarize returns the summary of h (values in ns).
func Summarize(h *hdrhistogram.Histogram) *Latency {
	us := func(v int64) float64 { return float64(v) / 1e3 }
	l := &Latency{Count: h.TotalCount(), Hist: EncodeHist(h)}
	if l.Count == 0 {
		return l
	}
	l.Min, l.Max = us(h.Min()), us(h.Max())
	l.Mean, l.Stddev = h.Mean()/1e3, h.StdDev()/1e3
	l.P50, l.P90 = us(h.ValueAtQuantile(50)), us(h.ValueAtQuantile(90))
	l.P99, l.P999 = us(h.ValueAtQuantile(99)), us(h.ValueAtQuantile(99.9))
	return l
}

// Ops returns the number of operations the run's throughput counts: ops
// completed, or deliveries received for broadcast and rooms, or connections
// made for connect.
func (r *Result) OpsDone() int64 {
	switch r.Scenario {
	case ScenarioBroadcast, ScenarioRooms:
		if r.Deliveries != nil {
			return r.Deliveries.Received
		}
	case ScenarioConnect:
		return r.Conns.Up
	}
	return r.Ops.Completed
}

// MainLatency returns the key of the latency that matters most for the
// scenario.
func (r *Result) MainLatency() string {
	switch r.Scenario {
	case ScenarioEcho, ScenarioChurn:
		return LatRTT
	case ScenarioAck:
		return LatAck
	case ScenarioBroadcast, ScenarioRooms:
		return LatDelivery
	case ScenarioConnect:
		return LatConnect
	}
	keys := slices.Sorted(maps.Keys(r.Latency))
	for _, k := range keys {
		if strings.HasPrefix(k, "ack:") || strings.HasPrefix(k, "reply:") {
			return k
		}
	}
	if len(keys) > 0 {
		return keys[0]
	}
	return ""
}

// Finish computes the derived fields from the raw ones.
func (r *Result) Finish() {
	c := &r.Conns
	c.Phase = max(0, c.LastReady-c.FirstDial)
	c.PerSec = 0
	if r.Scenario == ScenarioChurn {
		if r.Window > 0 {
			c.PerSec = float64(c.InWindow) / r.Window
		}
	} else if c.Phase > 0 {
		c.PerSec = float64(c.Up) / c.Phase
	}
	c.BytesPerConn, c.HeapPerConn = 0, 0
	if c.Up > 0 && c.RSSAfterKiB > 0 && r.Scenario == ScenarioConnect {
		c.BytesPerConn = float64(c.RSSAfterKiB-c.RSSBeforeKiB) * 1024 / float64(c.Up)
		c.HeapPerConn = float64(c.HeapAfter-c.HeapBefore) / float64(c.Up)
	}
	if r.Window > 0 {
		r.Ops.PerSec = float64(r.Ops.Completed) / r.Window
	}
	if d := r.Deliveries; d != nil {
		switch r.Scenario {
		case ScenarioBroadcast:
			d.Fanout = d.Receivers
		case ScenarioRooms:
			d.Fanout = int64(r.Params.RoomSize)
		}
		d.Expected = d.Messages * d.Fanout
		d.Missing = max(0, d.Expected-d.Received)
		d.Extra = max(0, d.Received-d.Expected)
		if r.Window > 0 {
			d.PerSec = float64(d.Received) / r.Window
		}
	}
	cl := &r.Client
	cl.Percent, cl.PerOp, cl.LoopPerOp = 0, 0, 0
	if r.Window > 0 {
		cl.Percent = 100 * cl.CPU / r.Window
	}
	if n := r.OpsDone(); n > 0 {
		cl.PerOp = cl.CPU / float64(n) * 1e6
		cl.LoopPerOp = cl.LoopCPU / float64(n) * 1e6
	}
	cl.PerConnect = 0
	if c.Up > 0 {
		cl.PerConnect = cl.LoopConnect / float64(c.Up) * 1e6
	}
	if s := r.Server; s != nil {
		s.Percent, s.PerOp, s.PerConnKiB = 0, 0, 0
		if r.Window > 0 {
			s.Percent = 100 * s.CPU / r.Window
		}
		if n := r.OpsDone(); n > 0 {
			s.PerOp = s.CPU / float64(n) * 1e6
		}
		if c.Up > 0 && s.RSSAfterKiB > 0 {
			s.PerConnKiB = float64(s.RSSAfterKiB-s.RSSBeforeKiB) / float64(c.Up)
		}
	}
	r.Problems = r.problems()
}

// eventName is the event the scenario's ops (messages) are answered
// (delivered) with, as the target's bench app knows it; "" for custom and
// connect.
func (r *Result) eventName() string {
	switch r.Scenario {
	case ScenarioEcho, ScenarioChurn:
		return "echo"
	case ScenarioAck:
		return "echoack"
	case ScenarioBroadcast:
		return "bcast"
	case ScenarioRooms:
		return "toroom"
	}
	return ""
}

// topError returns the most frequent error kind starting with one of
// prefixes, "" when none.
func (r *Result) topError(prefixes ...string) string {
	for _, k := range r.ErrorKinds() {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				return k
			}
		}
	}
	return ""
}

func sum(s []int64) int64 {
	var n int64
	for _, v := range s {
		n += v
	}
	return n
}

// problems derives Result.Problems from the counts.
func (r *Result) problems() []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	why := func(kind string) string {
		if kind == "" {
			return ""
		}
		return " (" + kind + ")"
	}
	if r.Interrupted {
		add("interrupted before the run ended (the figures cover what was measured until then)")
	}
	c := &r.Conns
	connKinds := []string{"connect:", "handshake:", "namespace:", "join:", "conn:", "protocol:", "upgrade:"}
	if c.Up == 0 && c.Connects == 0 {
		add("no connection came up%s", why(r.topError(connKinds...)))
		return p
	}
	if c.Failed > 0 {
		add("%d of %d connection attempts failed%s", c.Failed, c.Failed+c.Connects, why(r.topError(connKinds...)))
	}
	if c.Dropped > 0 {
		line := fmt.Sprintf("the server dropped %d connection(s) during the run%s", c.Dropped, why(r.topError("conn:", "protocol:")))
		if c.AllLost > 0 && r.Series.WindowStart > 0 {
			line += fmt.Sprintf("; the last one %.2fs into the window, which ends there", max(0, c.AllLost-r.Series.WindowStart))
		}
		p = append(p, line)
	}
	ev := r.eventName()
	switch r.Scenario {
	case ScenarioConnect:
	case ScenarioBroadcast, ScenarioRooms:
		d := r.Deliveries
		if d == nil {
			break
		}
		switch {
		case d.Received == 0 && sum(r.Series.Deliveries) == 0:
			add("the server never delivered %s (%d message(s) sent in the window, no copy arrived)", ev, d.Messages)
		case d.Messages == 0:
			add("no %s was sent in the window", ev)
		case d.Missing > 0:
			add("%d of %d expected %s deliveries are missing", d.Missing, d.Expected, ev)
		}
		if d.Extra > 0 {
			add("%d %s deliveries more than expected (duplicates)", d.Extra, ev)
		}
		if r.Params.Nodes > 1 && d.Messages > 0 && len(c.PerNode) > 1 && sum(c.PerNode[1:]) > 0 && r.Latency[LatDeliveryCross] == nil {
			add("no %s crossed nodes: the %d nodes do not pass broadcasts to each other (no adapter?)", ev, r.Params.Nodes)
		}
	default:
		o := &r.Ops
		name := ev
		if name == "" {
			name = "the scenario's events"
		}
		switch {
		case o.Completed == 0 && sum(r.Series.Ops) == 0:
			add("the server never answered %s (%d sent in the window, %d timeouts)", name, o.Sent, o.Timeouts)
		case o.Sent == 0:
			add("nothing was sent in the window")
		case o.Timeouts > 0:
			add("%d of %d ops sent got no reply%s", o.Timeouts, o.Sent, why(r.topError("op:")))
		}
	}
	if len(p) == 0 && len(r.Errors) > 0 {
		ks := r.ErrorKinds()
		line := fmt.Sprintf("%d error(s): %s ×%d", r.TotalErrors(), ks[0], r.Errors[ks[0]])
		if len(ks) > 1 {
			line += fmt.Sprintf(" and %d other kind(s)", len(ks)-1)
		}
		p = append(p, line)
	}
	return p
}

// Merge combines the results of the processes of one run (same scenario,
// same time line) into a new Result. Counts add up, histograms merge,
// windows and connect phases span all processes, and the derived figures are
// recomputed. The inputs are not modified.
func Merge(rs []*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, fmt.Errorf("merge: no results")
	}
	out := *rs[0]
	out.Latency = map[string]*Latency{}
	out.Errors = map[string]int64{}
	out.Received = nil
	out.Warnings = nil
	out.Series = Series{Step: rs[0].Series.Step}
	out.Conns = ConnStats{}
	out.Ops = OpStats{}
	out.Client = ClientStats{}
	if rs[0].Deliveries != nil {
		out.Deliveries = &DeliveryStats{}
	}
	out.Params.Conns, out.Params.Procs, out.Window = 0, 0, 0
	hists := map[string]*hdrhistogram.Histogram{}
	first := true
	for i, r := range rs {
		if r.Scenario != out.Scenario {
			return nil, fmt.Errorf("merge: scenario %q with %q", r.Scenario, out.Scenario)
		}
		if r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		out.Params.Conns += r.Params.Conns
		out.Params.Procs += max(1, r.Params.Procs)
		out.Window = max(out.Window, r.Window)

		c, rc := &out.Conns, &r.Conns
		c.Target += rc.Target
		c.Up += rc.Up
		c.Connects += rc.Connects
		c.InWindow += rc.InWindow
		c.Failed += rc.Failed
		c.Dropped += rc.Dropped
		if i == 0 || c.AllLost > 0 {
			c.AllLost = max(c.AllLost, rc.AllLost) // only when every process lost all
			if rc.AllLost == 0 {
				c.AllLost = 0
			}
		}
		if rc.LastReady > 0 || rc.FirstDial > 0 {
			if first || rc.FirstDial < c.FirstDial {
				c.FirstDial = rc.FirstDial
			}
			c.LastReady = max(c.LastReady, rc.LastReady)
			first = false
		}
		for j, n := range rc.PerNode {
			bump(&c.PerNode, j, n)
		}
		c.RSSBeforeKiB += rc.RSSBeforeKiB
		c.RSSAfterKiB += rc.RSSAfterKiB
		c.HeapBefore += rc.HeapBefore
		c.HeapAfter += rc.HeapAfter

		o := &out.Ops
		o.Sent += r.Ops.Sent
		o.Completed += r.Ops.Completed
		o.Timeouts += r.Ops.Timeouts
		o.Late += r.Ops.Late
		o.NotSent += r.Ops.NotSent

		if d := r.Deliveries; d != nil {
			if out.Deliveries == nil {
				out.Deliveries = &DeliveryStats{}
			}
			out.Deliveries.Messages += d.Messages
			out.Deliveries.Receivers += d.Receivers
			out.Deliveries.Received += d.Received
		}
		for k, l := range r.Latency {
			h, err := DecodeHist(l.Hist)
			if err != nil {
				return nil, fmt.Errorf("merge: result %d, latency %s: %w", i, k, err)
			}
			if hists[k] == nil {
				hists[k] = NewHist()
			}
			hists[k].Merge(h)
		}
		for k, n := range r.Errors {
			out.Errors[k] += n
		}
		if len(r.Received) > 0 && out.Received == nil {
			out.Received = map[string]int64{}
		}
		for k, n := range r.Received {
			out.Received[k] += n
		}
		cl := &out.Client
		cl.CPU += r.Client.CPU
		cl.LoopCPU += r.Client.LoopCPU
		cl.LoopPercent = max(cl.LoopPercent, r.Client.LoopPercent)
		cl.ConnectCPU += r.Client.ConnectCPU
		cl.LoopConnect += r.Client.LoopConnect
		cl.Cores += r.Client.Cores
		cl.Embedded = cl.Embedded || r.Client.Embedded
		cl.BytesIn += r.Client.BytesIn
		cl.BytesOut += r.Client.BytesOut
		out.Interrupted = out.Interrupted || r.Interrupted

		mergeSeries(&out.Series, &r.Series)
		for _, w := range r.Warnings {
			if len(rs) > 1 && !everyOne(rs, w) {
				w = fmt.Sprintf("process %d: %s", i, w)
			} else if i > 0 {
				continue // said once for all
			}
			out.Warnings = append(out.Warnings, w)
		}
	}
	for k, h := range hists {
		out.Latency[k] = Summarize(h)
	}
	if out.Server != nil {
		s := *out.Server
		out.Server = &s
	}
	out.Finish()
	return &out, nil
}

// everyOne reports whether every result warns w.
func everyOne(rs []*Result, w string) bool {
	for _, r := range rs {
		if !slices.Contains(r.Warnings, w) {
			return false
		}
	}
	return true
}

// mergeSeries adds src into dst bucket by bucket. Conns buckets hold a level
// (-1: not sampled), carried forward over gaps before adding.
func mergeSeries(dst, src *Series) {
	if dst.Step == 0 {
		dst.Step = src.Step
	}
	if dst.WindowStart == 0 || (src.WindowStart > 0 && src.WindowStart < dst.WindowStart) {
		dst.WindowStart = src.WindowStart
	}
	dst.WindowEnd = max(dst.WindowEnd, src.WindowEnd)
	add := func(d *[]int64, s []int64) {
		for i, v := range s {
			bump(d, i, v)
		}
	}
	add(&dst.Ops, src.Ops)
	add(&dst.Deliveries, src.Deliveries)
	add(&dst.Errors, src.Errors)
	// Conns holds levels: extend both to one length with their last value.
	n := max(len(dst.Conns), len(src.Conns), len(dst.Ops), len(dst.Deliveries), len(dst.Errors))
	sc := slices.Clone(src.Conns)
	extendLevel(&dst.Conns, n)
	extendLevel(&sc, n)
	for i := range n {
		dst.Conns[i] += sc[i]
	}
}

// extendLevel fills the unsampled (-1) buckets of a level series with the
// level before them and extends it to n buckets the same way.
func extendLevel(s *[]int64, n int) {
	var last int64
	for i, v := range *s {
		if v < 0 {
			(*s)[i] = last
		}
		last = (*s)[i]
	}
	for len(*s) < n {
		*s = append(*s, last)
	}
}

// ErrorKinds returns the error kinds of r, most frequent first.
func (r *Result) ErrorKinds() []string {
	ks := slices.Collect(maps.Keys(r.Errors))
	sort.Slice(ks, func(i, j int) bool {
		if r.Errors[ks[i]] != r.Errors[ks[j]] {
			return r.Errors[ks[i]] > r.Errors[ks[j]]
		}
		return ks[i] < ks[j]
	})
	return ks
}

// TotalErrors sums r's errors.
func (r *Result) TotalErrors() int64 {
	var n int64
	for _, v := range r.Errors {
		n += v
	}
	return n
}
