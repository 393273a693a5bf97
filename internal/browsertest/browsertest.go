//go:build linux

// Package browsertest holds what the browser tests of the examples share:
// the repository root, Node.js with playwright-core, a headless Chromium
// (Debian's chromium) owned by the test and killed by PID, and the Node
// scripts of interop/node that steer it over the DevTools protocol.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	browserStartTimeout = 20 * time.Second
	// StopTimeout bounds how long a test waits for a server or a browser
	// to stop.
	StopTimeout = 5 * time.Second
)

// Skip skips t when SIOLOOP_NO_BROWSER=1.
func Skip(t *testing.T) {
	if os.Getenv("SIOLOOP_NO_BROWSER") == "1" {
		t.Skip("SIOLOOP_NO_BROWSER=1: the browser test is skipped")
	}
}

// RepoRoot is the directory holding go.mod, from the working directory up.
func RepoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// RequireNode returns the node binary ($SIOLOOP_NODE or node on $PATH)
// once interop/node_modules holds playwright-core.
func RequireNode(t *testing.T, root string) string {
	t.Helper()
	node := os.Getenv("SIOLOOP_NODE")
	if node == "" {
		p, err := exec.LookPath("node")
		if err != nil {
			t.Fatal("node not found on $PATH (set SIOLOOP_NODE): the browser test drives Chromium with the npm playwright-core; install Node.js and run `make deps`, or set SIOLOOP_NO_BROWSER=1 to skip it")
		}
		node = p
	}
	if _, err := os.Stat(filepath.Join(root, "interop", "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatal("interop/node_modules/playwright-core is missing: run `make deps` (or `cd interop && npm ci`)")
	}
	return node
}

// FreeAddr is a loopback address with a port free a moment ago.
func FreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// WaitServing polls GET path until the server answers 200, it fails (an
// error on done: left there for the caller), or 10 s pass.
func WaitServing(addr, path string, done chan error) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("ListenAndServe: %w", err)
		default:
		}
		resp, err := client.Get("http://" + addr + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s does not answer 200 within 10 s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- Chromium ----

var devtoolsRe = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// StartChromium starts headless Chromium with a fresh profile (and home,
// config and cache directories, so that nothing is written outside a
// temporary directory) and returns its DevTools WebSocket endpoint. When t
// ends, Chromium and every process it started are killed by PID.
func StartChromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("SIOLOOP_CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("Chromium not found (%v): `make deps` installs Debian's chromium (apt-get install chromium); set SIOLOOP_CHROMIUM to use another binary, or SIOLOOP_NO_BROWSER=1 to skip the browser test", err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(tmp, "profile"),
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"about:blank")
	cmd.Env = append(os.Environ(),
		"HOME="+filepath.Join(tmp, "home"),
		"XDG_CONFIG_HOME="+filepath.Join(tmp, "config"),
		"XDG_CACHE_HOME="+filepath.Join(tmp, "cache"))
	out := &lineWriter{found: make(chan string, 1)}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 2 * time.Second
	// Its own process group, and killed by the kernel if this test binary dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() { killChromium(t, cmd.Process.Pid, tmp, exited) })

	select {
	case ep := <-out.found:
		t.Logf("chromium pid %d, DevTools %s", cmd.Process.Pid, ep)
		return ep
	case <-exited:
		t.Fatalf("%s exited before listening: %v\n%s", bin, waitErr, out.tail())
	case <-time.After(browserStartTimeout):
		t.Fatalf("%s printed no DevTools endpoint within %v\n%s", bin, browserStartTimeout, out.tail())
	}
	return ""
}

// killChromium kills the browser's process group, its descendants and the
// processes that name its temporary directory (the crash handlers detach
// from the tree), all by PID, and checks that none is left.
func killChromium(t *testing.T, pid int, tmp string, exited chan struct{}) {
	pids := ownProcesses(pid, tmp)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	select {
	case <-exited:
	case <-time.After(StopTimeout):
		t.Errorf("chromium (pid %d) did not exit after SIGKILL", pid)
	}
	deadline := time.Now().Add(StopTimeout)
	for {
		var left []int
		for _, p := range append(pids, ownProcesses(-1, tmp)...) {
			if alive(p) {
				_ = syscall.Kill(p, syscall.SIGKILL)
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("chromium processes still alive after SIGKILL: %v", left)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ownProcesses lists the descendants of root (none for root < 0) and the
// processes whose command line contains dir.
func ownProcesses(root int, dir string) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	set := map[int]bool{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == os.Getpid() {
			continue
		}
		if ppid, ok := parentOf(p); ok {
			children[ppid] = append(children[ppid], p)
		}
		if cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && bytes.Contains(cmdline, []byte(dir)) {
			set[p] = true
		}
	}
	if root > 0 {
		queue := []int{root}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, c := range children[p] {
				set[c] = true
				queue = append(queue, c)
			}
		}
	}
	out := make([]int, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// stat returns the state and the parent of pid from /proc/PID/stat.
func stat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0][0], ppid, err == nil
}

func parentOf(pid int) (int, bool) {
	_, ppid, ok := stat(pid)
	return ppid, ok
}

// alive: a zombie has ended (it only waits for its parent to reap it).
func alive(pid int) bool {
	state, _, ok := stat(pid)
	return ok && state != 'Z' && state != 'X'
}

// lineWriter keeps the last output of Chromium and reports the DevTools
// endpoint.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	seen  bool
	found chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if !w.seen {
		if m := devtoolsRe.FindSubmatch(w.buf); m != nil {
			w.seen = true
			w.found <- string(m[1])
		}
	}
	if len(w.buf) > 64<<10 {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-32<<10:]...)
	}
	return len(p), nil
}

func (w *lineWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

// ---- the browser scenario ----

// RunScript runs the Node script interop/node/<script> with arg (as JSON)
// for at most timeout, and decodes the JSON object of its last stdout
// line into out. A line {"error": …, "trace": […]} fails t with them.
func RunScript(t *testing.T, node, root, script string, timeout time.Duration, arg, out any) {
	t.Helper()
	a, err := json.Marshal(arg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "interop", "node", script), string(a))
	cmd.Dir = filepath.Join(root, "interop")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runErr := cmd.Run() // on the deadline, CommandContext kills node by PID
	last := strings.TrimSpace(stdout.String())
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	var fail struct {
		Error string   `json:"error"`
		Trace []string `json:"trace"`
	}
	if json.Unmarshal([]byte(last), &fail) == nil && fail.Error != "" {
		t.Fatalf("browser: %s\ntrace:\n  %s\nstderr: %s", fail.Error, strings.Join(fail.Trace, "\n  "), clip(stderr.String()))
	}
	if runErr != nil || ctx.Err() != nil {
		t.Fatalf("node %s: %v (context: %v)\nstdout: %s\nstderr: %s", script, runErr, ctx.Err(), clip(stdout.String()), clip(stderr.String()))
	}
	if err := json.Unmarshal([]byte(last), out); err != nil {
		t.Fatalf("node %s: result %q: %v\nstderr: %s", script, clip(last), err, clip(stderr.String()))
	}
}

func clip(s string) string {
	const n = 4000
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d more bytes)", len(s)-n)
}
