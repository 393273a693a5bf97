package timer

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// heartbeatDelay is a deadline in the range of a default heartbeat (25 s
// ping interval), so nothing fires during the benchmarks of the API.
func heartbeatDelay(r *rand.Rand) time.Duration {
	return 20*time.Second + time.Duration(r.IntN(10_000))*time.Millisecond
}

// armed returns a wheel holding n armed timers (deadlines 20–30 s away).
func armed(b *testing.B, n int) (*Wheel, []Node) {
	w := New()
	var c counter
	nodes := make([]Node, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range nodes {
		nodes[i].Init(&c)
		w.Schedule(&nodes[i], heartbeatDelay(r))
	}
	b.Cleanup(w.Close)
	return w, nodes
}

var sizes = []int{10_000, 1_000_000}

// BenchmarkScheduleStop: arm one more timer and stop it, with n armed.
func BenchmarkScheduleStop(b *testing.B) {
	for _, n := range sizes {
		b.Run("armed="+strconv.Itoa(n), func(b *testing.B) {
			w, _ := armed(b, n)
			var c counter
			var x Node
			x.Init(&c)
			r := rand.New(rand.NewPCG(3, 4))
			b.ReportAllocs()
			for b.Loop() {
				w.Schedule(&x, heartbeatDelay(r))
				w.Stop(&x)
			}
		})
	}
}

// BenchmarkReschedule: move an armed timer to a new deadline, as a pong
// does to its session's heartbeat, with n armed.
func BenchmarkReschedule(b *testing.B) {
	for _, n := range sizes {
		b.Run("armed="+strconv.Itoa(n), func(b *testing.B) {
			w, nodes := armed(b, n)
			r := rand.New(rand.NewPCG(3, 4))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				w.Schedule(&nodes[i], heartbeatDelay(r))
				if i++; i == len(nodes) {
					i = 0
				}
			}
		})
	}
}

// beat is a session's heartbeat: on firing it records how late it came and
// re-arms itself one period later, like ping → pong → next ping.
type beat struct {
	tm       Node
	w        *Wheel
	period   time.Duration
	deadline time.Time
	rec      *recorder
}

func (o *beat) arm(d time.Duration) {
	o.deadline = time.Now().Add(d)
	o.w.Schedule(&o.tm, d)
}

func (o *beat) OnTimer(*Node) {
	now := time.Now()
	o.rec.add(now.Sub(o.deadline))
	o.arm(o.period)
}

type recorder struct {
	mu   sync.Mutex
	late []time.Duration
	want int
	done chan struct{}
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	if len(r.late) < r.want {
		r.late = append(r.late, d)
		if len(r.late) == r.want {
			close(r.done)
		}
	}
	r.mu.Unlock()
}

// BenchmarkHeartbeatLateness: 10,000 heartbeats (1 s period, random phase)
// on one wheel; an op is one firing. Reports how late firings come (fire
// time − deadline): p50, p99 and max in µs. Use -benchtime=50000x or more
// (5 s of firings) for meaningful tails.
func BenchmarkHeartbeatLateness(b *testing.B) {
	const n = 10_000
	w := New()
	defer w.Close()
	rec := &recorder{want: b.N, done: make(chan struct{}), late: make([]time.Duration, 0, b.N)}
	beats := make([]beat, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range beats {
		o := &beats[i]
		*o = beat{w: w, period: time.Second, rec: rec}
		o.tm.Init(o)
		o.arm(time.Duration(rand.IntN(1_000_000)) * time.Microsecond)
	}
	<-rec.done
	b.StopTimer()
	rec.mu.Lock()
	late := slices.Clone(rec.late)
	rec.mu.Unlock()
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	b.ReportMetric(us(quantile(late, 0.5)), "p50-µs")
	b.ReportMetric(us(quantile(late, 0.99)), "p99-µs")
	b.ReportMetric(us(quantile(late, 1)), "max-µs")
	b.ReportMetric(us(quantile(late, 0)), "min-µs")
}

// quantile returns the q-quantile of ds (sorting it).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}
