package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/sioloop/sioloop/internal/loadgen"
)

// opNoun names what the scenario's throughput counts.
func opNoun(r *loadgen.Result) string {
	switch r.Scenario {
	case loadgen.ScenarioEcho, loadgen.ScenarioChurn:
		return "round trips"
	case loadgen.ScenarioAck:
		return "acks"
	case loadgen.ScenarioBroadcast, loadgen.ScenarioRooms:
		return "deliveries"
	case loadgen.ScenarioConnect:
		return "connections"
	}
	return "ops"
}

// opSingular names one op.
func opSingular(r *loadgen.Result) string {
	switch n := opNoun(r); n {
	case "deliveries":
		return "delivery"
	default:
		return strings.TrimSuffix(n, "s")
	}
}

// printTable writes the human summary of r.
func printTable(w io.Writer, r *loadgen.Result) {
	p := r.Params
	loopDesc := "closed loop"
	if p.Rate > 0 {
		loopDesc = "paced " + human(p.Rate) + "/s"
	} else if p.InFlight > 1 {
		loopDesc = fmt.Sprintf("closed loop, %d in flight", p.InFlight)
	}
	head := fmt.Sprintf("siobench %s", r.Scenario)
	if r.Mode != "" {
		head += " " + r.Mode
	}
	if r.Label != "" {
		head += " [" + r.Label + "]"
	}
	tr := r.Transport
	if r.Parser != "" {
		tr += " · " + r.Parser + " parser"
	}
	fmt.Fprintf(w, "%s · %s%s · %s · %d conns", head, r.Target, nspSuffix(r.Namespace), tr, p.Conns)
	if p.Procs > 1 {
		fmt.Fprintf(w, " in %d processes", p.Procs)
	}
	if r.Scenario != loadgen.ScenarioConnect {
		fmt.Fprintf(w, " · %s · %d B", loopDesc, p.Payload)
	}
	fmt.Fprintf(w, " · window %.2fs", r.Window)
	if p.Warmup > 0 && r.Window > 0 {
		fmt.Fprintf(w, " (warmup %gs)", p.Warmup)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)

	c := r.Conns
	line := fmt.Sprintf("%d/%d up · %d failed · %d dropped", c.Up, c.Target, c.Failed, c.Dropped)
	if c.Phase > 0 {
		line += fmt.Sprintf(" · connect phase %s (%s/s)", fmtDur(c.Phase*1e6), commas(c.PerSec))
	}
	if r.Scenario == loadgen.ScenarioChurn {
		line = fmt.Sprintf("%d/%d up · %d reconnects in the window (%s/s) · %d failed · %d dropped", c.Up, c.Target, c.InWindow, commas(c.PerSec), c.Failed, c.Dropped)
	}
	if len(c.PerNode) > 1 {
		var parts []string
		for _, n := range c.PerNode {
			parts = append(parts, commas(float64(n)))
		}
		line += " · per node " + strings.Join(parts, " / ")
	}
	row(w, "connections", line)
	if c.Up == 0 && c.Connects == 0 {
		for i, k := range r.ErrorKinds() {
			label := ""
			if i == 0 {
				label = "errors"
			}
			row(w, label, fmt.Sprintf("%10s  %s", commas(float64(r.Errors[k])), k))
		}
		verdict(w, r)
		return
	}

	switch r.Scenario {
	case loadgen.ScenarioConnect:
		if c.BytesPerConn != 0 {
			row(w, "memory", fmt.Sprintf("client RSS %+.2f KiB/conn, Go heap %+.2f KiB/conn", c.BytesPerConn/1024, c.HeapPerConn/1024))
		}
	case loadgen.ScenarioBroadcast, loadgen.ScenarioRooms:
		if d := r.Deliveries; d != nil {
			row(w, "throughput", fmt.Sprintf("%s deliveries/s · %s messages/s", commas(d.PerSec), commas(float64(d.Messages)/math.Max(r.Window, 1e-9))))
			row(w, "deliveries", fmt.Sprintf("%s messages × %s = %s expected · %s received · %s missing%s",
				commas(float64(d.Messages)), commas(float64(d.Fanout)), commas(float64(d.Expected)),
				commas(float64(d.Received)), commas(float64(d.Missing)), extra(d.Extra)))
		}
	default:
		o := r.Ops
		row(w, "throughput", fmt.Sprintf("%s %s/s · %s completed of %s sent · %s timeouts%s",
			commas(o.PerSec), opNoun(r), commas(float64(o.Completed)), commas(float64(o.Sent)), commas(float64(o.Timeouts)), notSent(o)))
		if len(r.Received) > 0 {
			keys := slices.Sorted(mapsKeys(r.Received))
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s %s", k, commas(float64(r.Received[k]))))
			}
			row(w, "received", strings.Join(parts, " · "))
		}
	}
	fmt.Fprintln(w)

	if len(r.Latency) > 0 {
		kw := 12
		for k := range r.Latency {
			kw = max(kw, len(k))
		}
		fmt.Fprintf(w, "%-*s %10s %9s %9s %9s %9s %9s %9s\n", kw+2, "latency", "count", "p50", "p90", "p99", "p99.9", "max", "mean")
		for _, k := range latencyOrder(r) {
			l := r.Latency[k]
			fmt.Fprintf(w, "  %-*s %10s %9s %9s %9s %9s %9s %9s\n", kw, k, commas(float64(l.Count)),
				fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.P999), fmtDur(l.Max), fmtDur(l.Mean))
		}
		fmt.Fprintln(w)
	}

	if len(r.Errors) == 0 {
		row(w, "errors", "none")
	} else {
		for i, k := range r.ErrorKinds() {
			label := ""
			if i == 0 {
				label = "errors"
			}
			row(w, label, fmt.Sprintf("%10s  %s", commas(float64(r.Errors[k])), k))
		}
	}
	cl := r.Client
	cpu := fmt.Sprintf("CPU %.0f%% of a core", cl.Percent)
	if cl.Embedded {
		cpu += " (server included)"
	}
	if cl.LoopCPU > 0 {
		cpu += fmt.Sprintf(" · event loops %.0f%% (busiest %.0f%%)", 100*cl.LoopCPU/math.Max(r.Window, 1e-9), cl.LoopPercent)
	}
	if n := r.OpsDone(); n > 0 && r.Scenario != loadgen.ScenarioConnect {
		unit := opSingular(r)
		if cl.Embedded {
			cpu += fmt.Sprintf(" · loops %.2f µs per %s", cl.LoopPerOp, unit)
		} else {
			cpu += fmt.Sprintf(" · %.2f µs per %s (loops %.2f)", cl.PerOp, unit, cl.LoopPerOp)
		}
	} else if r.Scenario == loadgen.ScenarioConnect && c.Up > 0 {
		cpu += fmt.Sprintf(" · %.1f µs per connection (loops %.1f)", cl.ConnectCPU/float64(c.Up)*1e6, cl.PerConnect)
	}
	row(w, "client", fmt.Sprintf("%s · %d core(s)", cpu, cl.Cores))
	if s := r.Server; s != nil {
		line := fmt.Sprintf("pid %d · CPU %.0f%% of a core", s.PID, s.Percent)
		if s.CPU > 0 {
			line += fmt.Sprintf(" (%.0f%% kernel)", 100*s.SysCPU/s.CPU)
		}
		if s.PerOp > 0 {
			line += fmt.Sprintf(" · %.2f µs per %s", s.PerOp, opSingular(r))
		}
		if s.RSSAfterKiB > 0 {
			line += fmt.Sprintf(" · RSS %d KiB", s.RSSAfterKiB)
			if s.PerConnKiB != 0 && r.Scenario == loadgen.ScenarioConnect {
				line += fmt.Sprintf(" (%+.2f KiB/conn)", s.PerConnKiB)
			}
		}
		row(w, "server", line)
	}
	for _, wn := range r.Warnings {
		row(w, "warning", wn)
	}
	verdict(w, r)
}

