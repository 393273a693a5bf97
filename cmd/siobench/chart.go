package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/sioloop/sioloop/internal/loadgen"
)

// Charts are hand-written SVG: a latency distribution (latency against
// percentile on the usual "nines" axis, one line per result) and throughput
// over time (one line per result, the measurement window shaded).

const (
	chartW, chartH         = 860, 440
	padL, padR, padT, padB = 80, 30, 40, 60
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// writeCharts writes the charts of rs into dir and returns their paths.
func writeCharts(dir string, rs []*loadgen.Result) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := rs[0].Scenario
	if len(rs) > 1 {
		name = "compare-" + name
	}
	var out []string
	for _, c := range []struct {
		file string
		svg  func([]*loadgen.Result) (string, error)
	}{
		{name + "-latency.svg", latencySVG},
		{name + "-throughput.svg", throughputSVG},
	} {
		s, err := c.svg(rs)
		if err != nil {
			return out, err
		}
		p := filepath.Join(dir, c.file)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// svgDoc collects SVG elements.
type svgDoc struct{ b strings.Builder }

func newSVG(title string) *svgDoc {
	d := &svgDoc{}
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&d.b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	d.text(chartW/2, 22, "middle", 15, title)
	return d
}

func (d *svgDoc) text(x, y float64, anchor string, size int, s string) {
	fmt.Fprintf(&d.b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d">%s</text>`+"\n", x, y, anchor, size, html.EscapeString(s))
}

func (d *svgDoc) line(x1, y1, x2, y2 float64, stroke string, width float64, dash string) {
	extra := ""
	if dash != "" {
		extra = ` stroke-dasharray="` + dash + `"`
	}
	fmt.Fprintf(&d.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"%s/>`+"\n", x1, y1, x2, y2, stroke, width, extra)
}

func (d *svgDoc) polyline(pts [][2]float64, stroke string, dash string) {
	if len(pts) == 0 {
		return
	}
	var b strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&b, "%.1f,%.1f ", p[0], p[1])
	}
	extra := ""
	if dash != "" {
		extra = ` stroke-dasharray="` + dash + `"`
	}
	fmt.Fprintf(&d.b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"%s/>`+"\n", stroke, strings.TrimSpace(b.String()), extra)
}

func (d *svgDoc) legend(labels []string) {
	for i, l := range labels {
		x := float64(padL + 10)
		y := float64(padT + 16 + 18*i)
		d.line(x, y-4, x+24, y-4, palette[i%len(palette)], 3, "")
		d.text(x+30, y, "start", 12, l)
	}
}

func (d *svgDoc) frame() {
	d.line(padL, padT, padL, chartH-padB, "#333", 1, "")
	d.line(padL, chartH-padB, chartW-padR, chartH-padB, "#333", 1, "")
}

func (d *svgDoc) String() string { return d.b.String() + "</svg>\n" }

// niceMax rounds v up to 1, 2 or 5 × a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// yTicks draws horizontal grid lines and labels for 0..top.
func (d *svgDoc) yTicks(top float64, label func(float64) string) {
	for i := 0; i <= 5; i++ {
		v := top * float64(i) / 5
		y := chartH - padB - float64(chartH-padT-padB)*float64(i)/5
		d.line(padL, y, chartW-padR, y, "#e5e5e5", 1, "")
		d.text(padL-6, y+4, "end", 11, label(v))
	}
}

// percentile axis: x = log10(1/(1-q)), q up to 99.999 %.
const nines = 5

func pctX(q float64) float64 {
	v := math.Log10(1 / math.Max(1-q, math.Pow(10, -nines)))
	return padL + (chartW-padL-padR)*v/nines
}

// latencySVG plots each result's main latency distribution.
func latencySVG(rs []*loadgen.Result) (string, error) {
	type curve struct {
		label string
		pts   [][2]float64 // q, µs
	}
	var curves []curve
	top := 0.0
	for _, r := range rs {
		l := r.Latency[r.MainLatency()]
		if l == nil || l.Count == 0 {
			continue
		}
		h, err := loadgen.DecodeHist(l.Hist)
		if err != nil {
			return "", err
		}
		c := curve{label: r.Label}
		if c.label == "" {
			c.label = r.Scenario + " " + r.MainLatency()
		}
		for k := 0; k <= nines*20; k++ {
			q := 1 - math.Pow(10, -float64(k)/20)
			v := float64(h.ValueAtQuantile(q*100)) / 1e3
			c.pts = append(c.pts, [2]float64{q, v})
			top = math.Max(top, v)
		}
		curves = append(curves, c)
	}
	d := newSVG("latency by percentile (" + rs[0].MainLatency() + ")")
	top = niceMax(top)
	d.yTicks(top, func(v float64) string {
		if v == 0 {
			return "0"
		}
		return fmtDur(v)
	})
	for i, lbl := range []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"} {
		q := 1 - math.Pow(10, -float64(i))
		x := pctX(q)
		d.line(x, padT, x, chartH-padB, "#e5e5e5", 1, "")
		d.text(x, chartH-padB+18, "middle", 11, lbl)
	}
	d.text(chartW/2, chartH-16, "middle", 12, "percentile")
	d.frame()
	var labels []string
	for i, c := range curves {
		var pts [][2]float64
		for _, p := range c.pts {
			y := chartH - padB - float64(chartH-padT-padB)*p[1]/top
			pts = append(pts, [2]float64{pctX(p[0]), y})
		}
		d.polyline(pts, palette[i%len(palette)], "")
		labels = append(labels, c.label)
	}
	d.legend(labels)
	return d.String(), nil
}

// throughputSVG plots completions (or deliveries) per second over time.
func throughputSVG(rs []*loadgen.Result) (string, error) {
	type series struct {
		label string
		pts   [][2]float64 // s since the run's first bucket, per second
		win   [2]float64
	}
	var ss []series
	top, right := 0.0, 0.0
	for _, r := range rs {
		sr := r.Series
		step := float64(max(sr.Step, 1)) / 1e3
		vals := sr.Ops
		if r.Scenario == loadgen.ScenarioBroadcast || r.Scenario == loadgen.ScenarioRooms {
			vals = sr.Deliveries
		}
		if r.Scenario == loadgen.ScenarioConnect {
			vals = diffLevels(sr.Conns)
		}
		first := firstNonZero(vals, sr.Conns)
		s := series{label: r.Label}
		if s.label == "" {
			s.label = r.Scenario
		}
		t0 := float64(first) * step
		for i := first; i < len(vals); i++ {
			v := float64(vals[i]) / step
			s.pts = append(s.pts, [2]float64{float64(i)*step - t0 + step/2, v})
			top = math.Max(top, v)
		}
		s.win = [2]float64{sr.WindowStart - t0, sr.WindowEnd - t0}
		if len(s.pts) > 0 {
			right = math.Max(right, s.pts[len(s.pts)-1][0]+step/2)
		}
		ss = append(ss, s)
	}
	unit := opNoun(rs[0])
	d := newSVG(unit + " per second over time")
	top = niceMax(top)
	right = math.Max(right, 1)
	x := func(t float64) float64 { return padL + (chartW-padL-padR)*t/right }
	if len(ss) == 1 && ss[0].win[1] > ss[0].win[0] {
		x0, x1 := x(math.Max(ss[0].win[0], 0)), x(math.Min(ss[0].win[1], right))
		fmt.Fprintf(&d.b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#f0f4ff"/>`+"\n", x0, padT, math.Max(0, x1-x0), chartH-padT-padB)
		d.text(x0+4, padT+12, "start", 10, "measurement window")
	} else if len(ss) > 1 {
		// one band per result along the top, in its line's colour
		for i, s := range ss {
			if s.win[1] <= s.win[0] {
				continue
			}
			x0, x1 := x(math.Max(s.win[0], 0)), x(math.Min(s.win[1], right))
			fmt.Fprintf(&d.b, `<rect class="window" x="%.1f" y="%d" width="%.1f" height="4" fill="%s" fill-opacity="0.5"/>`+"\n", x0, padT+2+6*i, math.Max(0, x1-x0), palette[i%len(palette)])
		}
		d.text(padL+4, float64(padT+14+6*len(ss)), "start", 10, "measurement windows")
	}
	d.yTicks(top, human)
	for i := 0; i <= 5; i++ {
		t := right * float64(i) / 5
		d.text(x(t), chartH-padB+18, "middle", 11, fmt.Sprintf("%.1fs", t))
	}
	d.text(chartW/2, chartH-16, "middle", 12, "time since the first connection")
	d.frame()
	var labels []string
	for i, s := range ss {
		var pts [][2]float64
		for _, p := range s.pts {
			pts = append(pts, [2]float64{x(p[0]), chartH - padB - float64(chartH-padT-padB)*p[1]/top})
		}
		d.polyline(pts, palette[i%len(palette)], "")
		labels = append(labels, s.label)
	}
	d.legend(labels)
	return d.String(), nil
}

// diffLevels turns a level series into per-bucket increases.
func diffLevels(v []int64) []int64 {
	out := make([]int64, len(v))
	var last int64
	for i, x := range v {
		if x < 0 {
			x = last
		}
		out[i] = max(0, x-last)
		last = x
	}
	return out
}

// firstNonZero is the first bucket with traffic or connections.
func firstNonZero(a, b []int64) int {
	for i := range max(len(a), len(b)) {
		if (i < len(a) && a[i] > 0) || (i < len(b) && b[i] > 0) {
			return max(0, i-1)
		}
	}
	return 0
}
