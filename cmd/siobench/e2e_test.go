//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sioloop/sioloop/internal/loadgen"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

func TestMain(m *testing.M) {
	// A --procs run re-executes the test binary as a siobench child.
	if os.Getenv(childEnv) == "1" && len(os.Args) > 1 && os.Args[1] == childCmd {
		os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
	}
	// TestServe runs `siobench serve` as a child process.
	if os.Getenv("SIOBENCH_TEST_SERVE") == "1" {
		os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// short flags keep every run brief; the machine is shared.
var short = []string{"--quiet", "--json", "--warmup", "100ms", "--duration", "400ms", "--drain", "2s"}

// runJSON runs siobench with args and decodes its JSON result.
func runJSON(t *testing.T, args ...string) (*loadgen.Result, string) {
	t.Helper()
	var out, errb bytes.Buffer
	start := time.Now()
	code := cli(args, &out, &errb)
	if code != exitOK {
		t.Fatalf("siobench %s: exit %d\nstderr: %s\nstdout: %s", strings.Join(args, " "), code, errb.String(), out.String())
	}
	var r loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("siobench %s: bad JSON: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	t.Logf("siobench %s: %.1fs", strings.Join(args, " "), time.Since(start).Seconds())
	return &r, errb.String()
}

// scenarioCase is one scenario run and the checks of its result.
type scenarioCase struct {
	name string
	args []string
}

var scenarioCases = []scenarioCase{
	{"echo", []string{"echo", "-c", "20"}},
	{"ack", []string{"ack", "-c", "20"}},
	{"echo-paced", []string{"echo", "-c", "10", "--rate", "2000"}},
	{"broadcast", []string{"broadcast", "-c", "100", "--inflight", "2"}},
	{"broadcast-count", []string{"broadcast", "-c", "50", "--count", "40"}},
	{"rooms", []string{"rooms", "--rooms", "10", "--room-size", "4"}},
	{"churn", []string{"churn", "-c", "20", "--churn-ops", "5"}},
	{"connect-storm", []string{"connect", "-c", "200"}},
	{"connect-ramp", []string{"connect", "-c", "100", "--mode", "ramp", "--rate", "1000"}},
	{"connect-hold", []string{"connect", "-c", "100", "--mode", "hold", "--duration", "300ms"}},
	{"polling", []string{"echo", "-c", "5", "--transport", "polling"}},
	{"polling-upgrade", []string{"echo", "-c", "5", "--transport", "polling+upgrade"}},
	{"custom", []string{"custom", "--scenario", "testdata/mix.json", "-c", "10"}},
}

// checkSane checks a result for the figures a scenario must produce when
// the server answered everything.
func checkSane(t *testing.T, c scenarioCase, r *loadgen.Result) {
	t.Helper()
	if r.Tool != "siobench" || r.Schema != loadgen.SchemaVersion {
		t.Errorf("header: %q %d", r.Tool, r.Schema)
	}
	if r.TotalErrors() != 0 {
		t.Errorf("errors: %v", r.Errors)
	}
	if (r.Conns.Up != int64(r.Conns.Target) && r.Scenario != loadgen.ScenarioChurn) || r.Conns.Up == 0 || r.Conns.Failed != 0 || r.Conns.Dropped != 0 {
		t.Errorf("conns: %+v", r.Conns)
	}
	if l := r.Latency[loadgen.LatConnect]; l == nil || l.Count < int64(r.Conns.Target) || l.P50 <= 0 || l.Max < l.P50 {
		t.Errorf("connect latency: %+v", l)
	}
	if r.Window <= 0 {
		t.Errorf("window %v", r.Window)
	}
	if r.Client.Cores < 1 {
		t.Errorf("cores %d", r.Client.Cores)
	}
	switch r.Scenario {
	case loadgen.ScenarioConnect:
		if r.Conns.PerSec <= 0 || r.Conns.Phase <= 0 {
			t.Errorf("connect rate: %+v", r.Conns)
		}
		if r.Mode == loadgen.ModeHold && r.Conns.RSSAfterKiB <= 0 {
			t.Errorf("hold: no memory figures: %+v", r.Conns)
		}
	case loadgen.ScenarioBroadcast, loadgen.ScenarioRooms:
		d := r.Deliveries
		if d == nil || d.Messages == 0 || d.Received == 0 || d.PerSec <= 0 || d.Fanout == 0 {
			t.Fatalf("deliveries: %+v", d)
		}
		if d.Missing != 0 || d.Extra != 0 || d.Expected != d.Received {
			t.Errorf("deliveries lost or duplicated: %+v", d)
		}
		if l := r.Latency[loadgen.LatDelivery]; l == nil || l.Count != d.Received || l.P99 <= 0 {
			t.Errorf("delivery latency: %+v", l)
		}
		if r.Scenario == loadgen.ScenarioRooms {
			if l := r.Latency[loadgen.LatJoin]; l == nil || l.Count != int64(r.Conns.Target) {
				t.Errorf("join latency: %+v", l)
			}
			if d.Fanout != int64(r.Params.RoomSize) {
				t.Errorf("rooms fanout %d, room size %d", d.Fanout, r.Params.RoomSize)
			}
		} else if d.Fanout != r.Conns.Up {
			t.Errorf("broadcast fanout %d, up %d", d.Fanout, r.Conns.Up)
		}
		if r.Params.Count > 0 && d.Messages != r.Params.Count {
			t.Errorf("count %d, messages %d", r.Params.Count, d.Messages)
		}
	default:
		o := r.Ops
		if o.Sent == 0 || o.Completed != o.Sent || o.PerSec <= 0 || o.Timeouts != 0 {
			t.Errorf("ops: %+v", o)
		}
		main := r.Latency[r.MainLatency()]
		if main == nil || main.Count != o.Completed && r.Scenario != loadgen.ScenarioCustom || main.P50 <= 0 || main.P99 < main.P50 || main.Max < main.P99 {
			t.Errorf("latency %s: %+v", r.MainLatency(), main)
		}
		if r.Scenario == loadgen.ScenarioChurn && r.Conns.InWindow == 0 {
			t.Errorf("churn: no reconnects in the window: %+v", r.Conns)
		}
		if r.Transport == loadgen.TransportPollingUpgrade {
			if l := r.Latency[loadgen.LatUpgrade]; l == nil || l.Count != int64(r.Conns.Target) {
				t.Errorf("upgrade latency: %+v", l)
			}
		}
	}
	var ops int64
	for _, v := range r.Series.Ops {
		ops += v
	}
	for _, v := range r.Series.Deliveries {
		ops += v
	}
	if r.Scenario != loadgen.ScenarioConnect && ops == 0 {
		t.Errorf("empty throughput series")
	}
	if r.Client.CPU <= 0 && r.Scenario != loadgen.ScenarioConnect {
		t.Errorf("no client CPU: %+v", r.Client)
	}
}

// TestScenariosBundled runs every scenario briefly against the bundled
// server (no --url: siobench starts it in-process).
func TestScenariosBundled(t *testing.T) {
	for _, c := range scenarioCases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := runJSON(t, append(c.args, short...)...)
			checkSane(t, c, r)
			if !strings.HasPrefix(r.Target, "bundled:") || !r.Client.Embedded {
				t.Errorf("target %q embedded %v", r.Target, r.Client.Embedded)
			}
		})
	}
}

