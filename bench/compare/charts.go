package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// charts writes charts/: per workload, siobench's own comparison charts
// (latency by percentile, throughput over time) of each server's median
// run; and two bar charts of the whole campaign, relative to the reference
// server (throughput, server CPU per op).
func charts(c *config, d *document) {
	dir := filepath.Join(c.out, "charts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "compare: charts:", err)
		return
	}
	for _, wr := range d.Workloads {
		var files []string
		for _, n := range d.Meta.Servers {
			if m := medianRun(wr.Servers[n]); m != nil {
				files = append(files, filepath.Join(c.out, m.File))
			}
		}
		if len(files) == 0 {
			continue
		}
		args := append([]string{"--compare"}, files...)
		args = append(args, "--chart-dir", filepath.Join(dir, wr.Workload.Name))
		cmd := exec.Command(filepath.Join(c.bin, "siobench"), args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "compare: charts of %s: %v\n%s", wr.Workload.Name, err, out)
		}
	}
	ref := d.ref()
	for _, ch := range []struct {
		file, title, metric string
	}{
		{"throughput.svg", "Throughput relative to " + d.title(ref) + " (median of the rounds; higher is better)", "throughput"},
		{"cpu-per-op.svg", "Server CPU per operation relative to " + d.title(ref) + " (median; lower is better)", "server_us_per_op"},
	} {
		var groups []string
		var vals [][]float64
		var labels [][]string
		for _, wr := range d.Workloads {
			rv := wr.Servers[ref].Summary[ch.metric].Med
			row := make([]float64, len(d.Meta.Servers))
			lab := make([]string, len(d.Meta.Servers))
			for i, n := range d.Meta.Servers {
				v := wr.Servers[n].Summary[ch.metric].Med
				if rv > 0 && v > 0 {
					row[i] = v / rv
					if ch.metric == "throughput" {
						lab[i] = fmt.Sprintf("%.2f× (%s)", row[i], human(v))
					} else {
						lab[i] = fmt.Sprintf("%.2f× (%s µs)", row[i], fmtPerOp(v))
					}
				}
			}
			groups = append(groups, wr.Workload.Title)
			vals = append(vals, row)
			labels = append(labels, lab)
		}
		svg := barsSVG(ch.title, groups, titles(d, d.Meta.Servers), vals, labels)
		if err := os.WriteFile(filepath.Join(dir, ch.file), []byte(svg), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "compare: charts:", err)
		}
	}
}

// medianRun returns the good run whose throughput is the median one.
func medianRun(sr *srvResult) *runMetrics {
	var best *runMetrics
	med := sr.Summary["throughput"].Med
	for _, m := range sr.Runs {
		if m.OK && (best == nil || math.Abs(m.Throughput-med) < math.Abs(best.Throughput-med)) {
			best = m
		}
	}
	return best
}

var colors = []string{"#1f77b4", "#d62728", "#2ca02c", "#7f7f7f", "#ff7f0e", "#9467bd"}

// barsSVG draws horizontal grouped bars: one group per workload, one bar
// per server, on a log₂ axis centred on 1× (the reference).
func barsSVG(title string, groups, series []string, vals [][]float64, labels [][]string) string {
	const (
		w, left, right, top = 980.0, 250.0, 170.0, 60.0
		barH, gap           = 13.0, 12.0
	)
	groupH := barH*float64(len(series)) + gap
	h := top + groupH*float64(len(groups)) + 40
	lo, hi := 1.0, 1.0
	for _, r := range vals {
		for _, v := range r {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	lo = math.Pow(2, math.Floor(math.Log2(lo)))
	hi = math.Pow(2, math.Ceil(math.Log2(hi)))
	if lo == hi {
		lo, hi = lo/2, hi*2
	}
	x := func(v float64) float64 {
		return left + (w-left-right)*(math.Log2(v)-math.Log2(lo))/(math.Log2(hi)-math.Log2(lo))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="20" text-anchor="middle" font-size="14">%s</text>`+"\n", w/2, html.EscapeString(title))
	for i, s := range series {
		lx := left + float64(i)*150
		fmt.Fprintf(&b, `<rect x="%.0f" y="32" width="12" height="12" fill="%s"/><text x="%.0f" y="42">%s</text>`+"\n", lx, colors[i%len(colors)], lx+16, html.EscapeString(s))
	}
	for t := lo; t <= hi*1.0001; t *= 2 {
		xt := x(t)
		dash := ` stroke-dasharray="3,3"`
		if t == 1 {
			dash = ""
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#999"%s/>`+"\n", xt, top-4, xt, h-30, dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%g×</text>`+"\n", xt, h-16, t)
	}
	for g, name := range groups {
		y0 := top + float64(g)*groupH
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, y0+groupH/2, html.EscapeString(name))
		for i := range series {
			v := vals[g][i]
			if v <= 0 {
				continue
			}
			y := y0 + float64(i)*barH
			x0, x1 := x(1), x(v)
			if x1 < x0 {
				x0, x1 = x1, x0
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x0, y+1, math.Max(x1-x0, 1), barH-2, colors[i%len(colors)])
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9">%s</text>`+"\n", math.Max(x(v), x(1))+4, y+barH-3, html.EscapeString(labels[g][i]))
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}
