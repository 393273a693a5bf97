//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/adapter/redis"
	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/benchapp"
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

// short flags keep every run brief; the machine is shared. The drain and
// the op timeout are generous bounds, not durations: a run whose replies
// and deliveries are all in ends its drain at once, and a loaded machine
// (the race detector, other jobs) must not turn a slow reply into a
// failed run.
var short = []string{"--quiet", "--json", "--warmup", "100ms", "--duration", "400ms", "--drain", "10s", "--op-timeout", "10s"}

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
	if r.TotalErrors() != 0 || len(r.Problems) != 0 {
		t.Errorf("errors: %v, problems %q", r.Errors, r.Problems)
	}
	if r.Scenario == loadgen.ScenarioChurn {
		// Up is an instant's sample (ready when the window opened): the
		// sessions cycle together, and when their reconnects take longer
		// than the warm-up (TLS handshakes on a loaded machine) none is
		// up at that instant. Whether a reconnect lands in the window is
		// a race with the clock too. What must hold is that every session
		// came up once, and that the ops of the window came from sessions
		// ready at its start or connected in it.
		if r.Conns.Connects < int64(r.Conns.Target) || r.Conns.Up+r.Conns.InWindow == 0 || r.Conns.Failed != 0 || r.Conns.Dropped != 0 {
			t.Errorf("conns: %+v", r.Conns)
		}
	} else if r.Conns.Up != int64(r.Conns.Target) || r.Conns.Failed != 0 || r.Conns.Dropped != 0 {
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
func startNode(t *testing.T, args ...string) (string, int) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not installed: the Node.js peer is part of the test (make deps)")
	}
	root, _ := filepath.Abs("../..")
	if _, err := os.Stat(filepath.Join(root, "interop/node_modules/socket.io/package.json")); err != nil {
		t.Fatal("interop/node_modules/socket.io missing: run `make deps`")
	}
	cmd := exec.Command(node, append([]string{filepath.Join(root, "bench/peers/node/server.js"), "--port", "0"}, args...)...)
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
	b, err := startBundled("127.0.0.1:0", "/socket.io/", 1, 0, 0, nil, sio.ParserDefault)
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
		{"echo", "--url", "ftp://example.com"},
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
		{"echo", "--url", "http://127.0.0.1:1", "--server-pid", "0"},
		{"echo", "--url", "http://127.0.0.1:1", "--server-pid", fmt.Sprint(deadPID(t))},
		{"echo", "--server-pid", fmt.Sprint(os.Getpid())}, // the bundled server is in-process
		{"echo", "--url", "http://127.0.0.1:1,http://127.0.0.1:2/chat"},
	} {
		var out, errb bytes.Buffer
		if code := cli(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), "siobench") {
			t.Errorf("%v: no usage message: %q", args, errb.String())
		}
		if strings.Contains(errb.String(), "loadgen") || strings.Count(errb.String(), "\n") > 2 {
			t.Errorf("%v: want one line without internal names, then the -h hint: %q", args, errb.String())
		}
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// -h writes the usage on stdout and exits 0, for siobench and for serve;
// with a scenario it says the defaults that scenario uses.
func TestHelp(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-h"}, "scenarios:"},
		{[]string{"--help"}, "exit status:"},
		{[]string{"connect", "-h"}, "connect defaults: --conns 1000"},
		{[]string{"rooms", "--help"}, "rooms defaults: --rooms 100 × --room-size 5 = 500"},
		{[]string{"serve", "-h"}, "-addr"},
	} {
		var out, errb bytes.Buffer
		if code := cli(c.args, &out, &errb); code != exitOK || !strings.Contains(out.String(), c.want) || errb.Len() != 0 {
			t.Errorf("%v: exit %d, stdout lacks %q or stderr is not empty:\n%s\nstderr: %s", c.args, code, c.want, out.String(), errb.String())
		}
	}
	// the defaults -h states are the ones the runs use
	for _, c := range []struct {
		scenario string
		conns    int
		warmup   time.Duration
	}{{"connect", 1000, 0}, {"broadcast", 1000, time.Second}, {"echo", 50, time.Second}, {"rooms", 500, time.Second}} {
		o := &options{}
		fs := newFlagSet(o, io.Discard)
		if _, err := parseInterspersed(fs, nil); err != nil {
			t.Fatal(err)
		}
		o.cfg.Scenario = c.scenario
		if err := o.finish(map[string]bool{}); err != nil {
			t.Fatal(err)
		}
		if o.cfg.Conns != c.conns || o.cfg.Warmup != c.warmup {
			t.Errorf("%s: conns %d warmup %v, -h says %d and %v", c.scenario, o.cfg.Conns, o.cfg.Warmup, c.conns, c.warmup)
		}
		if d := scenarioDefaults(c.scenario); !strings.Contains(d, fmt.Sprint(c.conns)) {
			t.Errorf("%s: -h says %q", c.scenario, d)
		}
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

// ---- exit codes ----

// partialApp serves the bench app without the events named in drop.
func partialApp(t *testing.T, drop ...string) string {
	t.Helper()
	s := sio.NewServer(nil)
	s.OnConnection(func(so *sio.Socket) {
		if !contains(drop, "echo") {
			so.On("echo", func(e *sio.Event) { _ = e.Socket.Emit("echo", &e.Args) })
		}
		if !contains(drop, "echoack") {
			so.On("echoack", func(e *sio.Event) { _ = e.Ack(&e.Args) })
		}
		if !contains(drop, "bcast") {
			so.On("bcast", func(e *sio.Event) { _ = e.Socket.Namespace().Emit("bcast", &e.Args) })
		}
	})
	ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1, Routes: []loop.Route{{Prefix: s.Path(), Server: s.Engine()}}})
	if err != nil {
		t.Fatal(err)
	}
	go ls.Serve()
	<-ls.Ready()
	t.Cleanup(func() { s.Close() })
	return "http://" + ls.Addr().String()
}

