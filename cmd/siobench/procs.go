package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/sioloop/sioloop/internal/loadgen"
)

// A run with --procs N re-executes siobench N times (hidden command
// __child). Parent and children talk in JSON lines: the parent writes the
// child's share of the configuration, the child answers "connected" when its
// connect phase is over and waits for "go", which the parent sends once every
// child is connected; children send "progress" lines while they run and end
// with "result" (or "error"). The parent merges the results (loadgen.Merge).

// childMsg is one line of the parent/child protocol.
type childMsg struct {
	Type      string            `json:"type"` // config, go (to the child); connected, progress, result, error (from it)
	Config    *loadgen.Config   `json:"config,omitempty"`
	Embedded  bool              `json:"embedded,omitempty"`
	Up        int               `json:"up,omitempty"`
	Start     int64             `json:"start,omitempty"` // go: Clock time to start at
	Snapshot  *loadgen.Snapshot `json:"snapshot,omitempty"`
	Result    *loadgen.Result   `json:"result,omitempty"`
	Error     string            `json:"error,omitempty"`
	ErrConfig bool              `json:"err_config,omitempty"`
}

// childEnv marks a child process (tests use it to turn the test binary into
// siobench).
const childEnv = "SIOBENCH_CHILD"

type child struct {
	i     int
	cmd   *exec.Cmd
	stdin io.WriteCloser
	wmu   sync.Mutex
}

func (c *child) send(m childMsg) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b, _ := json.Marshal(m)
	_, err := c.stdin.Write(append(b, '\n'))
	return err
}

type childEvent struct {
	i   int
	msg childMsg
	err error // the child's stdout ended (err set if not cleanly)
}

// runProcs runs the test in o.cfg.Procs child processes and merges their
// results.
func runProcs(ctx context.Context, o *options, embedded bool, prog io.Writer) (*loadgen.Result, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	base := o.cfg
	n := base.Procs
	shares := loadgen.SplitConns(base.Conns, n)
	clock := loadgen.NewClock(0)
	origin := clock.Origin()
	events := make(chan childEvent, 64)
	children := make([]*child, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var readers sync.WaitGroup
	off := 0
	for i := range n {
		cfg := base
		cfg.Conns, cfg.ConnOffset, cfg.TotalConns, cfg.Procs, cfg.Origin = shares[i], off, base.Conns, n, origin
		off += shares[i]
		if i > 0 {
			cfg.ServerPID = 0 // one sampler is enough
		}
		cfg.Proc = i // a big loopback run spreads over 127.0.<i+1>.x
		cmd := exec.CommandContext(ctx, exe, childCmd)
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start child %d: %w", i, err)
		}
		c := &child{i: i, cmd: cmd, stdin: stdin}
		children[i] = c
		readers.Add(1)
		go func() {
			defer readers.Done()
			sc := bufio.NewScanner(stdout)
			sc.Buffer(make([]byte, 64<<10), 256<<20)
			for sc.Scan() {
				var m childMsg
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					events <- childEvent{i: c.i, err: fmt.Errorf("child %d: bad message: %w", c.i, err)}
					return
				}
				events <- childEvent{i: c.i, msg: m}
			}
			events <- childEvent{i: c.i, err: sc.Err()}
		}()
		// the children hold clients only: the bundled server runs here
		if err := c.send(childMsg{Type: "config", Config: &cfg}); err != nil {
			return nil, fmt.Errorf("child %d: %w", i, err)
		}
	}
	defer func() {
		for _, c := range children {
			if c != nil {
				c.stdin.Close()
				_ = c.cmd.Wait()
			}
		}
	}()

	var mu sync.Mutex
	snaps := make([]loadgen.Snapshot, n)
	total := base
	total.TotalConns = base.Conns
	stopProg := startProgress(prog, o, total, func() loadgen.Snapshot {
		mu.Lock()
		defer mu.Unlock()
		return sumSnapshots(snaps)
	})
	defer stopProg()

	connected, ended := 0, 0
	results := make([]*loadgen.Result, n)
	var firstErr error
	cfgErr := false
	for ended < n {
		var ev childEvent
		select {
		case ev = <-events:
		case <-ctx.Done():
			for _, c := range children {
				_ = c.cmd.Process.Signal(os.Interrupt)
			}
			ev = <-events
		}
		c := children[ev.i]
		switch {
		case ev.msg.Type == "":
			ended++
			if results[ev.i] == nil && firstErr == nil {
				firstErr = fmt.Errorf("child %d ended without a result (%v)", ev.i, ev.err)
			}
		case ev.msg.Type == "progress" && ev.msg.Snapshot != nil:
			mu.Lock()
			snaps[ev.i] = *ev.msg.Snapshot
			mu.Unlock()
		case ev.msg.Type == "connected":
			connected++
			if connected == n {
				// one timetable for all: start a little ahead
				start := clock.Now() + int64(50*time.Millisecond)
				for _, c := range children {
					_ = c.send(childMsg{Type: "go", Start: start})
				}
			}
		case ev.msg.Type == "result":
			results[ev.i] = ev.msg.Result
			c.stdin.Close()
		case ev.msg.Type == "error":
			if firstErr == nil {
				firstErr = fmt.Errorf("child %d: %s", ev.i, ev.msg.Error)
				cfgErr = ev.msg.ErrConfig
			}
			// the others must not wait for it at the barrier
			for _, c := range children {
				c.stdin.Close()
			}
		}
	}
	readers.Wait()
	if firstErr != nil {
		if cfgErr {
			return nil, loadgen.ConfigErrorf("%v", firstErr)
		}
		return nil, firstErr
	}
	res, err := loadgen.Merge(results)
	if err != nil {
		return nil, err
	}
	res.Params.Procs = n
	if embedded {
		res.Warnings = append(res.Warnings, "the bundled server ran in siobench's parent process, on the CPUs of the clients (pin them apart with `siobench serve` + --url for figures to quote)")
	}
	return res, nil
}

