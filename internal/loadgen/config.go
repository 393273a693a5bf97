package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strings"
	"time"
)

// Scenario names.
const (
	ScenarioConnect   = "connect"
	ScenarioEcho      = "echo"
	ScenarioAck       = "ack"
	ScenarioBroadcast = "broadcast"
	ScenarioRooms     = "rooms"
	ScenarioChurn     = "churn"
	ScenarioCustom    = "custom"
)

// Connect modes.
const (
	ModeStorm = "storm" // dial everything as fast as DialConcurrency allows
	ModeRamp  = "ramp"  // dial at Rate connections per second
	ModeHold  = "hold"  // storm, then hold the connections idle for Duration
)

// Transport names.
const (
	TransportWebSocket      = "websocket"
	TransportPolling        = "polling"
	TransportPollingUpgrade = "polling+upgrade"
)

// Parser names (Config.Parser).
const (
	ParserDefault = "default" // Socket.IO's default: text packets, binary attachments
	ParserMsgpack = "msgpack" // socket.io-msgpack-parser 3.0: one msgpack map per packet
)

// Config describes one run. The zero value of every field but URL's target
// takes a default (see withDefaults); Run works on a copy.
type Config struct {
	Scenario string // one of the Scenario constants (default echo)
	Mode     string // connect: storm, ramp or hold (default storm)

	// URL is the target, http://host:port[/namespace][?query] (ws:// is
	// accepted as a synonym). As with socket.io-client, a path in the URL
	// names the namespace and the query is added to every handshake.
	// Several URLs separated by commas are the nodes of a cluster (a comma
	// inside a URL is written %2C): connections are spread over them round
	// robin, the rooms scenario puts a room's members on other nodes than
	// its sender, and every node must serve the same namespace.
	URL       string
	Path      string // Engine.IO endpoint (default /socket.io/)
	Namespace string // default from URL, else "/"
	// Auth is the CONNECT packet's payload (socket.io-client's auth
	// option), a JSON object; {{i}} in it is replaced by each connection's
	// index (0, 1, …), e.g. {"token":"user-{{i}}"}. Empty: none.
	Auth string
	// Insecure skips the verification of TLS certificates (https:// and
	// wss:// targets with self-signed certificates).
	Insecure  bool
	Transport string // websocket (default), polling, polling+upgrade
	// EIO is the Engine.IO protocol: 4 (default; Socket.IO v3, v4 servers)
	// or 3 (socket.io 2.x servers, and v4 servers with allowEIO3): the
	// client pings, and the main namespace is joined by the server without
	// a CONNECT. Every transport; over polling the v3 payload framing.
	EIO int
	// Parser is the Socket.IO packet format, as the server's: default
	// (ParserDefault) or msgpack (ParserMsgpack: socket.io-msgpack-parser
	// 3.0, each packet one binary message holding a msgpack map).
	Parser string

	Conns           int     // connections of this process
	DialConcurrency int     // handshakes in progress at once (default 200)
	Rate            float64 // offered ops (messages, dials)/s; 0 = closed loop
	InFlight        int     // closed loop: outstanding ops per connection (sender)
	Duration        time.Duration
	Count           int64 // ops (messages) to send instead of a duration
	Warmup          time.Duration
	Drain           time.Duration // bound on waiting for replies after sending
	Payload         int           // bytes of the string each message carries

	Rooms    int // rooms scenario: number of rooms (Conns = Rooms × RoomSize)
	RoomSize int // members per room (derived from Conns when 0)

	ChurnOps int // churn: echo round trips per connection life (default 10)

	Custom *ScenarioFile // custom scenario

	OpTimeout        time.Duration // an op without reply fails after it (default 5 s)
	HandshakeTimeout time.Duration // dial to namespace joined (default 5 s)
	ConnectTimeout   time.Duration // bound on the whole connect phase (default 30 s + Conns/1000 s)

	Loops int // event loops (default GOMAXPROCS)

	// Multi-process runs: this process's share.
	ConnOffset int // global index of this process's first connection
	TotalConns int // connections of the whole run (default Conns)
	Procs      int // processes in the run (default 1)
	// SourceIPs are local addresses to dial from, rotated over the
	// connections. Empty: the kernel's choice, except for a big run against
	// a loopback target, which spreads over 127.0.<Proc+1>.x (one address
	// per 8,000 connections): the kernel's ephemeral port search slows down
	// as one source address fills its port range.
	SourceIPs []string
	Proc      int   // index of this process in a multi-process run
	Origin    int64 // Clock origin, Unix ns (default: now)

	ServerPID int // a server process to sample (CPU, RSS), 0 = none
	Label     string
}

// target is the parsed, resolved URL.
type target struct {
	tls   bool   // https:// or wss://
	host  string // Host header value
	addr  *net.TCPAddr
	path  string
	query string // extra query, without '?' or leading '&'
	nsp   string
}