// runFailed runs siobench, which must exit 1 with its JSON result on stdout
// and exactly one line on stderr saying what went wrong.
func runFailed(t *testing.T, stderr io.Writer, args ...string) (*loadgen.Result, string) {
	t.Helper()
	var out, errb bytes.Buffer
	var ew io.Writer = &errb
	if stderr != nil {
		ew = io.MultiWriter(&errb, stderr)
	}
	code := cli(append(args, "--json"), &out, ew)
	var r loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("exit %d, no JSON: %v\n%s", code, err, errb.String())
	}
	if code != exitFail {
		t.Errorf("exit %d, want %d; problems %q", code, exitFail, r.Problems)
	}
	var fails []string
	for _, line := range strings.Split(errb.String(), "\n") {
		if strings.HasPrefix(line, "siobench: FAILED: ") {
			fails = append(fails, line)
		}
	}
	if len(fails) != 1 || len(r.Problems) == 0 || !strings.Contains(fails[0], r.Problems[0]) {
		t.Fatalf("want one FAILED line naming the problems %q; stderr:\n%s", r.Problems, errb.String())
	}
	t.Log(fails[0])
	return &r, fails[0]
}

// An ack run against a server without echoack measured nothing: exit 1,
// "the server never answered echoack", and sent = completed + timeouts.
func TestExitNoEchoAck(t *testing.T) {
	url := partialApp(t, "echoack")
	r, line := runFailed(t, nil, "ack", "-c", "5", "--url", url, "--quiet", "--warmup", "0", "--duration", "500ms", "--op-timeout", "200ms", "--drain", "300ms")
	if !strings.Contains(line, "the server never answered echoack") {
		t.Errorf("line %q", line)
	}
	if o := r.Ops; o.Completed != 0 || o.Sent == 0 || o.Sent != o.Completed+o.Timeouts {
		t.Errorf("ops %+v", o)
	}
	// the same server answers echo: a clean run exits 0
	runJSON(t, append([]string{"echo", "-c", "5", "--url", url}, short...)...)
}

