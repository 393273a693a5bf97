package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sioloop/sioloop/internal/loadgen"
)

// exit codes
const (
	exitOK    = 0
	exitFail  = 1 // the run failed (errors, timeouts, drops, missing deliveries) or could not be done
	exitUsage = 2 // bad flag or configuration
)

// childCmd is the hidden first argument of a child process (--procs).
const childCmd = "__child"

var scenarios = []string{
	loadgen.ScenarioConnect, loadgen.ScenarioEcho, loadgen.ScenarioAck,
	loadgen.ScenarioBroadcast, loadgen.ScenarioRooms, loadgen.ScenarioChurn,
	loadgen.ScenarioCustom,
}

// options are the command line of a run.
type options struct {
	cfg       loadgen.Config
	jsonOut   bool
	outFile   string
	chartDir  string
	scenFile  string
	quiet     bool
	interval  time.Duration
	compare   bool
	serveAddr string
	loops     int    // bundled server's loops
	note      string // said on stderr before the run (an automatic --procs)
}

const usageHead = `siobench load-tests Socket.IO v4 servers.

usage:
  siobench [scenario] [flags]           run a scenario against --url (default: the bundled server, in-process)
  siobench serve [-addr HOST:PORT]      serve the bundled bench app (echo, echoack, bcast, join, toroom)
  siobench --compare a.json b.json ...  compare results saved with --out or --json

scenarios:
  connect    open --conns connections: --mode storm (as fast as --dial-concurrency allows),
             ramp (--rate connections/s) or hold (storm, then hold them idle for --duration)
  echo       emit "echo" and await the echoed event (default)
  ack        emit "echoack" with an ack and await it
  broadcast  connection 0 emits "bcast" (the server sends it to all); every connection counts copies
  rooms      --rooms R rooms of --room-size K members join with "join", room senders emit "toroom"
  churn      echo --churn-ops round trips, disconnect, reconnect, over and over
  custom     an event mix from --scenario FILE (JSON; docs/scenario-file.md)

--rate 0 (default) is a closed loop (--inflight ops per connection or sender);
a rate paces ops on a fixed schedule and measures latency from each op's
intended send time. Figures exclude --warmup; --drain bounds the wait for
late replies and deliveries.

https:// and wss:// targets use TLS (--insecure: no certificate check).
Several --url (repeated, comma-separated or @FILE) are the nodes of a cluster:
connections spread round robin; broadcast and rooms senders and receivers
sit on different nodes and delivery latency is reported cross-node apart.

exit status: 0 for a clean run; 1 when anything failed (connections,
replies, deliveries, errors: one line on stderr says what), 2 for bad usage.

'siobench SCENARIO -h' also says the defaults that scenario uses.

flags:
`