// startNode starts bench/peers/node/server.js (socket.io 4.8) on a free
// port and returns its URL; it fails when Node or the npm packages are
// missing (make test installs them), so a comparison never silently
// disappears.
func startNode(t *testing.T) (string, int) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not installed: the Node.js peer is part of the test (make deps)")
	}
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, "interop/node_modules/socket.io/package.json")); err != nil {
		t.Fatal("interop/node_modules/socket.io missing: run `make deps`")
	}
	cmd := exec.Command(node, filepath.Join(root, "bench/peers/node/server.js"), "--port", "0")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("node server exited before listening")
		}
		var hello struct {
			URL string `json:"url"`
			PID int    `json:"pid"`
		}
		if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.URL == "" {
			t.Fatalf("node server said %q", line)
		}
		return hello.URL, hello.PID
	case <-time.After(20 * time.Second):
		t.Fatal("node server not listening after 20s")
	}
	return "", 0
}

// TestScenariosNode runs the scenarios against the Node.js reference
// server (npm socket.io 4.8) through the same bench app contract.
func TestScenariosNode(t *testing.T) {
	url, pid := startNode(t)
	for _, c := range scenarioCases {
		if c.name == "connect-hold" || c.name == "echo-paced" || c.name == "broadcast-count" {
			continue // covered on the bundled server; keep the test short
		}
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{}, c.args...), short...)
			args = append(args, "--url", url, "--server-pid", fmt.Sprint(pid), "--label", "node")
			r, _ := runJSON(t, args...)
			checkSane(t, c, r)
			if r.Server == nil || r.Server.PID != pid || (r.Server.CPU <= 0 && r.Scenario != loadgen.ScenarioConnect) {
				t.Errorf("server sampling: %+v", r.Server)
			}
		})
	}
}