// sumSnapshots adds up the children's progress.
func sumSnapshots(ss []loadgen.Snapshot) loadgen.Snapshot {
	var t loadgen.Snapshot
	for i, s := range ss {
		if i == 0 {
			t.Phase = s.Phase
		}
		t.Elapsed = max(t.Elapsed, s.Elapsed)
		t.Target += s.Target
		t.Up += s.Up
		t.Settled += s.Settled
		t.Failed += s.Failed
		t.Sent += s.Sent
		t.Done += s.Done
		t.Delivered += s.Delivered
		t.AllDone += s.AllDone
		t.AllDelivered += s.AllDelivered
		t.Errors += s.Errors
		t.Outstanding += s.Outstanding
		t.P99 = max(t.P99, s.P99)
	}
	return t
}

// childMain is a child process: it reads its configuration, runs, and
// reports on stdout.
func childMain(stdin io.Reader, stdout, stderr io.Writer) int {
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 64<<20)
	var wmu sync.Mutex
	send := func(m childMsg) {
		wmu.Lock()
		defer wmu.Unlock()
		b, _ := json.Marshal(m)
		_, _ = stdout.Write(append(b, '\n'))
	}
	fail := func(err error) int {
		send(childMsg{Type: "error", Error: err.Error(), ErrConfig: errors.Is(err, loadgen.ErrConfig)})
		return exitFail
	}
	if !in.Scan() {
		return fail(errors.New("no configuration"))
	}
	var m childMsg
	if err := json.Unmarshal(in.Bytes(), &m); err != nil || m.Type != "config" || m.Config == nil {
		return fail(fmt.Errorf("bad configuration message: %v", err))
	}
	rn, err := loadgen.New(*m.Config)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s := rn.Snapshot()
				send(childMsg{Type: "progress", Snapshot: &s})
			}
		}
	}()
	hooks := loadgen.Hooks{Embedded: m.Embedded, Connected: func(up int) (int64, error) {
		send(childMsg{Type: "connected", Up: up})
		for in.Scan() {
			var g childMsg
			if json.Unmarshal(in.Bytes(), &g) == nil && g.Type == "go" {
				// stdin closing later means: stop
				go func() {
					for in.Scan() {
					}
					cancel()
				}()
				return g.Start, nil
			}
		}
		return 0, errors.New("parent went away before the start")
	}}
	res, err := rn.Run(ctx, hooks)
	close(done)
	if err != nil {
		return fail(err)
	}
	send(childMsg{Type: "result", Result: res})
	return exitOK
}
