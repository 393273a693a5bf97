package main

import (
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sioloop/sioloop/internal/loadgen"
)

// fakeResult is a finished result with a latency histogram of vals (µs).
func fakeResult(label string, perSec float64, vals ...int64) *loadgen.Result {
	h := loadgen.NewHist()
	for _, v := range vals {
		_ = h.RecordValue(v * 1000)
	}
	r := &loadgen.Result{Tool: "siobench", Schema: loadgen.SchemaVersion, Label: label, Scenario: loadgen.ScenarioEcho,
		Target: "http://x", Window: 2, Params: loadgen.Params{Conns: 10, InFlight: 1},
		Latency: map[string]*loadgen.Latency{loadgen.LatRTT: loadgen.Summarize(h)},
		Errors:  map[string]int64{}, Client: loadgen.ClientStats{CPU: 1},
		Series: loadgen.Series{Step: 250, WindowStart: 0.5, WindowEnd: 2.5, Ops: []int64{0, 10, 20, 30, 20, 10},
			Conns: []int64{5, 10, 10, 10, 10, 10}}}
	r.Ops.Completed = int64(perSec * r.Window)
	r.Ops.Sent = r.Ops.Completed
	r.Finish()
	return r
}

func TestCompareRows(t *testing.T) {
	a := fakeResult("ours", 1000, 100, 200, 300)
	b := fakeResult("node", 500, 200, 400, 600)
	b.Errors["op: timeout"] = 3
	rows := compareRows([]*loadgen.Result{a, b})
	get := func(metric string) cmpRow {
		for _, r := range rows {
			if r.Metric == metric {
				return r
			}
		}
		t.Fatalf("no row %q", metric)
		return cmpRow{}
	}
	if tr := get("transport"); len(tr.Values) != 2 {
		t.Errorf("transport %+v", tr)
	}
	tp := get("throughput /s")
	if tp.Values[0] != "1,000" || tp.Values[1] != "500" || tp.Ratio[1] != 0.5 || tp.Better != "higher" {
		t.Errorf("throughput %+v", tp)
	}
	p50 := get("p50")
	if math.Abs(p50.Ratio[1]-2) > 0.01 || p50.Better != "lower" {
		t.Errorf("p50 %+v", p50)
	}
	if e := get("errors"); e.Values[1] != "3" || len(e.Ratio) != 0 {
		t.Errorf("errors %+v (no ratio against a zero baseline)", e)
	}
	for _, r := range rows {
		if r.Metric == "server CPU µs/op" || r.Metric == "missing deliveries" {
			t.Errorf("row %q without data", r.Metric)
		}
	}
	var sb strings.Builder
	printCompare(&sb, []*loadgen.Result{a, b})
	if !strings.Contains(sb.String(), "(0.50×)") || !strings.Contains(sb.String(), "node") {
		t.Errorf("table:\n%s", sb.String())
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{commas(0), "0"}, {commas(999), "999"}, {commas(1234567.4), "1,234,567"}, {commas(-1000), "-1,000"},
		{fmtDur(0), "-"}, {fmtDur(12.4), "12µs"}, {fmtDur(1500), "1.50ms"}, {fmtDur(45000), "45.0ms"}, {fmtDur(2.5e6), "2.50s"},
		{human(950), "950"}, {human(4120), "4.12k"}, {human(41234), "41.2k"}, {human(1.3e6), "1.30M"},
	} {
		if c.got != c.want {
			t.Errorf("got %q want %q", c.got, c.want)
		}
	}
}

func TestProgressLine(t *testing.T) {
	cfg := loadgen.Config{Scenario: loadgen.ScenarioEcho, TotalConns: 50}
	prev := loadgen.Snapshot{AllDone: 1000}
	s := loadgen.Snapshot{Phase: "run", Elapsed: 3 * time.Second, Up: 50, Failed: 2, AllDone: 3000, P99: 250 * time.Microsecond, Errors: 1}
	line := progressLine(cfg, s, prev, time.Second)
	for _, want := range []string{"run", "conns 50/50", "(2 failed)", "ops/s 2.00k", "p99 250µs", "errors 1"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
}

// TestCharts checks that the SVG files are well-formed XML with one line
// per result.
func TestCharts(t *testing.T) {
	dir := t.TempDir()
	files, err := writeCharts(dir, []*loadgen.Result{fakeResult("a", 1000, 100, 200, 5000), fakeResult("b", 800, 150, 300)})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatal(files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(strings.NewReader(string(b)))
		lines := 0
		for {
			tok, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%s: %v", filepath.Base(f), err)
				}
				break
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
				lines++
			}
		}
		if lines != 2 {
			t.Errorf("%s: %d lines, want 2", filepath.Base(f), lines)
		}
		if strings.Contains(f, "throughput") && strings.Count(string(b), `class="window"`) != 2 {
			t.Errorf("%s: want one measurement window band per result", filepath.Base(f))
		}
	}
}