func (c Config) withDefaults() Config {
	if c.Scenario == "" {
		c.Scenario = ScenarioEcho
	}
	if c.Scenario == ScenarioConnect && c.Mode == "" {
		c.Mode = ModeStorm
	}
	if c.Path == "" {
		c.Path = "/socket.io/"
	}
	if !strings.HasPrefix(c.Path, "/") {
		c.Path = "/" + c.Path
	}
	if !strings.HasSuffix(c.Path, "/") {
		c.Path += "/"
	}
	if c.Transport == "" {
		c.Transport = TransportWebSocket
	}
	if c.EIO == 0 {
		c.EIO = 4
	}
	if c.Parser == "" {
		c.Parser = ParserDefault
	}
	if c.Scenario == ScenarioRooms {
		if c.Rooms <= 0 {
			c.Rooms = 100
		}
		if c.RoomSize <= 0 {
			c.RoomSize = 5
			if n := max(c.TotalConns, c.Conns); n > 0 {
				c.RoomSize = max(1, n/c.Rooms)
			}
		}
		if c.Conns <= 0 {
			c.Conns = c.Rooms * c.RoomSize
		}
	}
	if c.Conns <= 0 {
		c.Conns = 50
	}
	if c.TotalConns <= 0 {
		c.TotalConns = c.Conns
	}
	if c.Procs <= 0 {
		c.Procs = 1
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 200
	}
	if c.InFlight <= 0 {
		c.InFlight = 1
	}
	if c.Duration <= 0 {
		if c.Count > 0 {
			c.Duration = 10 * time.Minute // a bound only
		} else {
			c.Duration = 5 * time.Second
		}
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	}
	if c.Drain <= 0 {
		c.Drain = 5 * time.Second
	}
	if c.Payload < 0 {
		c.Payload = 0
	}
	if c.ChurnOps <= 0 {
		c.ChurnOps = 10
	}
	if c.OpTimeout <= 0 {
		c.OpTimeout = 5 * time.Second
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 5 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 30*time.Second + time.Duration(c.Conns)*time.Millisecond
	}
	if c.Loops <= 0 {
		c.Loops = runtime.GOMAXPROCS(0)
	}
	c.Loops = min(c.Loops, max(1, c.Conns))
	return c
}

// ErrConfig matches (errors.Is) every configuration error: a bad flag, a
// bad URL. The errors themselves read as what is wrong, for the user.
var ErrConfig = errors.New("bad configuration")

// configError is a configuration error; it is ErrConfig.
type configError struct{ msg string }

func (e *configError) Error() string        { return e.msg }
func (e *configError) Is(target error) bool { return target == ErrConfig }

func configErr(format string, a ...any) error {
	return &configError{fmt.Sprintf(format, a...)}
}

// ConfigErrorf returns a configuration error (one that is ErrConfig) with
// the message given.
func ConfigErrorf(format string, a ...any) error { return configErr(format, a...) }

// Validate reports a configuration error (wrapping ErrConfig) without
// resolving the target.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch c.Scenario {
	case ScenarioConnect:
		switch c.Mode {
		case ModeStorm, ModeHold:
		case ModeRamp:
			if c.Rate <= 0 {
				return configErr("connect --mode ramp needs --rate (connections/s)")
			}
		default:
			return configErr("unknown connect mode %q (storm, ramp, hold)", c.Mode)
		}
	case ScenarioEcho, ScenarioAck, ScenarioBroadcast, ScenarioChurn:
	case ScenarioRooms:
		if c.TotalConns != c.Rooms*c.RoomSize {
			return configErr("rooms: --conns %d is not --rooms %d × --room-size %d", c.TotalConns, c.Rooms, c.RoomSize)
		}
	case ScenarioCustom:
		if c.Custom == nil {
			return configErr("custom scenario without a scenario file")
		}
		if err := c.Custom.validate(c.Rate); err != nil {
			return err
		}
	default:
		return configErr("unknown scenario %q", c.Scenario)
	}
	switch c.Transport {
	case TransportWebSocket, TransportPolling, TransportPollingUpgrade:
	default:
		return configErr("unknown transport %q (websocket, polling, polling+upgrade)", c.Transport)
	}
	if c.Rate < 0 {
		return configErr("negative --rate")
	}
	switch {
	case c.EIO != 3 && c.EIO != 4:
		return configErr("--eio %d: want 4 (Socket.IO v3, v4) or 3 (socket.io 2.x)", c.EIO)
	case c.EIO == 3 && c.Auth != "":
		return configErr("--eio 3: Socket.IO 2 has no CONNECT payload (--auth); pass credentials in the --url query")
	}
	switch {
	case c.Parser != ParserDefault && c.Parser != ParserMsgpack:
		return configErr("unknown --parser %q (default, msgpack)", c.Parser)
	case c.Parser == ParserMsgpack && c.EIO == 3:
		return configErr("--parser msgpack: Engine.IO 4 only (--eio 4)")
	}
	if c.Auth != "" {
		v := []byte(strings.ReplaceAll(c.Auth, "{{i}}", "0"))
		if t := bytes.TrimSpace(v); !json.Valid(v) || len(t) == 0 || t[0] != '{' {
			return configErr("--auth %s: want a JSON object, e.g. '{\"token\":\"user-{{i}}\"}' ({{i}}: the connection's index)", c.Auth)
		}
	}
	if need, lim := FDsNeeded(c.Conns, c.Transport, c.DialConcurrency), FDLimit(); need > ConnBudget(lim) {
		return configErr("%d connections need ~%d descriptors in one process, over what its limit (ulimit -n %d) leaves: use --procs", c.Conns, need, lim)
	}
	if c.Scenario == ScenarioBroadcast && c.InFlight > 1 && c.Rate > 0 {
		return configErr("--inflight applies to a closed-loop sender (no --rate)")
	}
	_, err := parseURLs(c.URL, c.Path, c.Namespace)
	return err
}