// A broadcast against a server that drops bcast: exit 1, "the server never
// delivered bcast", even when no message was sent in the window (the
// sender waits for its warm-up message, which never comes back).
func TestExitNoBcast(t *testing.T) {
	url := partialApp(t, "bcast")
	for _, timeout := range []string{"200ms", "5s"} {
		r, line := runFailed(t, nil, "broadcast", "-c", "10", "--url", url, "--quiet", "--warmup", "100ms", "--duration", "500ms", "--op-timeout", timeout, "--drain", "300ms")
		if !strings.Contains(line, "the server never delivered bcast") {
			t.Errorf("op timeout %s: line %q", timeout, line)
		}
		if d := r.Deliveries; d == nil || d.Received != 0 {
			t.Errorf("deliveries %+v", d)
		}
	}
}

// progressWatch is a writer that closes seen once a progress line shows
// round trips in the measurement window.
type progressWatch struct {
	mu   sync.Mutex
	seen chan struct{}
	buf  []byte
}

func (p *progressWatch) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		line := string(p.buf[:i])
		p.buf = p.buf[i+1:]
		if strings.Contains(line, " run ") && !strings.Contains(line, "ops/s 0 ") && p.seen != nil {
			close(p.seen)
			p.seen = nil
		}
	}
	return len(b), nil
}

// A server killed (SIGKILL) in the middle of the window: the drops are
// reported, the window ends when the last connection is lost instead of
// averaging throughput over the dead time, and the run exits 1.
func TestExitServerKilled(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve", "-addr", "127.0.0.1:0", "-loops", "1")
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
	url := regexp.MustCompile(`http://[0-9.]+:[0-9]+`).FindString(line)
	w := &progressWatch{seen: make(chan struct{})}
	seen := w.seen
	go func() {
		<-seen // round trips flow in the window
		_ = cmd.Process.Kill()
	}()
	r, fail := runFailed(t, w, "echo", "-c", "5", "--url", url, "--progress", "50ms", "--warmup", "100ms", "--duration", "60s", "--drain", "500ms")
	if !strings.Contains(fail, "the server dropped 5 connection(s)") || !strings.Contains(fail, "which ends there") {
		t.Errorf("line %q", fail)
	}
	if r.Conns.Up != 5 || r.Conns.Dropped != 5 || r.Ops.Completed == 0 || r.Conns.AllLost <= 0 {
		t.Errorf("conns %+v ops %+v", r.Conns, r.Ops)
	}
	if r.Window >= r.Params.Duration || r.Series.WindowEnd != r.Conns.AllLost {
		t.Errorf("window %.2fs of %.0fs, ends at %v, all lost at %v", r.Window, r.Params.Duration, r.Series.WindowEnd, r.Conns.AllLost)
	}
}

// ---- clusters ----

// appNode serves the bench app with options o (an adapter: a cluster node)
// and counts the connections it accepted.
func appNode(t *testing.T, o *sio.Options, conns *atomic.Int64) string {
	t.Helper()
	s := sio.NewServer(o)
	s.OnConnection(func(so *sio.Socket) {
		conns.Add(1)
		benchapp.Attach(s, so)
	})
	ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1, Routes: []loop.Route{{Prefix: s.Path(), Server: s.Engine()}}})
	if err != nil {
		t.Fatal(err)
	}
	go ls.Serve()
	<-ls.Ready()
	t.Cleanup(func() { s.Close() })
	return "http://" + ls.Addr().String()
}

