package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Target kinds.
const (
	KindNode     = "node"      // interop/node/eio-ref-server.js (npm engine.io)
	KindOurs     = "ours"      // examples/conformance, gnet mode
	KindOursHTTP = "ours-http" // examples/conformance -mode http
)

// Server option profiles of the golden captures, as conformance flags.
var (
	// profileRef is the contract's default (pingInterval 300 ms,
	// pingTimeout 200 ms, maxPayload 1000000): no flags.
	profileRef []string
	// profileDefault is the library default heartbeat of engine.io.
	profileDefault = []string{"-ping-interval", "25s", "-ping-timeout", "20s"}
	// profileSmall is profileDefault with maxPayload 1000.
	profileSmall = []string{"-ping-interval", "25s", "-ping-timeout", "20s", "-max-payload", "1000"}
	// profileBeat keeps the contract's 300 ms interval with a pingTimeout
	// generous enough that a client's watchdog (interval + timeout) and the
	// server's patience survive scheduling hiccups of a loaded machine.
	profileBeat = []string{"-ping-interval", "300ms", "-ping-timeout", "3s"}
)

const beatTimeout = 3 * time.Second

// profiles names the flag sets above.
var profiles = map[string][]string{
	"ref":     profileRef,
	"default": profileDefault,
	"small":   profileSmall,
	"beat":    profileBeat,
}

const (
	startTimeout = 20 * time.Second // a -race build of ours can be slow to start on a loaded box
	buildTimeout = 5 * time.Minute
)

var env struct {
	interopDir string // absolute path of interop/
	repoRoot   string
	goldenDir  string

	node    string
	nodeErr error // why the Node side is unusable (missing node or node_modules)

	skipOurs bool

	buildDone chan struct{}
	oursBin   string
	buildErr  error
	buildTmp  string
}

func TestMain(m *testing.M) {
	flag.Parse()
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(2)
	}
	code := m.Run()
	if env.buildTmp != "" {
		<-env.buildDone
		os.RemoveAll(env.buildTmp)
	}
	os.Exit(code)
}

func setup() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	env.interopDir = wd
	env.repoRoot = filepath.Dir(wd)
	env.goldenDir = filepath.Join(wd, "testdata", "golden")
	if d := os.Getenv("SIOLOOP_GOLDEN_DIR"); d != "" {
		env.goldenDir = d
	}
	env.node, env.nodeErr = findNode()
	env.skipOurs = os.Getenv("SIOLOOP_SKIP_OURS") == "1"
	env.buildDone = make(chan struct{})
	if env.skipOurs {
		close(env.buildDone)
		return nil
	}
	env.buildTmp, err = os.MkdirTemp("", "sioloop-interop-")
	if err != nil {
		return err
	}
	// Build in the background: Node-only tests start meanwhile.
	go func() {
		defer close(env.buildDone)
		env.oursBin, env.buildErr = buildExample(env.buildTmp, "conformance")
	}()
	return nil
}

func findNode() (string, error) {
	node := os.Getenv("SIOLOOP_NODE")
	if node == "" {
		p, err := exec.LookPath("node")
		if err != nil {
			return "", errors.New("node not found on $PATH (set SIOLOOP_NODE); the interop tests need Node.js and the pinned npm packages: run `make deps`")
		}
		node = p
	}
	for _, pkg := range []string{"engine.io", "engine.io-client", "ws"} {
		if _, err := os.Stat(filepath.Join(env.interopDir, "node_modules", pkg, "package.json")); err != nil {
			return "", fmt.Errorf("interop/node_modules/%s is missing: run `make deps` (or `cd interop && npm ci`)", pkg)
		}
	}
	return node, nil
}

// buildExample compiles ./examples/<name> into dir, with -race when the
// test binary has it (override: SIOLOOP_INTEROP_SERVER_RACE=0|1).
func buildExample(dir, name string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go command not found: %w", err)
	}
	bin := filepath.Join(dir, name)
	args := []string{"build", "-o", bin}
	race := raceEnabled
	if v := os.Getenv("SIOLOOP_INTEROP_SERVER_RACE"); v != "" {
		race = v == "1"
	}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./examples/"+name)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = env.repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %s (in %s): %v\n%s", strings.Join(args, " "), env.repoRoot, err, out)
	}
	return bin, nil
}

func requireNode(t testing.TB) {
	t.Helper()
	if env.nodeErr != nil {
		t.Fatal(env.nodeErr)
	}
}

// kindsAll are the targets every raw test runs against.
var kindsAll = []string{KindNode, KindOurs}

// kindsWithHTTP adds the net/http mounting of our server.
var kindsWithHTTP = []string{KindNode, KindOurs, KindOursHTTP}

// forKinds runs fn as one parallel subtest per target kind.
func forKinds(t *testing.T, kinds []string, fn func(t *testing.T, kind string)) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, kind)
		})
	}
}

// Target is a running server process (ours or the Node reference).
type Target struct {
	Kind string
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port

	cmd    *exec.Cmd
	out    *procOutput
	exited chan struct{}
	waited error
}

