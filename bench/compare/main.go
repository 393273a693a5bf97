// Command compare is the headline comparison of issue 5 (`make bench`):
// sioloop against Node.js socket.io, the zishang520 Go port and the gnet
// floor, measured side by side the way docs/bench-app.md asks.
//
// For every round, for every workload, every server runs once: a fresh
// server process pinned with taskset to -server-cpu, siobench pinned to
// -client-cpu with --server-pid (server CPU user/kernel and RSS over the
// window). The server order alternates between rounds. The output
// directory gets the raw siobench results (raw/), results.json (every run
// and the medians with their spread), results.md (tables for
// BENCHMARKS.md) and charts/ (SVG).
//
//	go run ./bench/compare                 # reduced: 3 s windows, 3 rounds (~11 min)
//	go run ./bench/compare -full           # the full message counts, 10 s windows, 5 rounds
//	go run ./bench/compare -servers ours,node -workloads echo,ack -rounds 5
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sioloop/sioloop/internal/loadgen"
)

type config struct {
	root, out, bin       string
	full                 bool
	rounds               int
	servers, wls         []string
	srvCPU, cliCPU       string
	host                 string
	port                 int
	gap                  time.Duration
	clientBound, noisyAt float64
}

func main() {
	var c config
	var srvList, wlList string
	flag.StringVar(&c.out, "out", "results/compare", "output `dir` (raw/, results.json, results.md, charts/)")
	flag.BoolVar(&c.full, "full", false, "the complete comparison: the full message counts, 10 s windows, 5 rounds")
	flag.IntVar(&c.rounds, "rounds", 0, "rounds (default 3; 5 with -full)")
	flag.StringVar(&srvList, "servers", "ours,node,zishang,floor", "servers to compare, in the first round's order")
	flag.StringVar(&wlList, "workloads", "", "comma-separated workload names (default all; -list shows them)")
	list := flag.Bool("list", false, "list the workloads and exit")
	flag.StringVar(&c.srvCPU, "server-cpu", "0", "taskset CPU list for the server")
	flag.StringVar(&c.cliCPU, "client-cpu", "1", "taskset CPU list for siobench")
	flag.StringVar(&c.host, "host", "127.0.0.1", "listen host")
	flag.IntVar(&c.port, "port", 3400, "first port (each run takes the next one, over a range of 500)")
	flag.DurationVar(&c.gap, "gap", 500*time.Millisecond, "pause between runs")
	flag.Float64Var(&c.clientBound, "client-bound", 90, "flag runs where siobench used more than this % of its core")
	flag.Float64Var(&c.noisyAt, "noisy", 20, "flag medians whose spread (max-min)/median exceeds this %")
	bin := flag.String("bin", "", "build binaries into `dir` (default OUT/bin)")
	flag.Parse()
	if c.rounds <= 0 {
		c.rounds = 3
		if c.full {
			c.rounds = 5
		}
	}
	all := workloads(c.full)
	if *list {
		for _, w := range all {
			fmt.Printf("%-16s siobench %s %s\n", w.Name, w.Scenario, strings.Join(w.Args, " "))
		}
		return
	}
	root, err := repoRoot()
	if err != nil {
		fatal(err)
	}
	c.root = root
	if !filepath.IsAbs(c.out) {
		c.out = filepath.Join(root, c.out)
	}
	c.bin = *bin
	if c.bin == "" {
		c.bin = filepath.Join(c.out, "bin")
	}
	c.servers = splitList(srvList)
	var wls []workload
	if wlList == "" {
		wls = all
	} else {
		for _, n := range splitList(wlList) {
			i := slices.IndexFunc(all, func(w workload) bool { return w.Name == n })
			if i < 0 {
				fatal(fmt.Errorf("unknown workload %q (-list shows them)", n))
			}
			wls = append(wls, all[i])
		}
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		fatal(errors.New("taskset not found: docs/bench-app.md rule 1 (pin server and load generator) needs it"))
	}
	srvs := servers(root, c.bin)
	for _, n := range c.servers {
		if _, ok := srvs[n]; !ok {
			fatal(fmt.Errorf("unknown server %q (ours, node, zishang, floor)", n))
		}
	}
	if err := os.MkdirAll(filepath.Join(c.out, "raw"), 0o755); err != nil {
		fatal(err)
	}
	fmt.Fprintf(os.Stderr, "compare: building into %s\n", c.bin)
	if err := build(root, c.bin, c.servers); err != nil {
		fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	doc := &document{
		Meta:      meta(&c, os.Args),
		Workloads: make([]*wlResult, len(wls)),
	}
	for i, w := range wls {
		doc.Workloads[i] = &wlResult{Workload: w, Servers: map[string]*srvResult{}}
		for _, n := range c.servers {
			doc.Workloads[i].Servers[n] = &srvResult{Server: srvs[n]}
		}
	}
	total := c.rounds * len(wls) * len(c.servers)
	done := 0
	port := c.port
	startAll := time.Now()
	for r := 1; r <= c.rounds && ctx.Err() == nil; r++ {
		order := slices.Clone(c.servers)
		if r%2 == 0 {
			slices.Reverse(order)
		}
		for wi, w := range wls {
			for _, n := range order {
				if ctx.Err() != nil {
					break
				}
				done++
				port++
				if port >= c.port+500 {
					port = c.port + 1
				}
				rm := runOne(ctx, &c, srvs[n], w, r, port)
				sr := doc.Workloads[wi].Servers[n]
				sr.Runs = append(sr.Runs, rm)
				eta := time.Duration(float64(time.Since(startAll)) / float64(done) * float64(total-done)).Round(time.Second)
				fmt.Printf("[round %d %3d/%d eta %s] %-16s %-8s %s\n", r, done, total, eta, w.Name, n, rm.line(w))
				// Save as we go: an interrupted campaign keeps what it measured.
				doc.finish(&c)
				if err := doc.write(&c); err != nil {
					fatal(err)
				}
				if !sleepCtx(ctx, c.gap) {
					break
				}
			}
		}
	}
	doc.Meta.Elapsed = time.Since(startAll).Round(time.Second).String()
	doc.finish(&c)
	if err := doc.write(&c); err != nil {
		fatal(err)
	}
	charts(&c, doc)
	fmt.Printf("\nwrote %s, %s and %s\n\n", filepath.Join(c.out, "results.json"), filepath.Join(c.out, "results.md"), filepath.Join(c.out, "charts"))
	fmt.Print(doc.markdown(&c, false))
}

// runOne starts the server, runs siobench against it and stops the server.
func runOne(ctx context.Context, c *config, s server, w workload, round, port int) *runMetrics {
	rm := &runMetrics{Round: round, Server: s.Name}
	base := fmt.Sprintf("%s-%s-r%d", w.Name, s.Name, round)
	rm.File = filepath.Join("raw", base+".json")
	logf, err := os.Create(filepath.Join(c.out, "raw", base+".log"))
	if err != nil {
		rm.Err = err.Error()
		return rm
	}
	defer logf.Close()

	p := strconv.Itoa(port)
	argv := append([]string{"-c", c.srvCPU}, expand(s.Argv, c.host, p)...)
	srv := exec.Command("taskset", argv...) // taskset execs: the PID is the server's
	srv.Dir = c.root
	srv.Stderr = logf
	out, _ := srv.StdoutPipe()
	fmt.Fprintf(logf, "# server: taskset %s\n", strings.Join(argv, " "))
	if err := srv.Start(); err != nil {
		rm.Err = "server: " + err.Error()
		return rm
	}
	exited := make(chan struct{})
	go func() { _ = srv.Wait(); close(exited) }()
	defer stopServer(srv, exited, logf)

	if err := waitReady(out, logf, c.host+":"+p, exited); err != nil {
		rm.Err = "server: " + err.Error()
		return rm
	}
	rm.ServerRSSStartKiB = loadgen.PidRSS(srv.Process.Pid)

	raw := filepath.Join(c.out, rm.File)
	args := []string{"-c", c.cliCPU, filepath.Join(c.bin, "siobench"), w.Scenario}
	args = append(args, w.Args...)
	args = append(args, "--url", "http://"+c.host+":"+p, "--server-pid", strconv.Itoa(srv.Process.Pid),
		"--label", s.Name, "--out", raw, "--progress", "0")
	fmt.Fprintf(logf, "# client: taskset %s\n", strings.Join(args, " "))
	cl := exec.CommandContext(ctx, "taskset", args...)
	cl.Cancel = func() error { return cl.Process.Signal(os.Interrupt) }
	cl.WaitDelay = 10 * time.Second
	cl.Stdout, cl.Stderr = logf, logf
	cerr := cl.Run()
	select {
	case <-exited:
		rm.Err = "server exited during the run"
	default:
	}
	res, err := readResult(raw)
	if err != nil {
		if rm.Err == "" {
			rm.Err = fmt.Sprintf("siobench: %v (%v)", cerr, err)
		}
		return rm
	}
	rm.fill(res, w)
	if rm.Err == "" && cerr != nil {
		// exit 1 with a result: the server failed part of the run (the
		// figures stay; the note says what failed)
		rm.Err = "siobench: " + cerr.Error()
		if len(res.Problems) > 0 {
			rm.Err = "siobench: " + strings.Join(res.Problems, "; ")
		}
	}
	return rm
}

// waitReady waits for the server's first stdout line (every peer prints one
// once it listens), then for the port to accept.
func waitReady(out io.Reader, log io.Writer, addr string, exited <-chan struct{}) error {
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			fmt.Fprintln(log, sc.Text())
			if first {
				line <- sc.Text()
				first = false
			}
		}
	}()
	select {
	case <-line:
	case <-exited:
		return errors.New("exited before listening")
	case <-time.After(20 * time.Second):
		return errors.New("no output after 20s")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		cn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			cn.Close()
			time.Sleep(100 * time.Millisecond) // let that connection go away
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopServer sends SIGTERM to the server it started, then SIGKILL after 5 s.
func stopServer(srv *exec.Cmd, exited <-chan struct{}, log io.Writer) {
	_ = srv.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		fmt.Fprintln(log, "# server did not stop in 5s: SIGKILL")
		_ = srv.Process.Kill()
		<-exited
	}
}

func readResult(path string) (*loadgen.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r loadgen.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// repoRoot finds the directory of the main module's go.mod.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/sioloop/sioloop\n") {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", errors.New("run from inside the sioloop repository")
		}
		d = up
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}

// meta describes the machine and the command.
func meta(c *config, argv []string) Meta {
	m := Meta{
		Started: time.Now().UTC().Format(time.RFC3339),
		Command: "go run ./bench/compare " + strings.Join(argv[1:], " "),
		Full:    c.full, Rounds: c.rounds, Servers: c.servers,
		ServerCPU: c.srvCPU, ClientCPU: c.cliCPU, Go: runtime.Version(),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	m.CPUs = runtime.NumCPU()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := exec.Command("node", "--version").Output(); err == nil {
		m.Node = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(c.root, "interop/node_modules/socket.io/package.json")); err == nil {
		var p struct{ Version string }
		if json.Unmarshal(b, &p) == nil {
			m.SocketIO = p.Version
		}
	}
	g := exec.Command("git", "describe", "--always", "--dirty")
	g.Dir = c.root
	if b, err := g.Output(); err == nil {
		m.Git = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.TrimSpace(string(b))
	}
	return m
}