// Several --url: the connections spread round robin over the nodes (each
// server counts its own), repeated or comma-separated.
func TestClusterSpread(t *testing.T) {
	var na, nb atomic.Int64
	a, b := appNode(t, nil, &na), appNode(t, nil, &nb)
	r, _ := runJSON(t, append([]string{"echo", "-c", "10", "--url", a, "--url", b}, short...)...)
	checkSane(t, scenarioCase{name: "echo-2-nodes"}, r)
	if na.Load() != 5 || nb.Load() != 5 || !slices.Equal(r.Conns.PerNode, []int64{5, 5}) || r.Params.Nodes != 2 {
		t.Errorf("servers saw %d and %d connections; per node %v, nodes %d", na.Load(), nb.Load(), r.Conns.PerNode, r.Params.Nodes)
	}
	// a list file: one URL per line, comments; three nodes (one twice)
	list := filepath.Join(t.TempDir(), "nodes.txt")
	os.WriteFile(list, []byte("# the cluster\n"+a+"\n\n"+b+"  # second\n"+a+"\n"), 0o600)
	r, _ = runJSON(t, append([]string{"echo", "-c", "9", "--url", "@" + list}, short...)...)
	if !slices.Equal(r.Conns.PerNode, []int64{3, 3, 3}) {
		t.Errorf("list file: per node %v", r.Conns.PerNode)
	}
	// Without an adapter the nodes do not share broadcasts: the run says
	// so. Rooms: member j of each room on node j mod 2 (the sender, member
	// 0, on the first), also over two processes.
	for _, args := range [][]string{
		{"broadcast", "-c", "6", "--url", a + "," + b},
		{"rooms", "--rooms", "3", "--room-size", "2", "--url", a + "," + b, "--procs", "2"},
	} {
		r, line := runFailed(t, nil, append(args, "--quiet", "--warmup", "100ms", "--duration", "400ms", "--drain", "500ms")...)
		if !strings.Contains(line, "crossed nodes") || r.Latency[loadgen.LatDeliverySame] == nil || r.Latency[loadgen.LatDeliveryCross] != nil {
			t.Errorf("%s: line %q, latencies %v", args[0], line, slices.Collect(maps.Keys(r.Latency)))
		}
		if !slices.Equal(r.Conns.PerNode, []int64{3, 3}) {
			t.Errorf("%s: per node %v", args[0], r.Conns.PerNode)
		}
	}
	var out, errb bytes.Buffer
	if code := cli([]string{"echo", "--url", a + "/x," + b}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "same namespace") {
		t.Errorf("nodes with different namespaces: exit %d: %s", code, errb.String())
	}
}

// Two nodes sharing broadcasts through Redis (adapter/redis): broadcast
// and rooms deliveries cross nodes, and the result reports their latency
// apart from the same-node ones.
func TestClusterRedis(t *testing.T) {
	rc := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	if err := rc.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at 127.0.0.1:6379: %v (make test starts one)", err)
	}
	t.Cleanup(func() { rc.Close() })
	key := fmt.Sprintf("siobench-test-%d", os.Getpid())
	var na, nb atomic.Int64
	a := appNode(t, &sio.Options{Adapter: redis.New(rc, &redis.Options{Key: key})}, &na)
	b := appNode(t, &sio.Options{Adapter: redis.New(rc, &redis.Options{Key: key})}, &nb)
	// Paced: a closed-loop sender, answered by its own node, would outrun
	// Redis (the adapter drops what its publish queue cannot hold).
	for _, c := range []scenarioCase{
		{"broadcast-2-nodes", []string{"broadcast", "-c", "10", "--rate", "200"}},
		{"rooms-2-nodes", []string{"rooms", "--rooms", "3", "--room-size", "4", "--rate", "300"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := runJSON(t, append(append(c.args, "--url", a, "--url", b), short...)...)
			checkSane(t, c, r)
			cross, same := r.Latency[loadgen.LatDeliveryCross], r.Latency[loadgen.LatDeliverySame]
			if cross == nil || same == nil || cross.Count+same.Count != r.Deliveries.Received {
				t.Fatalf("cross %+v same %+v received %d", cross, same, r.Deliveries.Received)
			}
			// receivers on the second node get half the copies
			if want := r.Deliveries.Messages * r.Deliveries.Fanout / 2; cross.Count != want {
				t.Errorf("cross-node deliveries %d, want %d", cross.Count, want)
			}
		})
	}
}

