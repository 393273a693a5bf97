//go:build linux

package main

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

	"github.com/sioloop/sioloop/sio"
)

// TestBrowserChat runs the chat in two tabs of a real headless Chromium
// (Debian's chromium, `make deps` installs it), steered by playwright-core
// from interop/node/chat-browser.js: both tabs join a room, A's message
// reaches B and A, B's typing shows in A, a third tab cannot take a name in
// use (the join ack's error), closing B's tab shows a leave notice in A.
// The server checks which transport carried the messages. Once per
// transport: the default (polling, then the upgrade to WebSocket), polling
// only and WebSocket only.
//
// The test owns every process: the chat server runs in the test binary
// (so -race covers it), Chromium and node are started here and killed by
// PID. SIOLOOP_NO_BROWSER=1 skips the test; SIOLOOP_CHROMIUM and
// SIOLOOP_NODE name other binaries; SIOLOOP_CHAT_SHOTS=DIR keeps
// screenshots of both tabs.
func TestBrowserChat(t *testing.T) {
	if os.Getenv("SIOLOOP_NO_BROWSER") == "1" {
		t.Skip("SIOLOOP_NO_BROWSER=1: the browser test is skipped")
	}
	root := repoRoot(t)
	node := requireNode(t, root)
	dist := filepath.Join(root, filepath.FromSlash(clientRel))
	if _, err := os.Stat(filepath.Join(dist, "socket.io.min.js")); err != nil {
		t.Fatalf("the official browser client is missing (%v): run `make npm-deps`", err)
	}
	cdp := startChromium(t)

	for _, tc := range []struct{ name, transport, want string }{
		{"upgrade", "", "websocket"},
		{"polling", "polling", "polling"},
		{"websocket", "websocket", "websocket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]int{} // server-side transport of each chat message
			url := startChat(t, dist, func(s *sio.Socket, _ string) {
				mu.Lock()
				seen[s.Session().Transport()]++
				mu.Unlock()
			})
			arg := map[string]any{
				"cdp": cdp, "url": url, "transport": tc.transport, "want": tc.want,
				"room": "lobby", "stepMs": 10000, "timeoutMs": scenarioTimeout.Milliseconds(),
			}
			if dir := os.Getenv("SIOLOOP_CHAT_SHOTS"); dir != "" {
				arg["shots"] = filepath.Join(dir, tc.name)
				if err := os.MkdirAll(arg["shots"].(string), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var res struct {
				OK         bool              `json:"ok"`
				Transports map[string]string `json:"transports"`
				MS         int               `json:"ms"`
			}
			runScenario(t, node, root, arg, &res)
			if !res.OK || res.Transports["A"] != tc.want || res.Transports["B"] != tc.want {
				t.Errorf("browser result %+v, want both tabs on %s", res, tc.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 || seen[tc.want] != 2 {
				t.Errorf("the server got the chat messages over %v, want 2 over %s", seen, tc.want)
			}
			t.Logf("scenario done in %d ms in the browser", res.MS)
		})
	}
}

const (
	browserStartTimeout = 20 * time.Second
	scenarioTimeout     = 30 * time.Second // the node script's own deadline
	stopTimeout         = 5 * time.Second
)

func repoRoot(t *testing.T) string {
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

func requireNode(t *testing.T, root string) string {
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

// ---- the chat server, in this process ----

// startChat serves the chat with srv.ListenAndServe on a free loopback port
// and returns its URL once it answers; it is shut down when t ends.
func startChat(t *testing.T, dist string, observe func(*sio.Socket, string)) string {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr := freeAddr(t)
		c := newChat(&sio.Options{ServeClient: os.DirFS(dist)})
		c.observe = observe
		done := make(chan error, 1)
		go func() { done <- c.srv.ListenAndServe(addr, newSite()) }()
		err := waitServing(addr, done)
		if err == nil {
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
				defer cancel()
				if err := c.srv.Shutdown(ctx); err != nil {
					t.Errorf("chat server shutdown: %v", err)
				}
				select {
				case <-done:
				case <-time.After(stopTimeout):
					t.Errorf("chat server on %s still serving %v after Shutdown", addr, stopTimeout)
				}
			})
			return "http://" + addr
		}
		lastErr = err
		select {
		case <-done: // failed to listen (most likely the port was taken meanwhile): retry
			c.srv.Close()
		default: // serving but not answering
			ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			_ = c.srv.Shutdown(ctx)
			cancel()
			t.Fatalf("chat server on %s: %v", addr, err)
		}
	}
	t.Fatalf("chat server: %v", lastErr)
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitServing polls GET / until the server answers, it fails, or 10 s pass.
// On failure, the server's error stays in done for the caller.
func waitServing(addr string, done chan error) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("ListenAndServe: %w", err)
		default:
		}
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET / does not answer 200 within 10 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- Chromium ----

var devtoolsRe = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// startChromium starts headless Chromium with a fresh profile (and home,
// config and cache directories, so that nothing is written outside a
// temporary directory) and returns its DevTools WebSocket endpoint. When t
// ends, Chromium and every process it started are killed by PID.
func startChromium(t *testing.T) string {
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
	case <-time.After(stopTimeout):
		t.Errorf("chromium (pid %d) did not exit after SIGKILL", pid)
	}
	deadline := time.Now().Add(stopTimeout)
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

// runScenario runs interop/node/chat-browser.js with arg and decodes the
// JSON object of its last stdout line into out.
func runScenario(t *testing.T, node, root string, arg, out any) {
	t.Helper()
	a, err := json.Marshal(arg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "interop", "node", "chat-browser.js"), string(a))
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
		t.Fatalf("node chat-browser.js: %v (context: %v)\nstdout: %s\nstderr: %s", runErr, ctx.Err(), clip(stdout.String()), clip(stderr.String()))
	}
	if err := json.Unmarshal([]byte(last), out); err != nil {
		t.Fatalf("node chat-browser.js: result %q: %v\nstderr: %s", clip(last), err, clip(stderr.String()))
	}
}

func clip(s string) string {
	const n = 4000
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d more bytes)", len(s)-n)
}
