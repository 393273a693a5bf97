package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sioloop/sioloop/internal/loadgen"
)

// Meta describes a campaign.
type Meta struct {
	Started   string   `json:"started"`
	Elapsed   string   `json:"elapsed,omitempty"`
	Command   string   `json:"command"`
	Full      bool     `json:"full"`
	Rounds    int      `json:"rounds"`
	Servers   []string `json:"servers"`
	ServerCPU string   `json:"server_cpu"`
	ClientCPU string   `json:"client_cpu"`
	CPU       string   `json:"cpu_model,omitempty"`
	CPUs      int      `json:"cpus"`
	Kernel    string   `json:"kernel,omitempty"`
	Go        string   `json:"go"`
	Node      string   `json:"node,omitempty"`
	SocketIO  string   `json:"socket_io,omitempty"`
	Git       string   `json:"git,omitempty"`
	LoadAvg   string   `json:"loadavg_at_start,omitempty"`
}

type document struct {
	Meta      Meta        `json:"meta"`
	Workloads []*wlResult `json:"workloads"`
}

type wlResult struct {
	Workload workload              `json:"workload"`
	Servers  map[string]*srvResult `json:"servers"`
}

type srvResult struct {
	Server  server          `json:"server"`
	Runs    []*runMetrics   `json:"runs"`
	Summary map[string]stat `json:"summary"` // median and spread over the good runs, by metric
	Flags   []string        `json:"flags,omitempty"`
}

// stat is the median of a metric over the rounds, with its range.
type stat struct {
	Med float64 `json:"median"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	N   int     `json:"n"`
}

// spread is (max-min)/median in %.
func (s stat) spread() float64 {
	if s.Med == 0 {
		return 0
	}
	return 100 * (s.Max - s.Min) / s.Med
}

// runMetrics is what one run measured (all latencies in µs, CPU per op in
// µs of CPU time).
type runMetrics struct {
	Round  int    `json:"round"`
	Server string `json:"server"`
	File   string `json:"file"` // siobench's JSON, relative to the output dir
	Err    string `json:"error,omitempty"`
	OK     bool   `json:"ok"`

	Window     float64 `json:"window_s"`
	Up         int64   `json:"conns_up"`
	Ops        int64   `json:"ops"` // what throughput counts
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50_us"`
	P99        float64 `json:"p99_us"`
	P999       float64 `json:"p999_us"`

	ServerPerOp     float64 `json:"server_us_per_op"`
	ServerUserPerOp float64 `json:"server_user_us_per_op"`
	ServerSysPerOp  float64 `json:"server_sys_us_per_op"`
	ServerPct       float64 `json:"server_cpu_pct"`
	ServerRSSPerKiB float64 `json:"server_rss_per_conn_kib,omitempty"`

	ServerRSSStartKiB int64 `json:"server_rss_start_kib"`

	ClientPct     float64 `json:"client_cpu_pct"`
	ClientLoopPct float64 `json:"client_loop_pct"`
	ClientPerOp   float64 `json:"client_us_per_op"`

	Missing  int64 `json:"missing,omitempty"`
	Errors   int64 `json:"errors,omitempty"`
	Timeouts int64 `json:"timeouts,omitempty"`
	NotSent  int64 `json:"not_sent,omitempty"`
	Behind   bool  `json:"behind,omitempty"` // paced: did not keep up with the offered load
}

// fill takes the figures of a siobench result.
func (m *runMetrics) fill(r *loadgen.Result, w workload) {
	m.Window = r.Window
	m.Up = r.Conns.Up
	m.Ops = r.OpsDone()
	if l := r.Latency[r.MainLatency()]; l != nil {
		m.P50, m.P99, m.P999 = l.P50, l.P99, l.P999
	}
	span := r.Window // the time CPU percentages are over
	switch r.Scenario {
	case loadgen.ScenarioConnect:
		m.Throughput = r.Conns.PerSec
		span = r.Conns.Phase
		if span > 0 {
			m.ClientPct = 100 * r.Client.ConnectCPU / span
			m.ClientLoopPct = 100 * r.Client.LoopConnect / span
		}
		if m.Ops > 0 {
			m.ClientPerOp = r.Client.ConnectCPU / float64(m.Ops) * 1e6
		}
	case loadgen.ScenarioBroadcast, loadgen.ScenarioRooms:
		if d := r.Deliveries; d != nil {
			m.Throughput = d.PerSec
			m.Missing = d.Missing
		}
	default:
		m.Throughput = r.Ops.PerSec
	}
	if r.Scenario != loadgen.ScenarioConnect {
		m.ClientPct, m.ClientLoopPct, m.ClientPerOp = r.Client.Percent, r.Client.LoopPercent, r.Client.PerOp
	}
	if s := r.Server; s != nil {
		if m.Ops > 0 {
			m.ServerPerOp = s.CPU / float64(m.Ops) * 1e6
			m.ServerUserPerOp = s.UserCPU / float64(m.Ops) * 1e6
			m.ServerSysPerOp = s.SysCPU / float64(m.Ops) * 1e6
		}
		if span > 0 {
			m.ServerPct = 100 * s.CPU / span
		}
		if r.Scenario == loadgen.ScenarioConnect {
			m.ServerRSSPerKiB = s.PerConnKiB
		}
	}
	m.Errors = r.TotalErrors()
	m.Timeouts = r.Ops.Timeouts
	m.NotSent = r.Ops.NotSent
	if w.Offered > 0 {
		m.Behind = m.Throughput < 0.95*w.Offered || m.Timeouts > 0 || m.NotSent > 0
	}
	m.OK = m.Up > 0 && m.Ops > 0
}