// The descriptor budget counts the bundled server's side too: a run that
// one process cannot hold is spread over child processes when --procs was
// not given, refused with the reason otherwise (issue 13.3). The limit is
// pretended small; the run is real.
func TestFDBudget(t *testing.T) {
	defer func(f func() int) { fdLimit = f }(fdLimit)
	fdLimit = func() int { return 164 } // leaves 100 for connections
	for _, c := range []struct {
		args  []string
		procs int    // 0: refused
		why   string // in the note or the error
	}{
		{[]string{"echo", "-c", "40"}, 1, ""},
		{[]string{"echo", "-c", "60"}, 2, "the bundled server stays in this one"}, // 60 + 60 > 100
		{[]string{"echo", "-c", "60", "--url", "http://127.0.0.1:1"}, 1, ""},
		{[]string{"echo", "-c", "150", "--url", "http://127.0.0.1:1"}, 2, "spreading the connections over 2 child processes"},
		{[]string{"echo", "-c", "60", "--procs", "1"}, 0, "use --procs 2"},
		{[]string{"echo", "-c", "120"}, 0, "the bundled server would hold ~120 descriptors"},
		{[]string{"echo", "-c", "30", "--transport", "polling", "--procs", "1"}, 0, "use --procs 2"}, // 60 + 60
		{[]string{"echo", "-c", "250", "--url", "http://127.0.0.1:1", "--procs", "2"}, 0, "use --procs 3"},
	} {
		o := &options{}
		fs := newFlagSet(o, io.Discard)
		pos, err := parseInterspersed(fs, c.args)
		if err != nil {
			t.Fatal(err)
		}
		o.cfg.Scenario = pos[0]
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		err = o.finish(set)
		switch {
		case c.procs == 0 && (err == nil || !strings.Contains(err.Error(), c.why)):
			t.Errorf("%v: want refused with %q, got %v", c.args, c.why, err)
		case c.procs > 0 && (err != nil || o.cfg.Procs != c.procs || !strings.Contains(o.note, c.why)):
			t.Errorf("%v: err %v, procs %d (want %d), note %q", c.args, err, o.cfg.Procs, c.procs, o.note)
		}
	}
	// and the spread run works: the children hold the clients, this
	// process the bundled server
	var out, errb bytes.Buffer
	if code := cli(append([]string{"echo", "-c", "60"}, short[1:]...), &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Params.Procs != 2 || r.Conns.Up != 60 || !strings.Contains(errb.String(), "spreading the connections over 2 child processes") {
		t.Errorf("procs %d, up %d, stderr %q", r.Params.Procs, r.Conns.Up, errb.String())
	}
}

// The progress line counts the warm-up's round trips too (issue 13.6): it
// used to show ops/s 0 until the window opened.
func TestProgressWarmup(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"echo", "-c", "5", "--json", "--warmup", "1s", "--duration", "200ms", "--progress", "100ms"}
	if code := cli(args, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	moving := false
	for _, line := range strings.Split(errb.String(), "\n") {
		if strings.Contains(line, " warmup ") && strings.Contains(line, "ops/s ") && !strings.Contains(line, "ops/s 0 ") {
			moving = true
		}
	}
	if !moving {
		t.Errorf("no warm-up progress line with ops/s above 0:\n%s", errb.String())
	}
}

// --namespace and --auth in every scenario: the bench app on /bench only,
// behind a middleware that wants {"token":"user-<index>"}; every
// connection's token arrives once.
func TestNamespaceAuth(t *testing.T) {
	s := sio.NewServer(nil)
	var mu sync.Mutex
	tokens := map[string]int{}
	n := s.Of("/bench")
	n.Use(func(so *sio.Socket, next func(error)) {
		var a struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(so.Handshake().Auth, &a) != nil || !strings.HasPrefix(a.Token, "user-") {
			next(errors.New("not authorized"))
			return
		}
		mu.Lock()
		tokens[a.Token]++
		mu.Unlock()
		next(nil)
	})
	n.OnConnection(func(so *sio.Socket) { benchapp.Attach(s, so) })
	ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1, Routes: []loop.Route{{Prefix: s.Path(), Server: s.Engine()}}})
	if err != nil {
		t.Fatal(err)
	}
	go ls.Serve()
	<-ls.Ready()
	t.Cleanup(func() { s.Close() })
	url := "http://" + ls.Addr().String()
	for _, c := range scenarioCases {
		if c.name == "connect-hold" || c.name == "echo-paced" || c.name == "broadcast-count" || c.name == "connect-ramp" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			clear(tokens)
			mu.Unlock()
			args := append(append([]string{}, c.args...), short...)
			args = append(args, "--url", url, "--namespace", "/bench", "--auth", `{"token":"user-{{i}}"}`)
			r, _ := runJSON(t, args...)
			checkSane(t, c, r)
			if r.Namespace != "/bench" {
				t.Errorf("namespace %q", r.Namespace)
			}
			mu.Lock()
			defer mu.Unlock()
			for i := range r.Conns.Target {
				if tokens[fmt.Sprintf("user-%d", i)] < 1 {
					t.Fatalf("no connection with token user-%d: %v", i, tokens)
				}
			}
			if c.name != "churn" && len(tokens) != r.Conns.Target {
				t.Errorf("%d tokens for %d connections", len(tokens), r.Conns.Target)
			}
		})
	}
	// a static payload, and none: refused by the middleware
	runJSON(t, append([]string{"echo", "-c", "3", "--url", url + "/bench", "--auth", `{"token":"user-x"}`}, short...)...)
	r, line := runFailed(t, nil, "echo", "-c", "3", "--url", url+"/bench", "--quiet")
	if r.Errors["namespace: connect_error (not authorized)"] != 3 || !strings.Contains(line, "no connection came up") {
		t.Errorf("errors %v, line %q", r.Errors, line)
	}
	var out, errb bytes.Buffer
	if code := cli([]string{"echo", "--url", url, "--auth", "[1]"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "want a JSON object") {
		t.Errorf("--auth [1]: exit %d: %s", code, errb.String())
	}
}