var listeningRe = regexp.MustCompile(`listening on http://(\S+)`)

// StartTarget starts a target of the given kind on a free loopback port with
// the conformance flags (e.g. "-ping-interval", "25s") and waits for its
// "listening on" line. The process is killed when t ends; a target that dies
// on its own during the test, or whose stderr shows a data race or a panic,
// fails t.
func StartTarget(t testing.TB, kind string, flags ...string) *Target {
	t.Helper()
	var argv []string
	switch kind {
	case KindNode:
		requireNode(t)
		argv = []string{env.node, filepath.Join(env.interopDir, "node", "eio-ref-server.js")}
	case KindOurs, KindOursHTTP:
		if env.skipOurs {
			t.Skipf("SIOLOOP_SKIP_OURS=1: not running against %s", kind)
		}
		<-env.buildDone
		if env.buildErr != nil {
			msg := "examples/conformance does not build (the compiler output is in the first failure)"
			buildErrOnce.Do(func() { msg = fmt.Sprintf("examples/conformance does not build:\n%v", env.buildErr) })
			t.Fatalf("cannot test %s: %s", kind, msg)
		}
		mode := "gnet"
		if kind == KindOursHTTP {
			mode = "http"
		}
		argv = []string{env.oursBin, "-mode", mode}
	default:
		t.Fatalf("unknown target kind %q", kind)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		args := append(append(append([]string{}, argv[1:]...), "-addr", "127.0.0.1:"+freePort(t)), flags...)
		tg, err := launch(kind, argv[0], args)
		if err == nil {
			t.Cleanup(func() { tg.stop(t) })
			return tg
		}
		lastErr = err
		if !errors.Is(err, errEarlyExit) {
			break
		}
		// Most likely the port was taken between freePort and the bind: retry.
	}
	t.Fatalf("start %s: %v", kind, lastErr)
	return nil
}

var errEarlyExit = errors.New("exited before listening")

var buildErrOnce sync.Once

func launch(kind, bin string, args []string) (*Target, error) {
	out := newProcOutput()
	cmd := exec.Command(bin, args...)
	cmd.Dir = env.interopDir
	cmd.Stdout = out.stdout()
	cmd.Stderr = out.stderr()
	cmd.WaitDelay = 2 * time.Second
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	tg := &Target{Kind: kind, cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		tg.waited = cmd.Wait()
		close(tg.exited)
	}()
	select {
	case addr := <-out.ready:
		tg.Addr = addr
		tg.URL = "http://" + addr
		return tg, nil
	case <-tg.exited:
		return nil, fmt.Errorf("%s %s: %w (%v)\n%s", bin, strings.Join(args, " "), errEarlyExit, tg.waited, out.tail())
	case <-time.After(startTimeout):
		cmd.Process.Kill()
		<-tg.exited
		return nil, fmt.Errorf("%s %s: no \"listening on\" line within %v\n%s", bin, strings.Join(args, " "), startTimeout, out.tail())
	}
}

func (tg *Target) stop(t testing.TB) {
	select {
	case <-tg.exited:
		t.Errorf("%s target exited during the test: %v\n%s", tg.Kind, tg.waited, tg.out.tail())
	default:
		tg.cmd.Process.Kill() // by PID: only the process this test started
		select {
		case <-tg.exited:
		case <-time.After(5 * time.Second):
			t.Errorf("%s target (pid %d) did not exit after SIGKILL", tg.Kind, tg.cmd.Process.Pid)
		}
	}
	stderr := tg.out.stderrText()
	if i := strings.Index(stderr, "WARNING: DATA RACE"); i >= 0 {
		t.Errorf("%s target reported a data race:\n%s", tg.Kind, clip(stderr[i:], 8000))
	}
	if i := strings.Index(stderr, "panic:"); i >= 0 {
		t.Errorf("%s target panicked:\n%s", tg.Kind, clip(stderr[i:], 8000))
	}
	if t.Failed() {
		t.Logf("%s target output (tail):\n%s", tg.Kind, tg.out.tail())
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// procOutput collects a child's stdout and stderr (bounded) and reports the
// address of the first "listening on" line.
type procOutput struct {
	mu      sync.Mutex
	out     bytes.Buffer
	err     bytes.Buffer
	partial []byte
	ready   chan string
	seen    bool
}

const procOutputCap = 1 << 20

func newProcOutput() *procOutput { return &procOutput{ready: make(chan string, 1)} }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (o *procOutput) stdout() io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.out.Len() < procOutputCap {
			o.out.Write(p)
		}
		if !o.seen {
			o.partial = append(o.partial, p...)
			for {
				i := bytes.IndexByte(o.partial, '\n')
				if i < 0 {
					break
				}
				line := string(o.partial[:i])
				o.partial = o.partial[i+1:]
				if m := listeningRe.FindStringSubmatch(line); m != nil {
					o.seen = true
					o.partial = nil
					o.ready <- m[1]
					break
				}
			}
		}
		return len(p), nil
	})
}

func (o *procOutput) stderr() io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.err.Len() < procOutputCap {
			o.err.Write(p)
		}
		return len(p), nil
	})
}