// newFlagSet defines every flag of a run into o.
func newFlagSet(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("siobench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &o.cfg
	fs.Var((*urlList)(&c.URL), "url", "target `URL` http://host:port[/namespace] (default: start the bundled server in-process); repeat it, give a comma-separated list or @FILE (one per line) for the nodes of a cluster")
	fs.StringVar(&c.Path, "path", "/socket.io/", "Engine.IO endpoint `path`")
	fs.StringVar(&c.Namespace, "namespace", "", "Socket.IO `namespace` (default from --url, else /)")
	fs.BoolVar(&c.Insecure, "insecure", false, "https:// and wss:// targets: do not verify the server's certificate (self-signed test servers)")
	fs.StringVar(&c.Auth, "auth", "", "CONNECT payload, a JSON `object` (socket.io-client's auth); {{i}} becomes each connection's index: '{\"token\":\"user-{{i}}\"}'")
	fs.IntVar(&c.EIO, "eio", 4, "Engine.IO protocol: 4 (Socket.IO v3, v4) or 3 (socket.io 2.x servers, v4 with allowEIO3)")
	fs.StringVar(&c.Parser, "parser", "default", "Socket.IO parser, as the server's: default, or msgpack (socket.io-msgpack-parser 3.0: one msgpack map per packet, in a binary message); the bundled server uses it too")
	fs.StringVar(&c.Transport, "transport", "websocket", "websocket, polling or polling+upgrade")
	fs.IntVar(&c.Conns, "c", 0, "connections (shorthand for --conns)")
	fs.IntVar(&c.Conns, "conns", 0, "connections (default 50; broadcast and connect 1000; rooms --rooms × --room-size)")
	fs.IntVar(&c.DialConcurrency, "dial-concurrency", 200, "handshakes in progress at once")
	fs.Float64Var(&c.Rate, "rate", 0, "offered rate: ops/s (messages/s for broadcast, rooms; dials/s for connect --mode ramp); 0 = closed loop")
	fs.IntVar(&c.InFlight, "inflight", 1, "closed loop: ops in flight per connection (per sender for broadcast, rooms)")
	fs.DurationVar(&c.Duration, "duration", 0, "measurement window (default 5s; connect storm and ramp: the connect phase; a bound with --count)")
	fs.Int64Var(&c.Count, "count", 0, "send this many ops (messages) instead of running for --duration")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "traffic before the window, not counted; connect: none")
	fs.DurationVar(&c.Drain, "drain", 5*time.Second, "after the window, wait at most this long for replies and deliveries")
	fs.IntVar(&c.Payload, "payload", 100, "bytes of the string each message carries")
	fs.StringVar(&c.Mode, "mode", "storm", "connect: storm, ramp or hold")
	fs.IntVar(&c.Rooms, "rooms", 100, "rooms: number of rooms")
	fs.IntVar(&c.RoomSize, "room-size", 0, "rooms: members per room (default conns/rooms, or 5)")
	fs.IntVar(&c.ChurnOps, "churn-ops", 10, "churn: echo round trips per connection life")
	fs.StringVar(&o.scenFile, "scenario", "", "custom: scenario `file` (JSON)")
	fs.DurationVar(&c.OpTimeout, "op-timeout", 5*time.Second, "an op without reply after this long is a timeout")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", 5*time.Second, "dial to namespace joined, per connection")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", 0, "bound on the whole connect phase (default 30s + 1ms per connection)")
	fs.IntVar(&c.Loops, "loops", 0, "event loops per process (default: the CPUs it may use)")
	fs.IntVar(&c.Procs, "procs", 1, "spread the connections over this many child processes (default: 1, or as many as the descriptor limit needs)")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "sample this server process's CPU and RSS during the window (`pid`)")
	fs.StringVar(&c.Label, "label", "", "name of this run in results and comparisons")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as JSON on stdout (progress goes to stderr)")
	fs.StringVar(&o.outFile, "out", "", "also write the JSON result to `file`")
	fs.StringVar(&o.chartDir, "chart-dir", "", "write SVG charts (latency distribution, throughput over time) into `dir`")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress output")
	fs.DurationVar(&o.interval, "progress", time.Second, "progress line interval")
	fs.BoolVar(&o.compare, "compare", false, "compare the JSON result files given as arguments")
	fs.IntVar(&o.loops, "server-loops", 0, "bundled in-process server: event loops (default GOMAXPROCS)")
	// -h prints the usage on stdout (printUsage); a bad flag gets one line
	// on stderr from the flag package and a pointer to -h.
	fs.Usage = func() {}
	return fs
}

// printUsage writes the usage to w; with a scenario, the defaults that
// scenario uses.
func printUsage(w io.Writer, fs *flag.FlagSet, scenario string) {
	fmt.Fprint(w, usageHead)
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
	if d := scenarioDefaults(scenario); d != "" {
		fmt.Fprintf(w, "\n%s defaults: %s\n", scenario, d)
	}
}

// scenarioDefaults describes the defaults scenario uses where they differ
// between scenarios (options.finish and loadgen's withDefaults apply them).
func scenarioDefaults(scenario string) string {
	switch scenario {
	case loadgen.ScenarioConnect:
		return "--conns 1000, --mode storm, --warmup 0; storm and ramp: no --duration (the connect phase is the window); hold: --duration 5s"
	case loadgen.ScenarioEcho, loadgen.ScenarioAck:
		return "--conns 50, --warmup 1s, --duration 5s, closed loop with --inflight 1"
	case loadgen.ScenarioChurn:
		return "--conns 50, --churn-ops 10, --warmup 1s, --duration 5s"
	case loadgen.ScenarioBroadcast:
		return "--conns 1000 (connection 0 sends), --warmup 1s, --duration 5s, closed loop with --inflight 1"
	case loadgen.ScenarioRooms:
		return "--rooms 100 × --room-size 5 = 500 connections (with --conns: room size conns/rooms), --warmup 1s, --duration 5s"
	case loadgen.ScenarioCustom:
		return "--conns, --rate, --duration, --warmup and --inflight from the scenario file, else 50, closed loop, 5s, 1s, 1"
	}
	return ""
}