// The same against the Node.js peer (socket.io 4.8) serving the app on
// /bench behind a token check.
func TestNamespaceAuthNode(t *testing.T) {
	url, _ := startNode(t, "--namespace", "/bench", "--require-token")
	for _, c := range scenarioCases {
		if c.name != "echo" && c.name != "rooms" && c.name != "broadcast" && c.name != "polling" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{}, c.args...), short...)
			r, _ := runJSON(t, append(args, "--url", url+"/bench", "--auth", `{"token":"user-{{i}}"}`)...)
			checkSane(t, c, r)
		})
	}
	r, _ := runFailed(t, nil, "echo", "-c", "3", "--url", url+"/bench", "--quiet")
	if r.Errors["namespace: connect_error (not authorized)"] != 3 {
		t.Errorf("errors %v", r.Errors)
	}
}

// https:// targets: the bench app behind net/http's TLS with a self-signed
// certificate, every transport; without --insecure the certificate is
// refused and the run says why.
func TestTLS(t *testing.T) {
	s := benchapp.New(nil)
	t.Cleanup(func() { s.Close() })
	mux := http.NewServeMux()
	mux.Handle(s.Path(), s)
	ts := httptest.NewUnstartedServer(mux)
	ts.Config.ConnContext = eio.ConnContext
	ts.StartTLS()
	t.Cleanup(ts.Close)
	for _, c := range scenarioCases {
		switch c.name {
		case "echo", "broadcast", "rooms", "churn", "connect-storm", "polling", "polling-upgrade":
		default:
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{}, c.args...), short...)
			r, _ := runJSON(t, append(args, "--url", ts.URL, "--insecure")...)
			checkSane(t, c, r)
		})
	}
	wss := "wss" + strings.TrimPrefix(ts.URL, "https")
	runJSON(t, append([]string{"ack", "-c", "3", "--url", wss, "--insecure"}, short...)...)
	r, line := runFailed(t, nil, "echo", "-c", "3", "--url", ts.URL, "--quiet")
	if r.Errors["tls: certificate signed by unknown authority (--insecure skips verification)"] != 3 || !strings.Contains(line, "no connection came up") {
		t.Errorf("errors %v, line %q", r.Errors, line)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// into dir as PEM files.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "siobench test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// The Node.js peer over https:// (node's TLS stack on the other side).
func TestTLSNode(t *testing.T) {
	cert, key := selfSigned(t, t.TempDir())
	url, _ := startNode(t, "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("node serves %s", url)
	}
	for _, c := range scenarioCases {
		if c.name != "echo" && c.name != "rooms" && c.name != "polling-upgrade" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{}, c.args...), short...)
			r, _ := runJSON(t, append(args, "--url", url, "--insecure")...)
			checkSane(t, c, r)
		})
	}
}