// SplitURLs splits a comma-separated list of target URLs.
func SplitURLs(list string) []string {
	var out []string
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// parseURLs parses the target URL list: one target per node.
func parseURLs(list, path, nsp string) ([]target, error) {
	var ts []target
	for _, u := range SplitURLs(list) {
		t, err := parseURL(u, path, nsp)
		if err != nil {
			return nil, err
		}
		if len(ts) > 0 && t.nsp != ts[0].nsp {
			return nil, configErr("--url %s is namespace %s, the first is %s: every node must serve the same namespace", u, t.nsp, ts[0].nsp)
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, configErr("no target URL")
	}
	return ts, nil
}

// parseURL parses and checks the target URL (resolution happens in resolve).
func parseURL(raw, path, nsp string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, configErr("bad --url: %v", err)
	}
	secure := false
	switch u.Scheme {
	case "http", "ws":
	case "https", "wss":
		secure = true
	default:
		return target{}, configErr("--url %q: want http://host:port or https://host:port", raw)
	}
	if u.Host == "" {
		return target{}, configErr("--url %q has no host", raw)
	}
	t := target{tls: secure, host: u.Host, path: path, query: u.RawQuery, nsp: "/"}
	switch p := strings.TrimSuffix(u.Path, "/"); {
	case p == "":
	case p == strings.TrimSuffix(path, "/"):
		// The URL names the Socket.IO endpoint itself (what a server
		// prints): the main namespace there, not a namespace of that name.
	default:
		t.nsp = p
	}
	if nsp != "" {
		if !strings.HasPrefix(nsp, "/") {
			nsp = "/" + nsp
		}
		t.nsp = nsp
	}
	if strings.ContainsAny(t.nsp, ",") {
		return target{}, configErr("namespace %q contains ','", t.nsp)
	}
	return t, nil
}

// resolve parses the URL list and resolves each host to one address.
func resolve(c *Config) ([]target, error) {
	ts, err := parseURLs(c.URL, c.Path, c.Namespace)
	if err != nil {
		return nil, err
	}
	for i := range ts {
		t := &ts[i]
		hostport := t.host
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			port := "80"
			if t.tls {
				port = "443"
			}
			hostport = net.JoinHostPort(hostport, port)
		}
		a, err := net.ResolveTCPAddr("tcp", hostport)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", hostport, err)
		}
		t.addr = a
	}
	return ts, nil
}

// FDsNeeded returns the descriptors conns connections over transport hold
// on one side (client or server): one socket each over WebSocket, two over
// polling (the GET and the POST), and for polling+upgrade one, plus two for
// each handshake that may be in progress.
func FDsNeeded(conns int, transport string, dialConcurrency int) int {
	switch transport {
	case TransportPolling:
		return 2 * conns
	case TransportPollingUpgrade:
		return conns + 2*min(conns, max(1, dialConcurrency))
	}
	return conns
}

// ConnBudget returns the descriptors a process whose limit is limit may
// give to connections: the limit less a reserve for everything else.
func ConnBudget(limit int) int { return max(0, limit-max(64, limit/20)) }

// evenShare splits n over the run's connections: this process's part, with
// the rounding remainder going to the first process.
func evenShare(c *Config, n int64) int64 {
	part := n * int64(c.Conns) / int64(c.TotalConns)
	if c.ConnOffset == 0 {
		var sum int64
		for _, k := range SplitConns(c.TotalConns, c.Procs) {
			sum += n * int64(k) / int64(c.TotalConns)
		}
		part += n - sum
	}
	return part
}

// SplitConns splits total connections over procs processes: equal parts,
// the first ones one larger. Child processes get their shares in this order.
func SplitConns(total, procs int) []int {
	procs = max(1, procs)
	out := make([]int, procs)
	for i := range out {
		out[i] = total / procs
		if i < total%procs {
			out[i]++
		}
	}
	return out
}