func (o *procOutput) stderrText() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err.String()
}

func (o *procOutput) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return fmt.Sprintf("--- stdout ---\n%s\n--- stderr ---\n%s", clipTail(o.out.String(), 3000), clipTail(o.err.String(), 6000))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d more bytes)", len(s)-n)
}

func clipTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("(%d bytes before) ...", len(s)-n) + s[len(s)-n:]
}

// ---- Node scripts ----

// RunNode runs interop/node/<script> with arg JSON-encoded as its single
// argument and decodes the JSON object printed on its last stdout line into
// out. A non-zero exit (the script's own expectation failed), a timeout or
// undecodable output fails t with the script's diagnostics.
func RunNode(t testing.TB, timeout time.Duration, script string, arg, out any) {
	t.Helper()
	requireNode(t)
	a, err := json.Marshal(arg)
	if err != nil {
		t.Fatalf("encode argument of %s: %v", script, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.interopDir, "node", script), string(a))
	cmd.Dir = env.interopDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	setDeathSignal(cmd)
	runErr := cmd.Run()
	last := lastLine(stdout.String())
	if ctx.Err() != nil {
		t.Fatalf("node %s %s: killed after %v\nstdout: %s\nstderr: %s", script, a, timeout, clip(stdout.String(), 4000), clip(stderr.String(), 4000))
	}
	if runErr != nil {
		var fail struct {
			Error string   `json:"error"`
			Trace []string `json:"trace"`
		}
		if json.Unmarshal([]byte(last), &fail) == nil && fail.Error != "" {
			t.Fatalf("node %s %s: %s\ntrace:\n  %s\nstderr: %s", script, a, fail.Error, strings.Join(fail.Trace, "\n  "), clip(stderr.String(), 4000))
		}
		t.Fatalf("node %s %s: %v\nstdout: %s\nstderr: %s", script, a, runErr, clip(stdout.String(), 4000), clip(stderr.String(), 4000))
	}
	if err := json.Unmarshal([]byte(last), out); err != nil {
		t.Fatalf("node %s: decode result %q: %v\nstderr: %s", script, clip(last, 2000), err, clip(stderr.String(), 4000))
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ---- admin endpoints ----

// Sessions is the answer of GET /admin/sessions.
type Sessions struct {
	Open   []string        `json:"open"`
	Closed []ClosedSession `json:"closed"`
}

// ClosedSession is a closed session and the server's close reason.
type ClosedSession struct {
	SID    string `json:"sid"`
	Reason string `json:"reason"`
}

var adminClient = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// Sessions fetches /admin/sessions.
func (tg *Target) Sessions(t testing.TB) Sessions {
	t.Helper()
	resp, err := adminClient.Get(tg.URL + "/admin/sessions")
	if err != nil {
		t.Fatalf("%s: GET /admin/sessions: %v", tg.Kind, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET /admin/sessions: %s %q", tg.Kind, resp.Status, body)
	}
	var s Sessions
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("%s: GET /admin/sessions: %v in %q", tg.Kind, err, body)
	}
	return s
}

// IsOpen reports whether sid is listed as open.
func (s Sessions) IsOpen(sid string) bool {
	for _, o := range s.Open {
		if o == sid {
			return true
		}
	}
	return false
}

// Reason returns the close reason of sid, if it is listed as closed.
func (s Sessions) Reason(sid string) (string, bool) {
	for _, c := range s.Closed {
		if c.SID == sid {
			return c.Reason, true
		}
	}
	return "", false
}

// WaitClosed polls /admin/sessions until sid is closed and returns the reason.
func (tg *Target) WaitClosed(t testing.TB, sid string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := tg.Sessions(t)
		if r, ok := s.Reason(sid); ok {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: session %s not closed within %v (open: %v)", tg.Kind, sid, timeout, s.IsOpen(sid))
		}
		time.Sleep(15 * time.Millisecond)
	}
}

// ExpectClosedWith waits for sid to close and checks the server's reason.
func (tg *Target) ExpectClosedWith(t testing.TB, sid, reason string, timeout time.Duration) {
	t.Helper()
	if got := tg.WaitClosed(t, sid, timeout); got != reason {
		t.Errorf("%s: session closed with reason %q, want %q", tg.Kind, got, reason)
	}
}

// ExpectOpen checks that sid is still listed as open.
func (tg *Target) ExpectOpen(t testing.TB, sid string) {
	t.Helper()
	s := tg.Sessions(t)
	if !s.IsOpen(sid) {
		r, _ := s.Reason(sid)
		t.Errorf("%s: session %s should still be open (closed reason %q)", tg.Kind, sid, r)
	}
}

// AdminClose asks the server to close sid and returns the HTTP status.
func (tg *Target) AdminClose(t testing.TB, sid string) int {
	t.Helper()
	resp, err := adminClient.Post(tg.URL+"/admin/close?sid="+url.QueryEscape(sid), "text/plain", nil)
	if err != nil {
		t.Fatalf("%s: POST /admin/close: %v", tg.Kind, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
