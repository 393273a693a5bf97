package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/sioloop/sioloop/internal/loadgen"
)

// compareCmd prints a comparison of saved results (and charts with
// --chart-dir).
func compareCmd(files []string, o *options, stdout, stderr io.Writer) int {
	if len(files) < 1 {
		fmt.Fprintln(stderr, "siobench: --compare needs result files (written with --out or --json)")
		return exitUsage
	}
	var rs []*loadgen.Result
	for _, f := range files {
		r, err := readResult(f)
		if err != nil {
			fmt.Fprintln(stderr, "siobench:", err)
			return exitUsage
		}
		if r.Label == "" {
			r.Label = strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		}
		rs = append(rs, r)
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(compareRows(rs))
	} else {
		printCompare(stdout, rs)
	}
	if o.chartDir != "" {
		out, err := writeCharts(o.chartDir, rs)
		if err != nil {
			fmt.Fprintln(stderr, "siobench: charts:", err)
			return exitFail
		}
		for _, f := range out {
			fmt.Fprintln(stderr, "siobench: wrote", f)
		}
	}
	return exitOK
}

// readResult reads a result written by --out or --json.
func readResult(path string) (*loadgen.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r loadgen.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Tool != "siobench" || r.Schema != loadgen.SchemaVersion {
		return nil, fmt.Errorf("%s: not a siobench result (schema %d)", path, loadgen.SchemaVersion)
	}
	return &r, nil
}

// cmpRow is one line of a comparison: a metric and its value per result.
// Ratio holds value/first value (0 when meaningless).
type cmpRow struct {
	Metric string    `json:"metric"`
	Values []string  `json:"values"`
	Raw    []float64 `json:"raw"`
	Ratio  []float64 `json:"ratio,omitempty"`
	Better string    `json:"better,omitempty"` // "higher" or "lower"
}

// compareRows builds the comparison table of rs; the first result is the
// baseline of the ratios.
func compareRows(rs []*loadgen.Result) []cmpRow {
	var rows []cmpRow
	text := func(metric string, f func(r *loadgen.Result) string) {
		row := cmpRow{Metric: metric}
		for _, r := range rs {
			row.Values = append(row.Values, f(r))
		}
		rows = append(rows, row)
	}
	num := func(metric, better string, f func(r *loadgen.Result) (float64, bool), format func(float64) string) {
		row := cmpRow{Metric: metric, Better: better}
		any := false
		for _, r := range rs {
			v, ok := f(r)
			if !ok {
				row.Values = append(row.Values, "-")
				row.Raw = append(row.Raw, 0)
				continue
			}
			any = true
			row.Values = append(row.Values, format(v))
			row.Raw = append(row.Raw, v)
		}
		if !any {
			return
		}
		if base := row.Raw[0]; base > 0 {
			for _, v := range row.Raw {
				row.Ratio = append(row.Ratio, v/base)
			}
		}
		rows = append(rows, row)
	}
	text("scenario", func(r *loadgen.Result) string { return strings.TrimSpace(r.Scenario + " " + r.Mode) })
	text("target", func(r *loadgen.Result) string { return r.Target })
	text("transport", func(r *loadgen.Result) string {
		if r.Parser != "" {
			return r.Transport + " (" + r.Parser + ")"
		}
		return r.Transport
	})
	text("conns", func(r *loadgen.Result) string { return fmt.Sprint(r.Params.Conns) })
	text("load", func(r *loadgen.Result) string {
		if r.Params.Rate > 0 {
			return human(r.Params.Rate) + "/s"
		}
		return fmt.Sprintf("closed, %d in flight", r.Params.InFlight)
	})
	num("throughput /s", "higher", func(r *loadgen.Result) (float64, bool) {
		if r.Window <= 0 {
			return 0, false
		}
		if r.Scenario == loadgen.ScenarioConnect {
			return r.Conns.PerSec, true
		}
		return float64(r.OpsDone()) / r.Window, true
	}, commas)
	lat := func(name string, pick func(l *loadgen.Latency) float64) {
		num(name, "lower", func(r *loadgen.Result) (float64, bool) {
			l := r.Latency[r.MainLatency()]
			if l == nil || l.Count == 0 {
				return 0, false
			}
			return pick(l), true
		}, fmtDur)
	}
	lat("p50", func(l *loadgen.Latency) float64 { return l.P50 })
	lat("p90", func(l *loadgen.Latency) float64 { return l.P90 })
	lat("p99", func(l *loadgen.Latency) float64 { return l.P99 })
	lat("p99.9", func(l *loadgen.Latency) float64 { return l.P999 })
	lat("max", func(l *loadgen.Latency) float64 { return l.Max })
	num("connect p99", "lower", func(r *loadgen.Result) (float64, bool) {
		l := r.Latency[loadgen.LatConnect]
		return lat0(l, func(l *loadgen.Latency) float64 { return l.P99 })
	}, fmtDur)
	num("errors", "lower", func(r *loadgen.Result) (float64, bool) { return float64(r.TotalErrors()), true }, commas)
	num("missing deliveries", "lower", func(r *loadgen.Result) (float64, bool) {
		if r.Deliveries == nil {
			return 0, false
		}
		return float64(r.Deliveries.Missing), true
	}, commas)
	num("client CPU µs/op", "lower", func(r *loadgen.Result) (float64, bool) {
		if r.Client.Embedded {
			return r.Client.LoopPerOp, r.Client.LoopPerOp > 0
		}
		return r.Client.PerOp, r.Client.PerOp > 0
	}, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	num("server CPU µs/op", "lower", func(r *loadgen.Result) (float64, bool) {
		if r.Server == nil || r.Server.PerOp <= 0 {
			return 0, false
		}
		return r.Server.PerOp, true
	}, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	num("server RSS KiB/conn", "lower", func(r *loadgen.Result) (float64, bool) {
		if r.Server == nil || r.Server.PerConnKiB == 0 || r.Scenario != loadgen.ScenarioConnect {
			return 0, false
		}
		return r.Server.PerConnKiB, true
	}, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	return rows
}

func lat0(l *loadgen.Latency, pick func(*loadgen.Latency) float64) (float64, bool) {
	if l == nil || l.Count == 0 {
		return 0, false
	}
	return pick(l), true
}

// printCompare writes the comparison table.
func printCompare(w io.Writer, rs []*loadgen.Result) {
	rows := compareRows(rs)
	width := make([]int, len(rs))
	for i, r := range rs {
		width[i] = max(14, len(r.Label))
	}
	cell := func(i int, r cmpRow) string {
		s := r.Values[i]
		if i > 0 && len(r.Ratio) > i && r.Values[i] != "-" {
			s += fmt.Sprintf(" (%.2f×)", r.Ratio[i])
		}
		return s
	}
	for _, r := range rows {
		for i := range rs {
			width[i] = max(width[i], utf8.RuneCountInString(cell(i, r)))
		}
	}
	pad := func(s string, n int) string { return s + strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s))) }
	fmt.Fprint(w, pad("", 20))
	for i, r := range rs {
		fmt.Fprint(w, "  "+pad(r.Label, width[i]))
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		fmt.Fprint(w, pad(r.Metric, 20))
		for i := range rs {
			fmt.Fprint(w, "  "+pad(cell(i, r), width[i]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\n(ratios against the first column; throughput: higher is better, latency, errors and CPU: lower)")
}
