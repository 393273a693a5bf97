// Command soak runs the bundled server under a long mixed load and records
// whether anything drifts: ~15,000 sockets (idle held ones, churning ones,
// acked traffic in one-minute windows, clients that never read their
// replies, peers that trickle and stall large frames), the server's RSS,
// threads and CPU every 10 s, and per window the acks sent, answered and
// lost and the ack latency p99. It is a benchmark, not a test: it prints
// a Markdown report (for BENCHMARKS.md) and exits 1 only if acks were lost
// or the server died.
//
//	make soak                       # 10 minutes
//	go run ./bench/soak -duration 2m
//
// Server on CPU 0, every load process on CPU 1 (taskset). The load spans
// several processes so that none nears the 20,000-descriptor limit.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	dur := flag.Duration("duration", 10*time.Minute, "length of the soak")
	held := flag.Int("held", 5000, "idle sockets held for the whole soak")
	churn := flag.Int("churn", 2000, "sockets that echo, disconnect and reconnect")
	acked := flag.Int("acked", 7000, "sockets sending acked events, in one-minute windows")
	rate := flag.Int("rate", 2000, "acked events per second (all sockets)")
	slow := flag.Int("slow", 50, "sockets that never read (cut off by the server's output cap)")
	addr := flag.String("addr", "127.0.0.1:7300", "where the server listens")
	flag.Parse()
	if err := run(*dur, *held, *churn, *acked, *rate, *slow, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type window struct {
	n                         int
	sent, completed, timeouts int64
	p99us                     float64
	err                       string
}

func run(dur time.Duration, held, churn, acked, rate, slow int, addr string) error {
	dir, err := os.MkdirTemp("", "soak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sb, hostile := filepath.Join(dir, "siobench"), filepath.Join(dir, "hostile")
	for bin, pkg := range map[string]string{sb: "./cmd/siobench", hostile: "./bench/hostile"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	url := "http://" + addr
	srv := exec.Command("taskset", "-c", "0", sb, "serve", "--addr", addr)
	out, _ := srv.StdoutPipe()
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	if !waitLine(out, "bench app on") {
		return fmt.Errorf("the server did not start")
	}
	go func() { _, _ = bufio.NewReader(out).WriteTo(discard{}) }()
	// taskset runs the server in the same process (exec).
	pid := srv.Process.Pid
	fmt.Printf("# soak: %v, server pid %d on CPU 0, load on CPU 1\n\n", dur, pid)

	end := time.Now().Add(dur)
	load := func(name string, args ...string) *exec.Cmd {
		c := exec.Command("taskset", append([]string{"-c", "1"}, args...)...)
		c.Stderr = prefixed(name)
		return c
	}
	var bg []*exec.Cmd
	start := func(c *exec.Cmd) {
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			return
		}
		bg = append(bg, c)
	}
	secs := strconv.Itoa(int(dur.Seconds())) + "s"
	start(load("held", sb, "connect", "--mode", "hold", "-c", strconv.Itoa(held), "--duration", secs, "--url", url, "--quiet"))
	churnOut := &strings.Builder{}
	churnCmd := load("churn", sb, "churn", "-c", strconv.Itoa(churn), "--duration", secs, "--url", url, "--json", "--quiet")
	churnCmd.Stdout = churnOut
	start(churnCmd)
	slowOut := &strings.Builder{}
	slowCmd := load("slowread", hostile, "-addr", addr, "-pid", strconv.Itoa(pid), "slowread", "-conns", strconv.Itoa(slow), "-for", secs)
	slowCmd.Stdout = slowOut
	start(slowCmd)

	// Hostile peers: a trickled frame and a few stalled ones, every minute.
	var hostileRuns int
	var mu sync.Mutex
	go func() {
		for time.Now().Add(45 * time.Second).Before(end) {
			c := load("hostile", hostile, "-addr", addr, "-pid", strconv.Itoa(pid), "trickle", "-write", "1000", "-frames", "1", "-pause", "0")
			_ = c.Run()
			c = load("hostile", hostile, "-addr", addr, "-pid", strconv.Itoa(pid), "stall", "-conns", "10")
			_ = c.Run()
			mu.Lock()
			hostileRuns++
			mu.Unlock()
			time.Sleep(30 * time.Second)
		}
	}()

	// Samples every 10 s.
	type sample struct {
		t        time.Duration
		rssKiB   int64
		threads  int64
		cpuPct   float64
		sessions string
	}
	var samples []sample
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t0 := time.Now()
		cpu0, _ := procCPU(pid)
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			cpu, err := procCPU(pid)
			if err != nil {
				return
			}
			rss, thr := procStatus(pid)
			samples = append(samples, sample{t: time.Since(t0).Round(time.Second), rssKiB: rss, threads: thr,
				cpuPct: float64(cpu-cpu0) / float64(10*time.Second) * 100})
			cpu0 = cpu
		}
	}()

	// Acked traffic in one-minute windows until the end.
	var windows []window
	for i := 1; time.Now().Add(20 * time.Second).Before(end); i++ {
		w := min(time.Minute, time.Until(end)-10*time.Second)
		c := load("ack", sb, "ack", "-c", strconv.Itoa(acked), "--rate", strconv.Itoa(rate), "--duration", strconv.Itoa(int(w.Seconds()))+"s",
			"--warmup", "0s", "--url", url, "--json", "--quiet")
		b, err := c.Output()
		win := window{n: i}
		var r struct {
			Ops struct {
				Sent, Completed, Timeouts int64
			}
			Latency struct {
				Ack struct {
					P99 float64 `json:"p99_us"`
				}
			}
		}
		if jerr := json.Unmarshal(b, &r); jerr != nil {
			win.err = fmt.Sprint(err, jerr)
		} else {
			win.sent, win.completed, win.timeouts, win.p99us = r.Ops.Sent, r.Ops.Completed, r.Ops.Timeouts, r.Latency.Ack.P99
		}
		windows = append(windows, win)
		fmt.Fprintf(os.Stderr, "soak: window %d: %d sent, %d answered, %d timeouts, p99 %.0f µs %s\n", win.n, win.sent, win.completed, win.timeouts, win.p99us, win.err)
	}
	for _, c := range bg {
		_ = c.Wait()
	}
	close(stop)
	<-sampled
	alive := srv.ProcessState == nil && procAlive(pid)

	// Report.
	fmt.Printf("| t | server RSS | threads | server CPU |\n|---:|---:|---:|---:|\n")
	for i, s := range samples {
		if i%6 == 5 || i == len(samples)-1 || i == 0 {
			fmt.Printf("| %v | %.1f MiB | %d | %.1f %% |\n", s.t, float64(s.rssKiB)/1024, s.threads, s.cpuPct)
		}
	}
	var sent, done, lost int64
	fmt.Printf("\n| ack window | sent | answered | timeouts | p99 |\n|---:|---:|---:|---:|---:|\n")
	for _, w := range windows {
		fmt.Printf("| %d | %d | %d | %d | %.2f ms |%s\n", w.n, w.sent, w.completed, w.timeouts, w.p99us/1000, w.err)
		sent += w.sent
		done += w.completed
		lost += w.sent - w.completed
	}
	fmt.Printf("\nacks: %d sent, %d answered, %d lost\n", sent, done, lost)
	fmt.Printf("churn: %s\n", summarizeChurn(churnOut.String()))
	fmt.Printf("%s", slowOut.String())
	mu.Lock()
	fmt.Printf("hostile rounds (a trickled 990 KB frame + 10 stalled ones): %d\n", hostileRuns)
	mu.Unlock()
	if len(samples) > 1 {
		fmt.Printf("RSS: %.1f MiB at %v, %.1f MiB at the end\n", float64(samples[0].rssKiB)/1024, samples[0].t, float64(samples[len(samples)-1].rssKiB)/1024)
	}
	if !alive {
		return fmt.Errorf("the server died")
	}
	if lost > 0 {
		return fmt.Errorf("%d acks lost", lost)
	}
	return nil
}

func summarizeChurn(js string) string {
	var r struct {
		Conns struct{ Connects, Failed, Dropped int64 }
		Ops   struct{ Sent, Completed, Timeouts int64 }
	}
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		return "no result (" + err.Error() + ")"
	}
	return fmt.Sprintf("%d connects (%d failed, %d dropped), %d echoes sent, %d answered, %d timeouts",
		r.Conns.Connects, r.Conns.Failed, r.Conns.Dropped, r.Ops.Sent, r.Ops.Completed, r.Ops.Timeouts)
}

func waitLine(r interface{ Read([]byte) (int, error) }, prefix string) bool {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.Contains(sc.Text(), prefix) {
			return true
		}
	}
	return false
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// prefixed writes a process's stderr lines with its name.
func prefixed(name string) *prefixWriter { return &prefixWriter{name: name} }

type prefixWriter struct {
	name string
	mu   sync.Mutex
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if l != "" {
			fmt.Fprintf(os.Stderr, "[%s] %s\n", w.name, l)
		}
	}
	return len(b), nil
}

func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	_, after, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(after)
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

func procStatus(pid int) (rssKiB, threads int64) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rssKiB, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			threads, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return
}

func procAlive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}