// verdict writes the result row(s): ok, or what went wrong.
func verdict(w io.Writer, r *loadgen.Result) {
	if len(r.Problems) == 0 {
		row(w, "result", "ok")
		return
	}
	for i, p := range r.Problems {
		label := ""
		if i == 0 {
			label = "result"
			p = "FAILED: " + p
		}
		row(w, label, p)
	}
}

func row(w io.Writer, label, text string) { fmt.Fprintf(w, "%-14s %s\n", label, text) }

func nspSuffix(nsp string) string {
	if nsp == "/" || nsp == "" {
		return ""
	}
	return " " + nsp
}

func extra(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" · %s extra (duplicates)", commas(float64(n)))
}

func notSent(o loadgen.OpStats) string {
	s := ""
	if o.Late > 0 {
		s += fmt.Sprintf(" · %s late", commas(float64(o.Late)))
	}
	if o.NotSent > 0 {
		s += fmt.Sprintf(" · %s not sent", commas(float64(o.NotSent)))
	}
	return s
}

// latencyOrder lists r's histograms, the scenario's main one first.
func latencyOrder(r *loadgen.Result) []string {
	keys := slices.Sorted(mapsKeys(r.Latency))
	main := r.MainLatency()
	out := []string{}
	if _, ok := r.Latency[main]; ok {
		out = append(out, main)
	}
	for _, k := range keys { // its parts (delivery:cross-node) next
		if strings.HasPrefix(k, main+":") {
			out = append(out, k)
		}
	}
	for _, k := range keys {
		if k != main && !strings.HasPrefix(k, main+":") {
			out = append(out, k)
		}
	}
	return out
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// fmtDur formats microseconds with a unit.
func fmtDur(us float64) string {
	switch {
	case us <= 0:
		return "-"
	case us < 1000:
		return fmt.Sprintf("%.0fµs", us)
	case us < 10_000:
		return fmt.Sprintf("%.2fms", us/1e3)
	case us < 1e6:
		return fmt.Sprintf("%.1fms", us/1e3)
	}
	return fmt.Sprintf("%.2fs", us/1e6)
}

// commas formats v rounded, with thousands separators.
func commas(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	n := int64(math.Round(v))
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// human formats v compactly: 950, 41.2k, 1.30M.
func human(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case a >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
