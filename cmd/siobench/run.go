package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sioloop/sioloop/internal/loadgen"
)

// runCmd runs a scenario and prints its result.
func runCmd(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	embedded := o.cfg.URL == ""
	if embedded {
		parser, err := serverParser(o.cfg.Parser)
		if err != nil {
			fmt.Fprintln(stderr, "siobench:", err)
			return exitUsage
		}
		b, err := startBundled("127.0.0.1:0", o.cfg.Path, o.loops, 0, 0, nil, parser)
		if err != nil {
			fmt.Fprintln(stderr, "siobench:", err)
			return exitFail
		}
		defer func() { go b.stop() }() // gnet takes ~0.5 s to stop: do not wait for it
		o.cfg.URL = b.url
		if o.cfg.Procs > 1 && o.cfg.ServerPID == 0 {
			o.cfg.ServerPID = os.Getpid() // the parent only serves: sample it
		}
	}
	prog := stdout
	if o.jsonOut {
		prog = stderr
	}
	var (
		res *loadgen.Result
		err error
	)
	if o.cfg.Procs > 1 {
		res, err = runProcs(ctx, o, embedded, prog)
	} else {
		res, err = runLocal(ctx, o, embedded, prog)
	}
	if err != nil {
		fmt.Fprintln(stderr, "siobench:", err)
		if errors.Is(err, loadgen.ErrConfig) {
			return exitUsage
		}
		return exitFail
	}
	if embedded {
		res.Target = "bundled:" + res.Target
	}
	if o.outFile != "" {
		if err := writeFile(o.outFile, res); err != nil {
			fmt.Fprintln(stderr, "siobench:", err)
			return exitFail
		}
	}
	if o.chartDir != "" {
		files, err := writeCharts(o.chartDir, []*loadgen.Result{res})
		if err != nil {
			fmt.Fprintln(stderr, "siobench: charts:", err)
			return exitFail
		}
		for _, f := range files {
			fmt.Fprintln(stderr, "siobench: wrote", f)
		}
	}
	if o.jsonOut {
		if err := writeJSON(stdout, res); err != nil {
			return exitFail
		}
	} else {
		printTable(stdout, res)
	}
	if len(res.Problems) > 0 {
		// one line, on stderr whatever the output format: what went wrong
		fmt.Fprintln(stderr, "siobench: FAILED: "+strings.Join(res.Problems, "; "))
		return exitFail
	}
	return exitOK
}

// runLocal runs the test in this process.
func runLocal(ctx context.Context, o *options, embedded bool, prog io.Writer) (*loadgen.Result, error) {
	rn, err := loadgen.New(o.cfg)
	if err != nil {
		return nil, err
	}
	stop := startProgress(prog, o, rn.Config(), func() loadgen.Snapshot { return rn.Snapshot() })
	res, err := rn.Run(ctx, loadgen.Hooks{Embedded: embedded})
	stop()
	return res, err
}

func writeFile(path string, r *loadgen.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeJSON(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startProgress prints a progress line every o.interval until the returned
// function is called: rewritten in place on a terminal, one line per tick
// otherwise.
func startProgress(w io.Writer, o *options, cfg loadgen.Config, snap func() loadgen.Snapshot) func() {
	if o.quiet || o.interval <= 0 {
		return func() {}
	}
	tty := isTerminal(w)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(o.interval)
		defer t.Stop()
		var prev loadgen.Snapshot
		prevAt := time.Now()
		for {
			select {
			case <-done:
				if tty {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case now := <-t.C:
				s := snap()
				line := progressLine(cfg, s, prev, now.Sub(prevAt))
				prev, prevAt = s, now
				if tty {
					fmt.Fprint(w, "\r\033[K"+line)
				} else {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// progressLine formats one progress line.
func progressLine(cfg loadgen.Config, s, prev loadgen.Snapshot, dt time.Duration) string {
	line := fmt.Sprintf("%6.1fs %-7s conns %d/%d", s.Elapsed.Seconds(), s.Phase, s.Up, cfg.TotalConns)
	if s.Failed > 0 {
		line += fmt.Sprintf(" (%d failed)", s.Failed)
	}
	rate := func(a, b int64) float64 {
		if dt <= 0 {
			return 0
		}
		return float64(a-b) / dt.Seconds()
	}
	switch cfg.Scenario {
	case loadgen.ScenarioConnect:
		line += fmt.Sprintf("  %s conns/s", human(rate(s.Up+s.Failed, prev.Up+prev.Failed)))
	case loadgen.ScenarioBroadcast, loadgen.ScenarioRooms:
		line += fmt.Sprintf("  sent %s  deliveries/s %s", human(float64(s.Sent)), human(rate(s.AllDelivered, prev.AllDelivered)))
	default:
		line += fmt.Sprintf("  ops/s %s", human(rate(s.AllDone, prev.AllDone)))
	}
	if s.P99 > 0 {
		line += "  p99 " + fmtDur(float64(s.P99)/1e3)
	}
	line += fmt.Sprintf("  errors %d", s.Errors)
	return line
}

// isTerminal reports whether w is a character device.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