// TestProcs spreads a run over two child processes and merges them.
func TestProcs(t *testing.T) {
	c := scenarioCase{"broadcast-procs", []string{"broadcast", "-c", "40", "--procs", "2"}}
	r, _ := runJSON(t, append(c.args, short...)...)
	checkSane(t, c, r)
	if r.Params.Procs != 2 || r.Params.Conns != 40 || r.Deliveries.Receivers != 40 {
		t.Errorf("merged params %+v deliveries %+v", r.Params, r.Deliveries)
	}
	if r.Server == nil || r.Server.PID != os.Getpid() {
		t.Errorf("the parent serves: server %+v", r.Server)
	}
	c = scenarioCase{"broadcast-count-procs", []string{"broadcast", "-c", "30", "--procs", "2", "--count", "50"}}
	r, _ = runJSON(t, append(c.args, short...)...)
	checkSane(t, c, r)
	c = scenarioCase{"echo-procs", []string{"echo", "-c", "10", "--procs", "2", "--count", "500"}}
	r, _ = runJSON(t, append(c.args, short...)...)
	checkSane(t, c, r)
	if r.Ops.Sent != 500 || r.Ops.Completed != 500 {
		t.Errorf("count over processes: %+v", r.Ops)
	}
}

// TestTable prints the human table and writes charts.
func TestTable(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"echo", "-c", "5", "--warmup", "50ms", "--duration", "300ms", "--chart-dir", dir, "--out", filepath.Join(dir, "r.json"), "--progress", "100ms"}
	if code := cli(args, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"round trips/s", "rtt", "p99.9", "connections", "client", "5/5 up"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(out.String(), "conns 5/5") {
		t.Errorf("no progress lines (stdout is not a terminal):\n%s", out.String())
	}
	for _, f := range []string{"echo-latency.svg", "echo-throughput.svg", "r.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// compare the result with itself
	out.Reset()
	if code := cli([]string{"--compare", filepath.Join(dir, "r.json"), filepath.Join(dir, "r.json")}, &out, &errb); code != exitOK {
		t.Fatalf("compare: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "(1.00×)") {
		t.Errorf("compare table:\n%s", out.String())
	}
}

// ---- bad targets ----

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// httpTarget serves h on a loopback port.
func httpTarget(t *testing.T, h http.HandlerFunc) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// runBad runs a scenario that must fail cleanly and returns the result.
func runBad(t *testing.T, bound time.Duration, args ...string) *loadgen.Result {
	t.Helper()
	var out, errb bytes.Buffer
	start := time.Now()
	code := cli(append(args, "--quiet", "--json"), &out, &errb)
	if el := time.Since(start); el > bound {
		t.Errorf("took %v, bound %v", el, bound)
	}
	var r loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("exit %d, no JSON: %v\n%s", code, err, errb.String())
	}
	return &r
}

func TestBadTargets(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		r := runBad(t, 10*time.Second, "echo", "-c", "5", "--url", "http://"+freePort(t))
		if r.Errors["connect: refused"] != 5 || r.Conns.Failed != 5 || r.Conns.Up != 0 {
			t.Errorf("errors %v conns %+v", r.Errors, r.Conns)
		}
	})
	t.Run("http-404", func(t *testing.T) {
		url := httpTarget(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
		r := runBad(t, 10*time.Second, "echo", "-c", "3", "--url", url)
		if r.Errors["handshake: http 404"] != 3 {
			t.Errorf("errors %v", r.Errors)
		}
		r = runBad(t, 10*time.Second, "echo", "-c", "3", "--url", url, "--transport", "polling")
		if r.Errors["handshake: http 404"] != 3 {
			t.Errorf("polling errors %v", r.Errors)
		}
	})
	t.Run("protocol-version", func(t *testing.T) {
		url := httpTarget(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			w.Write([]byte(`{"code":5,"message":"Unsupported protocol version"}`))
		})
		r := runBad(t, 10*time.Second, "ack", "-c", "4", "--url", url)
		if r.Errors["handshake: unsupported protocol version (http 400)"] != 4 {
			t.Errorf("errors %v", r.Errors)
		}
	})
	t.Run("bad-namespace", func(t *testing.T) {
		r := runBad(t, 10*time.Second, "echo", "-c", "3", "--namespace", "/nope")
		if r.Errors["namespace: connect_error (Invalid namespace)"] != 3 || r.Namespace != "/nope" {
			t.Errorf("errors %v namespace %q", r.Errors, r.Namespace)
		}
	})
	t.Run("handshake-timeout", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() { // accept and say nothing
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		r := runBad(t, 10*time.Second, "echo", "-c", "3", "--url", "http://"+ln.Addr().String(), "--handshake-timeout", "300ms")
		if r.Errors["handshake: timeout (no HTTP response)"] != 3 {
			t.Errorf("errors %v", r.Errors)
		}
	})
	t.Run("silent-server", func(t *testing.T) {
		// a Socket.IO server without the bench handlers: connects, never answers
		s := sio.NewServer(nil)
		ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1, Routes: []loop.Route{{Prefix: s.Path(), Server: s.Engine()}}})
		if err != nil {
			t.Fatal(err)
		}
		go ls.Serve()
		<-ls.Ready()
		defer s.Close()
		url := "http://" + ls.Addr().String()
		r := runBad(t, 10*time.Second, "echo", "-c", "4", "--url", url, "--op-timeout", "200ms", "--warmup", "0", "--duration", "600ms", "--drain", "300ms")
		if r.Conns.Up != 4 || r.Ops.Completed != 0 || r.Ops.Timeouts < 4 || r.Errors["op: timeout (no reply within 200ms)"] < 4 {
			t.Errorf("ops %+v errors %v", r.Ops, r.Errors)
		}
		r = runBad(t, 10*time.Second, "broadcast", "-c", "4", "--url", url, "--op-timeout", "200ms", "--warmup", "0", "--duration", "500ms", "--drain", "300ms")
		if d := r.Deliveries; d == nil || d.Received != 0 || d.Missing != d.Expected || d.Missing == 0 {
			t.Errorf("broadcast to a silent server: %+v", d)
		}
	})
}