// line is the progress line of a run.
func (m *runMetrics) line(w workload) string {
	if !m.OK {
		return "FAILED: " + m.Err
	}
	s := fmt.Sprintf("%s %s · p99 %s · server %.2f µs/op (%.0f%% kernel, %.0f%% CPU) · siobench %.0f%%",
		human(m.Throughput), w.Unit, fmtUS(m.P99), m.ServerPerOp, pct(m.ServerSysPerOp, m.ServerPerOp), m.ServerPct, m.ClientPct)
	if m.ServerRSSPerKiB != 0 {
		s += fmt.Sprintf(" · %.2f KiB/conn", m.ServerRSSPerKiB)
	}
	if m.Missing > 0 {
		s += fmt.Sprintf(" · %d missing", m.Missing)
	}
	if m.Errors > 0 {
		s += fmt.Sprintf(" · %d errors", m.Errors)
	}
	if m.Behind {
		s += " · BEHIND the offered load"
	}
	if m.Err != "" {
		s += " · " + m.Err
	}
	return s
}

var metricGetters = map[string]func(*runMetrics) float64{
	"throughput":              func(m *runMetrics) float64 { return m.Throughput },
	"p50_us":                  func(m *runMetrics) float64 { return m.P50 },
	"p99_us":                  func(m *runMetrics) float64 { return m.P99 },
	"p999_us":                 func(m *runMetrics) float64 { return m.P999 },
	"server_us_per_op":        func(m *runMetrics) float64 { return m.ServerPerOp },
	"server_user_us_per_op":   func(m *runMetrics) float64 { return m.ServerUserPerOp },
	"server_sys_us_per_op":    func(m *runMetrics) float64 { return m.ServerSysPerOp },
	"server_cpu_pct":          func(m *runMetrics) float64 { return m.ServerPct },
	"server_rss_per_conn_kib": func(m *runMetrics) float64 { return m.ServerRSSPerKiB },
	"client_cpu_pct":          func(m *runMetrics) float64 { return m.ClientPct },
	"client_us_per_op":        func(m *runMetrics) float64 { return m.ClientPerOp },
	"missing":                 func(m *runMetrics) float64 { return float64(m.Missing) },
	"errors":                  func(m *runMetrics) float64 { return float64(m.Errors) },
}

// finish computes the medians, spreads and flags.
func (d *document) finish(c *config) {
	for _, wr := range d.Workloads {
		for _, sr := range wr.Servers {
			var good []*runMetrics
			for _, m := range sr.Runs {
				if m.OK {
					good = append(good, m)
				}
			}
			sr.Summary = map[string]stat{}
			for k, get := range metricGetters {
				var v []float64
				for _, m := range good {
					v = append(v, get(m))
				}
				sr.Summary[k] = summarize(v)
			}
			sr.Flags = nil
			var cb, behind, failed, lossy int
			for _, m := range sr.Runs {
				switch {
				case !m.OK:
					failed++
					continue
				case m.ClientPct > c.clientBound:
					cb++
				}
				if m.Behind {
					behind++
				}
				if m.Missing > 0 || m.Errors > 0 {
					lossy++
				}
			}
			if cb > 0 {
				sr.Flags = append(sr.Flags, fmt.Sprintf("client-bound in %d/%d runs (siobench > %.0f%% of its core)", cb, len(sr.Runs), c.clientBound))
			}
			if t := sr.Summary["throughput"]; t.spread() > c.noisyAt && wr.Workload.Offered == 0 {
				sr.Flags = append(sr.Flags, fmt.Sprintf("noisy: throughput spread %.0f%%", t.spread()))
			}
			if t := sr.Summary["server_us_per_op"]; t.spread() > c.noisyAt {
				sr.Flags = append(sr.Flags, fmt.Sprintf("noisy: CPU/op spread %.0f%%", t.spread()))
			}
			if behind > 0 {
				sr.Flags = append(sr.Flags, fmt.Sprintf("behind the offered load in %d/%d runs", behind, len(sr.Runs)))
			}
			if lossy > 0 {
				sr.Flags = append(sr.Flags, fmt.Sprintf("missing deliveries or errors in %d/%d runs", lossy, len(sr.Runs)))
			}
			if failed > 0 {
				sr.Flags = append(sr.Flags, fmt.Sprintf("failed %d/%d runs", failed, len(sr.Runs)))
			}
		}
	}
}