// cli runs siobench with args and returns the exit code.
func cli(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return serveCmd(args[1:], stdout, stderr)
		case childCmd:
			return childMain(os.Stdin, stdout, stderr)
		}
	}
	o := &options{}
	fs := newFlagSet(o, stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			scenario := ""
			if len(pos) > 0 {
				scenario = pos[0]
			}
			printUsage(stdout, fs, scenario)
			return exitOK
		}
		fmt.Fprintln(stderr, "run 'siobench -h' for usage")
		return exitUsage
	}
	if o.compare {
		return compareCmd(pos, o, stdout, stderr)
	}
	scenario := loadgen.ScenarioEcho
	if len(pos) > 0 {
		scenario = pos[0]
	}
	if len(pos) > 1 {
		return usageErr(fs, stderr, "unexpected argument %q", pos[1])
	}
	if !contains(scenarios, scenario) {
		return usageErr(fs, stderr, "unknown scenario %q", scenario)
	}
	o.cfg.Scenario = scenario
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.finish(set); err != nil {
		return usageErr(fs, stderr, "%v", err)
	}
	if o.note != "" && !o.quiet {
		fmt.Fprintln(stderr, "siobench: "+o.note)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	return runCmd(ctx, o, stdout, stderr)
}

// finish applies scenario defaults and checks the options; set holds the
// flags given on the command line.
func (o *options) finish(set map[string]bool) error {
	c := &o.cfg
	if c.Scenario == loadgen.ScenarioCustom {
		if o.scenFile == "" {
			return fmt.Errorf("custom needs --scenario FILE")
		}
		f, err := loadgen.LoadScenario(o.scenFile)
		if err != nil {
			return err
		}
		c.Custom = f
		if !set["c"] && !set["conns"] && f.Conns > 0 {
			c.Conns = f.Conns
		}
		if !set["rate"] && f.Rate > 0 {
			c.Rate = f.Rate
		}
		if !set["duration"] && f.Duration > 0 {
			c.Duration = time.Duration(f.Duration)
		}
		if !set["warmup"] && f.Warmup > 0 {
			c.Warmup = time.Duration(f.Warmup)
		}
		if !set["inflight"] && f.InFlight > 0 {
			c.InFlight = f.InFlight
		}
	} else if o.scenFile != "" {
		return fmt.Errorf("--scenario is for the custom scenario")
	}
	// A value given on the command line is taken as given: 0 is not a
	// request for the default.
	for _, b := range []struct {
		name string
		bad  bool
	}{
		{"--conns", (set["c"] || set["conns"]) && c.Conns < 1},
		{"--duration", set["duration"] && c.Duration <= 0},
		{"--loops", set["loops"] && c.Loops < 1},
		{"--rooms", set["rooms"] && c.Rooms < 1},
		{"--payload", set["payload"] && c.Payload < 1},
	} {
		if b.bad {
			return fmt.Errorf("%s must be at least 1", b.name)
		}
	}
	if c.Conns < 0 || c.Procs < 1 || c.DialConcurrency < 1 || c.Payload < 0 || c.InFlight < 1 {
		return fmt.Errorf("--conns, --procs, --dial-concurrency, --inflight and --payload must be positive")
	}
	if c.Duration < 0 || c.Warmup < 0 || c.Drain < 0 || c.Count < 0 {
		return fmt.Errorf("negative --duration, --warmup, --drain or --count")
	}
	if set["server-pid"] {
		switch {
		case c.ServerPID < 1:
			return fmt.Errorf("--server-pid %d: not a process id", c.ServerPID)
		case c.URL == "":
			return fmt.Errorf("--server-pid: without --url the bundled server runs inside siobench, so its CPU is already in the client's figures (\"server included\"); to measure a server apart, run `siobench serve` and pass its --url and pid")
		case loadgen.PidCPU(c.ServerPID) < 0:
			return fmt.Errorf("--server-pid %d: no such process", c.ServerPID)
		}
	}
	if c.Conns == 0 {
		switch c.Scenario {
		case loadgen.ScenarioBroadcast:
			c.Conns = 1000
		case loadgen.ScenarioRooms:
			// from --rooms × --room-size
		case loadgen.ScenarioConnect:
			c.Conns = 1000
		default:
			c.Conns = 50
		}
	}
	if c.Scenario == loadgen.ScenarioConnect {
		if !set["warmup"] {
			c.Warmup = 0
		}
		if c.Mode != loadgen.ModeHold && !set["duration"] {
			c.Duration = 0
		}
	}
	if c.Scenario != loadgen.ScenarioConnect && set["mode"] {
		return fmt.Errorf("--mode is for the connect scenario")
	}
	total := c.Conns
	if c.Scenario == loadgen.ScenarioRooms && total == 0 {
		rs := c.RoomSize
		if rs == 0 {
			rs = 5
		}
		total = c.Rooms * rs
		c.Conns = total
	}
	if c.Procs > 1 && total < c.Procs {
		return fmt.Errorf("--procs %d for %d connections", c.Procs, total)
	}
	if err := o.fdBudget(total, set["procs"]); err != nil {
		return err
	}
	// Check everything the engine checks, with a placeholder target when
	// the bundled server will be started.
	chk := *c
	if chk.URL == "" {
		chk.URL = "http://127.0.0.1:1"
	}
	chk.TotalConns, chk.Procs = total, 1
	if c.Procs > 1 {
		chk.Conns = loadgen.SplitConns(total, c.Procs)[0]
	}
	return chk.Validate()
}