// A run cancelled in its window (Ctrl-C) keeps what it measured, says it
// was interrupted, and takes the ops still in flight out of the sent ones
// instead of calling them timeouts.
func TestInterrupted(t *testing.T) {
	b, err := startBundled("127.0.0.1:0", "/socket.io/", 1, 0, 0, nil, sio.ParserDefault)
	if err != nil {
		t.Fatal(err)
	}
	defer b.stop()
	rn, err := loadgen.New(loadgen.Config{URL: b.url, Conns: 5, InFlight: 4, Warmup: 50 * time.Millisecond, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s := rn.Snapshot(); s.Phase != "run" || s.Done == 0; s = rn.Snapshot() {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	r, err := rn.Run(ctx, loadgen.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || len(r.Problems) != 1 || !strings.HasPrefix(r.Problems[0], "interrupted") {
		t.Errorf("interrupted %v, problems %q", r.Interrupted, r.Problems)
	}
	if o := r.Ops; o.Completed == 0 || o.Timeouts != 0 || o.Sent != o.Completed {
		t.Errorf("ops %+v", o)
	}
}

// Scenario files: the examples of docs/ run (flags override their
// defaults), a fire-and-forget mix takes its rate from --rate, and a bad
// file is refused naming its line.
func TestScenarioFiles(t *testing.T) {
	dir := t.TempDir()
	ff := filepath.Join(dir, "ff.json")
	os.WriteFile(ff, []byte(`{"events":[{"name":"echo","payload":10},{"name":"echoack","ack":true}]}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n \"events\": [\n  {\"name\": \"echo\", \"ack\": true, \"reply\": \"echo\"}\n ]\n}\n"), 0o600)
	for _, args := range [][]string{
		{"custom", "--scenario", "../../docs/scenarios/chat.json", "-c", "10", "--rate", "300"},
		{"custom", "--scenario", ff, "-c", "5", "--rate", "200"},
	} {
		r, _ := runJSON(t, append(args, short...)...)
		if r.Ops.Completed == 0 || len(r.Problems) != 0 {
			t.Errorf("%v: ops %+v problems %q", args, r.Ops, r.Problems)
		}
	}
	var out, errb bytes.Buffer
	if code := cli([]string{"custom", "--scenario", ff, "-c", "5"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "needs a rate") {
		t.Errorf("fire-and-forget without a rate: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := cli([]string{"custom", "--scenario", bad}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "bad.json:3: event 1 (\"echo\"): ack and reply both set") {
		t.Errorf("bad file: exit %d: %s", code, errb.String())
	}
}

// Binary attachments: a custom mix of BINARY_EVENTs, relayed back by the
// bench app (binary event, binary ack), on both transports, against ours
// and the Node.js peer.
func TestBinary(t *testing.T) {
	url, _ := startNode(t)
	for _, target := range []string{"", url} {
		for _, tr := range []string{"websocket", "polling", "polling+upgrade"} {
			args := []string{"custom", "--scenario", "../../docs/scenarios/binary.json", "-c", "6", "--transport", tr}
			if target != "" {
				args = append(args, "--url", target)
			}
			r, _ := runJSON(t, append(args, short...)...)
			if r.Ops.Completed == 0 || r.Latency["reply:echo"] == nil || r.Latency["ack:echoack"] == nil || len(r.Problems) != 0 {
				t.Errorf("%s %s: ops %+v latencies %v problems %q", target, tr, r.Ops, slices.Collect(maps.Keys(r.Latency)), r.Problems)
			}
		}
	}
}

// Engine.IO 3 targets (--eio 3): the Node.js peer with allowEIO3 joins the
// main namespace by itself and expects the client's pings (a short ping
// interval makes the run span several); ours with AllowEIO3 on a custom
// namespace.
func TestEIO3(t *testing.T) {
	url, _ := startNode(t, "--allow-eio3")
	for _, c := range scenarioCases {
		switch c.name {
		case "echo", "ack", "broadcast", "rooms", "churn", "custom", "connect-storm":
		default:
			continue
		}
		t.Run("node-"+c.name, func(t *testing.T) {
			args := append(append([]string{}, c.args...), short...)
			r, _ := runJSON(t, append(args, "--url", url, "--eio", "3")...)
			checkSane(t, c, r)
		})
	}
	t.Run("node-binary", func(t *testing.T) {
		r, _ := runJSON(t, append([]string{"custom", "--scenario", "../../docs/scenarios/binary.json", "-c", "4", "--url", url, "--eio", "3"}, short...)...)
		if r.Ops.Completed == 0 || len(r.Problems) != 0 {
			t.Errorf("ops %+v problems %q", r.Ops, r.Problems)
		}
	})
	// long-polling: v3 payload framing ("<n>:<packet>"), with and without
	// the upgrade; binary attachments ride as "b4" + base64 records
	for _, tr := range []string{"polling", "polling+upgrade"} {
		for _, c := range scenarioCases {
			if c.name != "echo" && c.name != "ack" {
				continue
			}
			t.Run("node-"+c.name+"-"+tr, func(t *testing.T) {
				args := append(append([]string{}, c.args...), short...)
				r, _ := runJSON(t, append(args, "--url", url, "--eio", "3", "--transport", tr)...)
				if r.Transport != tr {
					t.Errorf("transport %q, want %q", r.Transport, tr)
				}
				checkSane(t, c, r)
			})
		}
		t.Run("node-binary-"+tr, func(t *testing.T) {
			r, _ := runJSON(t, append([]string{"custom", "--scenario", "../../docs/scenarios/binary.json", "-c", "4", "--url", url, "--eio", "3", "--transport", tr}, short...)...)
			if r.Ops.Completed == 0 || len(r.Problems) != 0 {
				t.Errorf("ops %+v problems %q", r.Ops, r.Problems)
			}
		})
	}
	// ours: pings every 200ms with a 300ms timeout; idle connections held
	// 1.5s stay up only if the client pings
	s := sio.NewServer(&sio.Options{EIO: eio.Options{AllowEIO3: true, PingInterval: 200 * time.Millisecond, PingTimeout: 300 * time.Millisecond}})
	s.Of("/bench").OnConnection(func(so *sio.Socket) { benchapp.Attach(s, so) })
	ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1, Routes: []loop.Route{{Prefix: s.Path(), Server: s.Engine()}}})
	if err != nil {
		t.Fatal(err)
	}
	go ls.Serve()
	<-ls.Ready()
	t.Cleanup(func() { s.Close() })
	ours := "http://" + ls.Addr().String() + "/bench"
	r, _ := runJSON(t, "connect", "-c", "5", "--mode", "hold", "--url", ours, "--eio", "3", "--quiet", "--json", "--duration", "1500ms")
	checkSane(t, scenarioCase{name: "eio3-hold"}, r)
	r, _ = runJSON(t, append([]string{"echo", "-c", "5", "--url", ours, "--eio", "3"}, short...)...)
	checkSane(t, scenarioCase{name: "eio3-echo"}, r)
	for _, tr := range []string{"polling", "polling+upgrade"} {
		// the client's pings ride the POSTs (then the WebSocket)
		r, _ = runJSON(t, "connect", "-c", "5", "--mode", "hold", "--url", ours, "--eio", "3", "--transport", tr, "--quiet", "--json", "--duration", "1500ms")
		checkSane(t, scenarioCase{name: "eio3-hold-" + tr}, r)
		for _, sc := range []string{"echo", "ack"} {
			r, _ = runJSON(t, append([]string{sc, "-c", "5", "--url", ours, "--eio", "3", "--transport", tr}, short...)...)
			checkSane(t, scenarioCase{name: "eio3-" + sc + "-" + tr}, r)
		}
		r, _ = runJSON(t, append([]string{"custom", "--scenario", "../../docs/scenarios/binary.json", "-c", "4", "--url", ours, "--eio", "3", "--transport", tr}, short...)...)
		if r.Ops.Completed == 0 || len(r.Problems) != 0 {
			t.Errorf("ours binary %s: ops %+v problems %q", tr, r.Ops, r.Problems)
		}
	}
	var out, errb bytes.Buffer
	for _, args := range [][]string{{"--auth", "{}"}, {"--eio", "2"}} {
		if code := cli(append([]string{"echo", "--eio", "3", "--url", url}, args...), &out, &errb); code != exitUsage {
			t.Errorf("--eio 3 %v: exit %d", args, code)
		}
	}
}