func summarize(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{Med: med, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// write saves results.json and results.md.
func (d *document) write(c *config) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.out, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.out, "results.md"), []byte(d.markdown(c, true)), 0o644)
}

// ref is the server ratios are taken against: Node.js when compared,
// else the first server.
func (d *document) ref() string {
	if slices.Contains(d.Meta.Servers, "node") {
		return "node"
	}
	return d.Meta.Servers[0]
}

// markdown renders the tables (details: per-workload tables too).
func (d *document) markdown(c *config, details bool) string {
	var b strings.Builder
	m := d.Meta
	ref := d.ref()
	mode := "reduced (3 s windows; message counts are upper bounds)"
	if m.Full {
		mode = "full (the full message counts, 10 s windows)"
	}
	fmt.Fprintf(&b, "## Side by side: %s\n\n", strings.Join(titles(d, m.Servers), ", "))
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", m.Command)
	fmt.Fprintf(&b, "%s, %d rounds, server order alternated and reversed every round; fresh server per run pinned to CPU %s (`taskset`), siobench on CPU %s with `--server-pid`. Medians; the range is min–max over the rounds. %s, %d CPUs, Linux %s, %s, Node.js %s (socket.io %s), git %s, started %s", mode, m.Rounds, m.ServerCPU, m.ClientCPU, m.CPU, m.CPUs, m.Kernel, m.Go, m.Node, m.SocketIO, m.Git, m.Started)
	if m.Elapsed != "" {
		fmt.Fprintf(&b, ", took %s", m.Elapsed)
	}
	b.WriteString(".\n\nMarks: ᶜ siobench above " + fmt.Sprintf("%.0f", c.clientBound) + " % of its core in some run (client-bound: the figure is a floor for that server); ~ spread above " + fmt.Sprintf("%.0f", c.noisyAt) + " %; ! missing deliveries, errors, failed runs or behind the offered load (see the details).\n\n")

	// Throughput.
	fmt.Fprintf(&b, "### Throughput (× %s)\n\n", d.title(ref))
	b.WriteString("| workload | unit |")
	for _, n := range m.Servers {
		fmt.Fprintf(&b, " %s |", d.title(n))
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---:|", len(m.Servers)) + "\n")
	for _, wr := range d.Workloads {
		fmt.Fprintf(&b, "| %s | %s |", wr.Workload.Title, wr.Workload.Unit)
		rv := wr.Servers[ref]
		for _, n := range m.Servers {
			sr := wr.Servers[n]
			t := sr.Summary["throughput"]
			if t.N == 0 {
				b.WriteString(" — " + marks(sr, c) + " |")
				continue
			}
			cell := human(t.Med)
			if rv != nil && n != ref && rv.Summary["throughput"].Med > 0 {
				cell += fmt.Sprintf(" (%.2f×)", t.Med/rv.Summary["throughput"].Med)
			}
			fmt.Fprintf(&b, " %s%s |", cell, marks(sr, c))
		}
		b.WriteString("\n")
	}

	// CPU per op.
	b.WriteString("\n### Server CPU per operation, µs (kernel share)\n\n")
	b.WriteString("Per round trip, ack, delivery or connection: the server's user+sys CPU over the window divided by the operations.\n\n")
	b.WriteString("| workload |")
	for _, n := range m.Servers {
		fmt.Fprintf(&b, " %s |", d.title(n))
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(m.Servers)) + "\n")
	for _, wr := range d.Workloads {
		fmt.Fprintf(&b, "| %s |", wr.Workload.Title)
		for _, n := range m.Servers {
			sr := wr.Servers[n]
			t := sr.Summary["server_us_per_op"]
			if t.N == 0 {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(&b, " %s (%.0f %%) |", fmtPerOp(t.Med), pct(sr.Summary["server_sys_us_per_op"].Med, t.Med))
		}
		b.WriteString("\n")
	}

	// Memory.
	for _, wr := range d.Workloads {
		if wr.Workload.Scenario != "connect" {
			continue
		}
		fmt.Fprintf(&b, "\n### Server RSS per connection, KiB (%s)\n\n|", wr.Workload.Title)
		for _, n := range m.Servers {
			fmt.Fprintf(&b, " %s |", d.title(n))
		}
		b.WriteString("\n|" + strings.Repeat("---:|", len(m.Servers)) + "\n|")
		for _, n := range m.Servers {
			t := wr.Servers[n].Summary["server_rss_per_conn_kib"]
			if t.N == 0 {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(&b, " %.2f (%.2f–%.2f) |", t.Med, t.Min, t.Max)
		}
		b.WriteString("\n")
	}
	if !details {
		return b.String()
	}

	b.WriteString("\n### Details\n")
	for _, wr := range d.Workloads {
		w := wr.Workload
		fmt.Fprintf(&b, "\n#### %s\n\n`siobench %s %s`", w.Title, w.Scenario, strings.Join(w.Args, " "))
		if w.Offered > 0 {
			fmt.Fprintf(&b, " (offered %s %s)", human(w.Offered), w.Unit)
		}
		b.WriteString("\n\n| server | " + w.Unit + " | p50 | p99 | p99.9 | server µs/op (user + kernel) | server CPU | siobench CPU | notes |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, n := range m.Servers {
			sr := wr.Servers[n]
			s := sr.Summary
			t := s["throughput"]
			if t.N == 0 {
				fmt.Fprintf(&b, "| %s | — | | | | | | | %s |\n", d.title(n), strings.Join(append(sr.Flags, runErrors(sr)...), "; "))
				continue
			}
			notes := slices.Clone(sr.Flags)
			if r := s["server_rss_per_conn_kib"]; w.Scenario == "connect" && r.N > 0 {
				notes = append(notes, fmt.Sprintf("RSS %.2f KiB/conn", r.Med))
			}
			if mi := s["missing"]; mi.Max > 0 {
				notes = append(notes, fmt.Sprintf("missing %s–%s", human(mi.Min), human(mi.Max)))
			}
			notes = append(notes, runErrors(sr)...)
			fmt.Fprintf(&b, "| %s | %s (%s–%s) | %s | %s | %s | %s (%s + %s) | %.0f %% | %.0f %% (max %.0f) | %s |\n",
				d.title(n), human(t.Med), human(t.Min), human(t.Max),
				fmtUS(s["p50_us"].Med), fmtUS(s["p99_us"].Med), fmtUS(s["p999_us"].Med),
				fmtPerOp(s["server_us_per_op"].Med), fmtPerOp(s["server_user_us_per_op"].Med), fmtPerOp(s["server_sys_us_per_op"].Med),
				s["server_cpu_pct"].Med, s["client_cpu_pct"].Med, s["client_cpu_pct"].Max, strings.Join(notes, "; "))
		}
	}
	return b.String()
}

func runErrors(sr *srvResult) []string {
	var out []string
	for _, m := range sr.Runs {
		if m.Err != "" {
			out = append(out, fmt.Sprintf("round %d: %s", m.Round, m.Err))
		}
	}
	return out
}

func marks(sr *srvResult, c *config) string {
	var s string
	for _, f := range sr.Flags {
		switch {
		case strings.HasPrefix(f, "client-bound"):
			s += "ᶜ"
		case strings.HasPrefix(f, "noisy: throughput"):
			s += "~"
		case strings.HasPrefix(f, "behind"), strings.HasPrefix(f, "missing"), strings.HasPrefix(f, "failed"):
			if !strings.Contains(s, "!") {
				s += "!"
			}
		}
	}
	if s != "" {
		s = " " + s
	}
	return s
}

func (d *document) title(name string) string {
	for _, wr := range d.Workloads {
		if sr := wr.Servers[name]; sr != nil {
			return sr.Server.Title
		}
	}
	return name
}

func titles(d *document, names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, d.title(n))
	}
	return out
}

func pct(part, whole float64) float64 {
	if whole <= 0 {
		return 0
	}
	return 100 * part / whole
}

// human formats a count or rate.
func human(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return commas(int64(math.Round(v)))
	}
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fmtUS formats a latency given in µs.
func fmtUS(us float64) string {
	switch {
	case us <= 0:
		return "—"
	case us < 1000:
		return fmt.Sprintf("%.0f µs", us)
	case us < 1e6:
		return fmt.Sprintf("%.2f ms", us/1e3)
	default:
		return fmt.Sprintf("%.2f s", us/1e6)
	}
}

func fmtPerOp(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