// urlList is the --url flag: every use adds URLs (comma-separated, or
// @FILE: one per line, # comments) to the list, kept in
// loadgen.Config.URL's comma-separated form.
type urlList string

func (u *urlList) String() string { return string(*u) }

func (u *urlList) Set(v string) error {
	if name, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		var urls []string
		for _, line := range strings.Split(string(b), "\n") {
			if line, _, _ = strings.Cut(line, "#"); strings.TrimSpace(line) != "" {
				urls = append(urls, strings.TrimSpace(line))
			}
		}
		v = strings.Join(urls, ",")
	}
	if len(loadgen.SplitURLs(v)) == 0 {
		return errors.New("empty URL")
	}
	if *u != "" {
		v = string(*u) + "," + v
	}
	*u = urlList(v)
	return nil
}

// fdLimit is the descriptor limit of a siobench process (tests replace it).
var fdLimit = loadgen.FDLimit

// fdBudget fits the run into the processes' descriptor limits: the client
// side of every connection, and with the bundled server (no --url) its
// side too, in this process. When one process cannot hold it all and
// --procs was not given, the connections are spread over child processes
// (the bundled server stays in this one); what cannot fit is refused.
func (o *options) fdBudget(total int, procsSet bool) error {
	c := &o.cfg
	lim := fdLimit()
	budget := loadgen.ConnBudget(lim)
	client := func(n int) int { return loadgen.FDsNeeded(n, c.Transport, c.DialConcurrency) }
	server := 0
	if c.URL == "" {
		server = client(total) // the bundled server holds the other end of every connection
		if server > budget {
			return fmt.Errorf("%d connections: the bundled server would hold ~%d descriptors inside siobench, over what its limit (ulimit -n %d) leaves; run it apart (`siobench serve`, several nodes if need be) and pass --url", total, server, lim)
		}
	}
	if c.Procs == 1 {
		need := client(total) + server
		if need <= budget {
			return nil
		}
		k := max(2, (client(total)+budget-1)/max(1, budget))
		who := "client side"
		if server > 0 {
			who = "client side and the bundled server's"
		}
		if procsSet {
			return fmt.Errorf("%d connections need ~%d descriptors in one process (%s), over what its limit (ulimit -n %d) leaves: use --procs %d or more", total, need, who, lim, k)
		}
		c.Procs = k
		o.note = fmt.Sprintf("%d connections need ~%d descriptors (%s), more than one process may hold (ulimit -n %d): spreading the connections over %d child processes", total, need, who, lim, k)
		if server > 0 {
			o.note += "; the bundled server stays in this one"
		}
	}
	for _, n := range loadgen.SplitConns(total, c.Procs) {
		if client(n) > budget {
			return fmt.Errorf("--procs %d: %d connections per process need ~%d descriptors, over what the limit (ulimit -n %d) leaves: use --procs %d or more", c.Procs, n, client(n), lim, (client(total)+budget-1)/max(1, budget))
		}
	}
	return nil
}

// parseInterspersed parses flags anywhere among the positional arguments
// (`siobench echo -c 10`, `siobench --compare a.json b.json --chart-dir d`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return pos, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usageErr(fs *flag.FlagSet, stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "siobench: "+format+"\n", a...)
	fmt.Fprintln(stderr, "run 'siobench -h' for usage")
	_ = fs
	return exitUsage
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// writeJSON writes r as indented JSON.
func writeJSON(w io.Writer, r *loadgen.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
