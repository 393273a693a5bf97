package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/sioloop/sioloop/internal/timer"
)

// timerProbes measure how late the server's timers fire under its real
// load: probe nodes on the server's own timer set (the one that runs the
// heartbeats), each re-armed every period like a heartbeat, each recording
// fire time − deadline. The library carries no hook for this.
type timerProbes struct {
	w      *timer.Wheel
	period time.Duration
	nodes  []probe
	mu     sync.Mutex
	late   []time.Duration // since the last report
}

type probe struct {
	tm       timer.Node
	p        *timerProbes
	deadline time.Time
}

func (pr *probe) arm(d time.Duration) {
	pr.deadline = time.Now().Add(d)
	pr.p.w.Schedule(&pr.tm, d)
}

// OnTimer runs on the timer goroutine.
func (pr *probe) OnTimer(*timer.Node) {
	late := time.Since(pr.deadline)
	pr.p.mu.Lock()
	pr.p.late = append(pr.p.late, late)
	pr.p.mu.Unlock()
	pr.arm(pr.p.period)
}

// startTimerProbes arms n probes with random phases over one period.
func startTimerProbes(w *timer.Wheel, n int, period time.Duration) *timerProbes {
	p := &timerProbes{w: w, period: period, nodes: make([]probe, n)}
	for i := range p.nodes {
		pr := &p.nodes[i]
		pr.p = p
		pr.tm.Init(pr)
		pr.arm(time.Duration(rand.Int64N(int64(period))))
	}
	return p
}

// report writes the lateness quantiles of the firings since the last
// report and forgets them.
func (p *timerProbes) report(out io.Writer) {
	p.mu.Lock()
	late := p.late
	p.late = make([]time.Duration, 0, len(late))
	p.mu.Unlock()
	if len(late) == 0 {
		return
	}
	slices.Sort(late)
	q := func(f float64) time.Duration { return late[int(f*float64(len(late)-1))] }
	fmt.Fprintf(out, "timer lateness: %d firings · p50 %v · p99 %v · max %v\n",
		len(late), q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), q(1).Round(time.Microsecond))
}