// TestServerDies stops the server in the middle of a run: the connections
// it drops are counted, and the run still ends on time.
func TestServerDies(t *testing.T) {
	b, err := startBundled("127.0.0.1:0", "/socket.io/", 1, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(700 * time.Millisecond) // connect + warmup + a little traffic
		b.stop()
	}()
	r := runBad(t, 10*time.Second, "echo", "-c", "5", "--url", b.url, "--warmup", "100ms", "--duration", "1500ms", "--drain", "500ms")
	if r.Conns.Up != 5 || r.Conns.Dropped != 5 || r.Ops.Completed == 0 {
		t.Errorf("conns %+v ops %+v", r.Conns, r.Ops)
	}
	var closed int64
	for k, n := range r.Errors {
		if strings.HasPrefix(k, "conn: ") {
			closed += n
		}
	}
	if closed != 5 {
		t.Errorf("errors %v", r.Errors)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--conns", "x"},
		{"nosuch"},
		{"echo", "--transport", "carrier-pigeon"},
		{"connect", "--mode", "sideways"},
		{"connect", "--mode", "ramp"}, // needs --rate
		{"echo", "--url", "https://example.com"},
		{"echo", "--url", "::bad"},
		{"echo", "--mode", "storm"},
		{"custom"},
		{"echo", "-c", "30000"},
		{"rooms", "-c", "7", "--rooms", "2"},
		{"echo", "extra"},
		{"echo", "-c", "0"},
		{"echo", "--conns", "-3"},
		{"echo", "--duration", "0s"},
		{"echo", "--loops", "0"},
		{"rooms", "--rooms", "0"},
		{"echo", "--payload", "0"},
	} {
		var out, errb bytes.Buffer
		if code := cli(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), "siobench") {
			t.Errorf("%v: no usage message: %q", args, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := cli([]string{"-h"}, &out, &errb); code != exitOK || !strings.Contains(errb.String(), "scenarios:") {
		t.Errorf("-h: exit %d\n%s", code, errb.String())
	}
}

// siobench serve, on the event loops and through net/http (-http): it
// prints the URL to pass, serves the bench app there, and exits 0 on
// SIGINT.
func TestServe(t *testing.T) {
	for _, mode := range [][]string{nil, {"-http"}} {
		t.Run(strings.Join(append([]string{"serve"}, mode...), " "), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], append([]string{"serve", "-addr", "127.0.0.1:0"}, mode...)...)
			cmd.Env = append(os.Environ(), "SIOBENCH_TEST_SERVE=1")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				t.Fatalf("no first line: %v", err)
			}
			m := regexp.MustCompile(`http://[0-9.]+:[0-9]+`).FindString(line)
			if m == "" {
				t.Fatalf("no URL in %q", line)
			}
			// The URL printed, and the same with the Socket.IO path (the
			// main namespace there, not a namespace "/socket.io").
			for _, u := range []string{m, m + "/socket.io/"} {
				r, _ := runJSON(t, append([]string{"echo", "-c", "5", "--url", u}, short...)...)
				if r.Ops.Completed == 0 || len(r.Errors) != 0 {
					t.Errorf("echo against serve %v at %s: %+v", mode, u, r)
				}
			}
			_ = cmd.Process.Signal(os.Interrupt)
			if err := cmd.Wait(); err != nil {
				t.Errorf("exit after SIGINT: %v", err)
			}
		})
	}
}
