package interop

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// Replays of the golden captures against examples/refapp, the application
// the captures were made with (golden/README.md, "The application on the
// server"), written with sioloop's public API: every sio-*.txt file, and
// the eio-*.txt files or sections that golden_replay_test.go cannot replay
// on the conformance app (cookie, CORS origin list, OPTIONS without CORS,
// the app's 404, the default 25 s heartbeat).
//
// A capture is replayed literally: the paths stay /socket.io/, the `>`
// lines are sent with the ids learnt so far filled in, the `<` lines are
// read and compared after id normalisation (the interpreter of
// golden_replay_test.go), and the `# server:` lines are compared with what
// the refapp reports on stdout (see examples/refapp): per socket (or
// session) in the capture's order, every field the capture shows, values
// compared as JSON. A file is split into independent units where a section
// starts with a fresh handshake (files listed in sioSplit), each unit on a
// fresh server process with its profile, as when the captures were made.
//
// What is not compared, and why, is in sioSkipped and sioSkipFields; the
// comparisons themselves are those of compareResponse and wsExpect (header
// order, header letter case, the reason phrase and chunked-vs-length
// framing are not failures there).
//
// The same replays run against interop/node/sio-refapp.js (socket.io 4.8.4,
// the captures' server, with the same report lines) as target "node-sio":
// a replay that fails there is a bug of this file, not of sioloop.
//
// Environment: SIOLOOP_REFAPP_MODES (default "gnet,http") selects the
// refapp's network layers; SIOLOOP_REFAPP_NODE=0 skips the Node reference
// target. Units longer than 10 s run on refapp (gnet) only, and not with
// -short.

// Target kinds of this file.
const (
	KindRefapp     = "refapp"      // examples/refapp -mode gnet
	KindRefappHTTP = "refapp-http" // examples/refapp -mode http
	KindNodeSIO    = "node-sio"    // interop/node/sio-refapp.js
)

// sioExtraEIO are the Engine.IO captures replayed here (see above).
var sioExtraEIO = []string{
	"eio-polling-cookie.txt",
	"eio-polling-cors.txt",
	"eio-error-bad-requests.txt",
	"eio-default-ping.txt",
}

// sioSplit lists the files whose sections are independent: a section that
// starts with a handshake (a request without sid) starts a new unit.
var sioSplit = map[string]bool{
	"sio-invalid-packets.txt":         true,
	"sio-disconnect-reasons.txt":      true,
	"sio-binary-server-to-client.txt": true,
	"sio-binary-client-to-server.txt": true,
	"sio-server-disconnect.txt":       true,
	"eio-error-bad-requests.txt":      true,
	"eio-polling-cors.txt":            true,
}

// sioDiffersOurs are units where ours differs from the reference on
// purpose; they run against the Node twin only, with the reason shown.
var sioDiffersOurs = map[string]string{
	"sio-json-encoding": "the refapp relays received arguments unchanged (&e.Args: no decode, no encode), the reference decodes and re-encodes them; sio's encoder itself reproduces this capture's server JSON byte for byte (sio TestAppendEventGolden)",
	"eio-error-bad-requests/WebSocket upgrade with EIO=3": "ours refuses an unsupported protocol before the 101 (raw 400, then close); the reference upgrades first and writes the 400 inside the WebSocket stream",
}

// sioLong are units of more than 10 s, skipped with -short.
var sioLong = map[string]bool{
	"eio-default-ping.txt": true, // the first ping comes after 25 s
}

// sioSkipped are `# server:` events that are not compared, with the reason
// (each a gap of the public API). eio-open and eio-close are compared for
// the echo server's sessions (/engine.io/), which the app owns.
var sioSkipped = map[string]string{
	"eio-open":      "sio.Server owns its Engine.IO server's single OnConnection slot: the app cannot observe Engine.IO sessions of /socket.io/",
	"eio-close":     "sio.Server owns its Engine.IO sessions' handler: the app cannot observe their close reason",
	"eio-upgrading": "no upgrade hook in package eio",
	"eio-upgrade":   "no upgrade hook in package eio",
	"socket-error":  "sio.Socket has no error event (its Use doc mentions an OnError that does not exist)",
}

// sioSkipFields are fields of compared events that are not compared.
var sioSkipFields = map[string]string{
	"description": "disconnect and close handlers get a reason only, no description (API gap)",
	"context":     "eio.Hooks.ConnectionError gets code and message, no context (API gap)",
}

// ---- build and start ----

var refapp struct {
	once sync.Once
	bin  string
	err  error
}

// buildRefapp compiles examples/refapp once per test run, next to the
// conformance binary and with the same -race choice (see buildExample).
func buildRefapp(t testing.TB) string {
	t.Helper()
	refapp.once.Do(func() {
		if env.buildTmp == "" {
			refapp.err = fmt.Errorf("no build directory (SIOLOOP_SKIP_OURS=1?)")
			return
		}
		refapp.bin, refapp.err = buildExample(env.buildTmp, "refapp")
	})
	if refapp.err != nil {
		t.Fatalf("examples/refapp does not build: %v", refapp.err)
	}
	return refapp.bin
}

// startRefapp starts a refapp (or its Node twin) with profile on a free
// port; it is killed (by PID) when t ends.
func startRefapp(t testing.TB, kind, profile string) *Target {
	t.Helper()
	var bin string
	var argv []string
	switch kind {
	case KindRefapp, KindRefappHTTP:
		if env.skipOurs {
			t.Skipf("SIOLOOP_SKIP_OURS=1: not running against %s", kind)
		}
		bin = buildRefapp(t)
		mode := "gnet"
		if kind == KindRefappHTTP {
			mode = "http"
		}
		argv = []string{"-mode", mode, "-profile", profile}
	case KindNodeSIO:
		requireNode(t)
		bin = env.node
		argv = []string{filepath.Join(env.interopDir, "node", "sio-refapp.js"), "-profile", profile}
	default:
		t.Fatalf("unknown target kind %q", kind)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		args := append(append([]string{}, argv...), "-addr", "127.0.0.1:"+freePort(t))
		tg, err := launch(kind, bin, args)
		if err == nil {
			t.Cleanup(func() { tg.stop(t) })
			return tg
		}
		lastErr = err
		if !errors.Is(err, errEarlyExit) {
			break
		}
	}
	t.Fatalf("start %s: %v", kind, lastErr)
	return nil
}

// stdoutText returns what the process printed on stdout so far.
func (o *procOutput) stdoutText() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.out.String()
}

// ---- units ----

// sioUnit is a part of a capture replayed on one fresh server process.
type sioUnit struct {
	name     string
	file     string
	profile  string
	sections []string // in file order
}

var sectionProfileRe = regexp.MustCompile(`\[(default|ref|small|cors|cookie|recovery)\b|profile '(\w+)'`)

// sioUnits cuts a capture into units.
func sioUnits(g *goldenFile) []sioUnit {
	var order []string
	first := map[string]*goldenLine{} // section -> its first > or < line
	seen := map[string]bool{}
	for i := range g.Lines {
		l := &g.Lines[i]
		if !seen[l.Section] {
			seen[l.Section] = true
			order = append(order, l.Section)
		}
		if first[l.Section] == nil && l.Dir != '#' {
			first[l.Section] = l
		}
	}
	base := strings.TrimSuffix(g.Name, ".txt")
	var units []sioUnit
	for _, sec := range order {
		l := first[sec]
		if l == nil {
			continue // comments only
		}
		profile := g.Profile
		if m := sectionProfileRe.FindStringSubmatch(sec); m != nil {
			profile = m[1] + m[2]
		}
		fresh := l.Dir == '>' && strings.HasPrefix(l.Text, "HTTP ") && !strings.Contains(l.Text, "sid=")
		if len(units) == 0 || sioSplit[g.Name] && fresh || profile != units[len(units)-1].profile {
			name := base
			if sec != "" {
				name += "/" + sec
			}
			units = append(units, sioUnit{name: name, file: g.Name, profile: profile})
		}
		u := &units[len(units)-1]
		u.sections = append(u.sections, sec)
	}
	return units
}

func sioKinds() []string {
	var kinds []string
	modes := os.Getenv("SIOLOOP_REFAPP_MODES")
	if modes == "" {
		modes = "gnet,http"
	}
	for _, m := range strings.Split(modes, ",") {
		switch strings.TrimSpace(m) {
		case "gnet":
			kinds = append(kinds, KindRefapp)
		case "http":
			kinds = append(kinds, KindRefappHTTP)
		}
	}
	if os.Getenv("SIOLOOP_REFAPP_NODE") != "0" {
		kinds = append(kinds, KindNodeSIO)
	}
	return kinds
}

func TestGoldenSocketIO(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(env.goldenDir, "sio-*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sio-*.txt captures in %s (%v)", env.goldenDir, err)
	}
	for i := range files {
		files[i] = filepath.Base(files[i])
	}
	files = append(files, sioExtraEIO...)
	for _, kind := range sioKinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel() // the targets' units share the -parallel slots
			for _, f := range files {
				g := loadGolden(t, f)
				for _, u := range sioUnits(g) {
					t.Run(u.name, func(t *testing.T) {
						t.Parallel()
						if sioLong[u.file] && testing.Short() {
							t.Skipf("%s takes more than 10 s (-short)", u.file)
						}
						if sioLong[u.file] && kind != KindRefapp {
							t.Skipf("%s takes more than 10 s: replayed on %s only", u.file, KindRefapp)
						}
						if why, ok := sioDiffersOurs[u.name]; ok && kind != KindNodeSIO {
							t.Skipf("deliberate difference: %s", why)
						}
						tg := startRefapp(t, kind, u.profile)
						newSIOReplay(t, g, tg, u).run()
					})
				}
			}
		})
	}
}

// ---- the interpreter ----

type sioReplay struct {
	*replayer
	unit sioUnit
	ev   *eventLog

	gone          map[string]bool      // label -> the connection is known to be closed
	opened        map[string]time.Time // label -> when its open packet arrived
	sioSIDs       map[string]bool      // sid placeholders of /socket.io/ sessions
	sioRealSIDs   map[string]bool      // their real values, as reported by the target
	autoPong      map[string]int       // label -> captured pings the replay answers itself
	pongs         map[string]int       // label -> pings answered since the last check
	lastSend      time.Time            // when the last client frame was sent
	lastSendLabel string               // and on which connection
	evErrors      []string             // server event differences, reported at the end
	skipped       map[string]int       // skipped event kinds -> count
}

func newSIOReplay(t *testing.T, g *goldenFile, tg *Target, u sioUnit) *sioReplay {
	r := newReplayer(t, g, tg, u.profile)
	r.n.rewrite = nil // the refapp serves the captures' paths
	sr := &sioReplay{
		replayer: r, unit: u, ev: &eventLog{tg: tg},
		gone: map[string]bool{}, opened: map[string]time.Time{}, sioSIDs: map[string]bool{}, sioRealSIDs: map[string]bool{},
		autoPong: map[string]int{}, pongs: map[string]int{},
		skipped: map[string]int{},
	}
	for _, l := range g.Lines {
		if m := eioOpenPathRe.FindStringSubmatch(l.Text); m != nil && m[1] != "/engine.io/" {
			sr.sioSIDs[m[2]] = true
		}
	}
	return sr
}

// eioOpenPathRe finds the path and sid placeholder of an eio-open line.
var eioOpenPathRe = regexp.MustCompile(`^server: eio-open path="([^"]*)" sid="(<SID\d*>)"`)

func (r *sioReplay) run() {
	t := r.t
	steps := r.heartbeats(r.steps(goldenReplay{only: r.unit.sections}))
	if len(steps) == 0 {
		t.Fatalf("%s: nothing to replay in %q", r.g.Name, r.unit.sections)
	}
	lastWire := -1
	for i, s := range steps {
		if s.line.Dir != '#' {
			lastWire = i
		}
	}
	defer r.reportEvents()
	for i, s := range steps {
		where := fmt.Sprintf("%s:%d", r.g.Name, s.line.No)
		if s.line.Section != "" {
			where += " (" + s.line.Section + ")"
		}
		if i > lastWire && s.line.Dir == '#' && strings.HasPrefix(s.line.Text, "server: ") {
			r.closeAll() // after the silences the capture checked
		}
		switch {
		case s.req != nil:
			r.gone[s.req.Label] = false
			r.send(where, s.req)
			if i+1 < len(steps) && steps[i+1].resp != s.req {
				time.Sleep(50 * time.Millisecond)
			}
		case s.resp != nil:
			r.receive(where, r.allowed(s.resp), false)
		default:
			r.line(where, s.line)
		}
		if t.Failed() {
			t.Errorf("stopped at %s: %s", where, s.line.Text)
			return
		}
	}
	r.closeAll()
}

// allowed returns the exchange with the capture's response adjusted for
// the differences that are harmless by design:
//   - a 204 without Content-Length: RFC 9110 (8.6) forbids the header on
//     204 and net/http removes it; the reference writes "Content-Length: 0".
//     The body is still checked to be empty.
func (r *sioReplay) allowed(ex *exchange) *exchange {
	if ex.Resp == nil || ex.Resp.Status != 204 {
		return ex
	}
	c := *ex
	resp := *ex.Resp
	resp.Headers = slices.DeleteFunc(slices.Clone(resp.Headers), func(h hdr) bool {
		return strings.EqualFold(h.Name, "Content-Length")
	})
	c.Resp = &resp
	return &c
}

// closeAll closes the connections still open after the capture's last
// wire line: the capturing client dropped them (TCP close, no close
// frame), and the `# server:` lines after it may show the consequences.
func (r *sioReplay) closeAll() {
	for label, c := range r.conns {
		if !r.gone[label] {
			c.c.Close()
			r.gone[label] = true
		}
	}
}

// heartbeats removes the answered pings of the capture (a `< ws text: 2`
// whose connection's next line is `> ws text: 3`): when they come depends
// on timers that a replay cannot hold to the capture's millisecond, so the
// replay answers every ping on those connections as it arrives, and checks
// their number (at most one fewer than captured) before the next frame it
// expects there. Unanswered pings, and every ping of the profiles with
// the default 25 s interval, stay literal.
func (r *sioReplay) heartbeats(steps []step) []step {
	if r.pingInterval() > time.Second {
		return steps // a ping every 25 s comes when the capture says
	}
	drop := map[int]bool{}
	for i, s := range steps {
		if s.line.Dir != '<' || s.line.Text != "ws text: 2" {
			continue
		}
		for j := i + 1; j < len(steps); j++ {
			n := steps[j].line
			if n.Label != s.line.Label || n.Dir == '#' {
				continue
			}
			if n.Dir == '>' && n.Text == "ws text: 3" {
				drop[i], drop[j] = true, true
			}
			break
		}
	}
	var out []step
	for i, s := range steps {
		switch {
		case !drop[i]:
			out = append(out, s)
		case s.line.Dir == '<':
			s.line.Text = answeredPing
			out = append(out, s)
		}
	}
	return out
}

// answeredPing replaces a captured `< ws text: 2` that the replay answers
// by itself (see heartbeats).
const answeredPing = "(answered ping)"

// drainPings answers the pings waiting on c (auto-pong connections only)
// and checks their number against the capture's.
func (r *sioReplay) drainPings(where, label string, c *wsConn) {
	want, ok := r.autoPong[label]
	if !ok {
		return
	}
	for {
		c.c.SetReadDeadline(time.Now().Add(ioTimeout))
		b, err := c.br.Peek(2)
		if err == nil && b[0] == 0x81 && b[1] == 0x01 {
			b, err = c.br.Peek(3)
		}
		c.c.SetReadDeadline(time.Time{})
		if err != nil || len(b) < 3 || b[0] != 0x81 || b[1] != 0x01 || b[2] != '2' {
			break
		}
		c.br.Discard(3)
		c.sendText("3")
		r.pongs[label]++
	}
	if got := r.pongs[label]; want > 0 && (got < want-1 || got > want+1) {
		r.t.Errorf("%s: %d heartbeat pings before this frame, the capture has %d", where, got, want)
	}
	r.autoPong[label], r.pongs[label] = 0, 0
}

// line acts on a line that is neither a request nor a response start.
func (r *sioReplay) line(where string, l goldenLine) {
	t := r.t
	text := l.Text
	if l.Dir == '#' {
		if rest, ok := strings.CutPrefix(text, "server: "); ok {
			if !strings.HasPrefix(rest, "profile ") {
				r.expectEvent(where, rest)
			}
			return
		}
		label := l.Label
		if label == "" && r.conns[""] == nil {
			label = r.last
		}
		if silenceRe.MatchString(text) && r.gone[label] {
			return // nothing can arrive on a closed connection
		}
		r.event(where, l)
		return
	}
	label := l.Label
	if label == "" && r.conns[""] == nil {
		label = r.last
	}
	switch {
	case text == answeredPing:
		r.autoPong[label]++
	case l.Dir == '>' && strings.HasPrefix(text, "ws text"):
		// Sent with the ids learnt so far (a recovery CONNECT carries pid and offset).
		r.pace(label)
		ev := parseWSLine(t, l)
		msg := r.n.fill(string(synthesize(t, where, ev.Body, false)))
		if m := placeholderRe.FindString(msg); m != "" {
			t.Fatalf("%s: %s was never seen, cannot send %q", where, m, msg)
		}
		r.last = label
		r.conn(label).sendText(msg)
	case l.Dir == '<' && strings.HasPrefix(text, "ws ") && r.conns[label] != nil:
		if _, ok := r.autoPong[label]; ok {
			r.drainPings(where, label, r.conn(label))
		}
		if text == "ws text: 2" && r.pingInterval() > ioTimeout {
			r.last = label
			r.expectLatePing(where, r.conn(label))
			return
		}
		r.event(where, l)
		if strings.HasPrefix(text, "ws text: 0{") {
			r.opened[label] = time.Now()
		}
	case strings.HasPrefix(text, "tcp: "):
		r.event(where, l)
		r.gone[label] = true
	case l.Dir == '>' && strings.HasPrefix(text, "ws "):
		r.pace(label)
		r.event(where, l)
	default:
		r.event(where, l)
	}
}

// pace spaces client frames sent back to back like the capturing client
// (one process writing them one after the other): a few milliseconds on
// the same connection (the reference names recovery offsets after the
// millisecond), more across connections, which a multi-loop server reads
// in parallel (the reference's answer order is the order of arrival).
func (r *sioReplay) pace(label string) {
	if !r.lastSend.IsZero() {
		gap := 5 * time.Millisecond
		if label != r.lastSendLabel {
			gap = 20 * time.Millisecond
		}
		time.Sleep(time.Until(r.lastSend.Add(gap)))
	}
	r.lastSend, r.lastSendLabel = time.Now(), label
}

// pingInterval is the unit's profile heartbeat interval.
func (r *sioReplay) pingInterval() time.Duration {
	if r.unit.profile == "ref" {
		return 300 * time.Millisecond
	}
	return 25 * time.Second
}

// expectLatePing reads a ping that comes pingInterval after the open
// packet, longer than the interpreter's read timeout.
func (r *sioReplay) expectLatePing(where string, c *wsConn) {
	t := r.t
	f, err := c.readFrame(r.pingInterval() + 10*time.Second)
	if err != nil {
		t.Fatalf("%s: expected ws text 2: %v", where, err)
	}
	if f.Op != ws.OpText || string(f.Payload) != "2" {
		t.Fatalf("%s: got frame %v, want ws text 2", where, f)
	}
	if at, ok := r.opened[r.last]; ok {
		within(t, where+": first ping", time.Since(at), r.pingInterval()-early, r.pingInterval()+lateSlack)
	}
}

// ---- server events ----

// srvEvent is a "server: <kind> key=value ..." line, values as raw JSON.
type srvEvent struct {
	text   string
	kind   string
	fields []srvField
	used   bool
}

type srvField struct{ key, val string }

func (e *srvEvent) get(key string) (string, bool) {
	for _, f := range e.fields {
		if f.key == key {
			return f.val, true
		}
	}
	return "", false
}

var fieldKeyRe = regexp.MustCompile(`^ ([A-Za-z_]+)=`)

// parseSrvEvent parses the part after "server: ".
func parseSrvEvent(s string) (*srvEvent, error) {
	e := &srvEvent{text: s}
	kind, rest, _ := strings.Cut(s, " ")
	e.kind = kind
	if rest != "" {
		rest = " " + rest
	}
	for rest != "" {
		m := fieldKeyRe.FindStringSubmatch(rest)
		if m == nil {
			return nil, fmt.Errorf("bad field at %q", rest)
		}
		rest = rest[len(m[0]):]
		dec := json.NewDecoder(strings.NewReader(rest))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("field %s: %v in %q", m[1], err, rest)
		}
		n := int(dec.InputOffset())
		e.fields = append(e.fields, srvField{m[1], strings.TrimSpace(rest[:n])})
		rest = rest[n:]
	}
	return e, nil
}

// eventLog is what the target reported so far.
type eventLog struct {
	tg     *Target
	events []*srvEvent
	done   int // bytes of stdout parsed
	bad    []string
}

func (l *eventLog) refresh() {
	out := l.tg.out.stdoutText()
	for {
		i := strings.IndexByte(out[l.done:], '\n')
		if i < 0 {
			return
		}
		line := out[l.done : l.done+i]
		l.done += i + 1
		if rest, ok := strings.CutPrefix(line, "server: "); ok {
			e, err := parseSrvEvent(rest)
			if err != nil {
				l.bad = append(l.bad, fmt.Sprintf("%q: %v", line, err))
				continue
			}
			l.events = append(l.events, e)
		}
	}
}

const eventWait = 3 * time.Second

// eventKey returns the field that identifies whose event it is: the
// socket id, else the session id, else none (one queue per kind).
func eventKey(e *srvEvent) string {
	if _, ok := e.get("id"); ok {
		return "id"
	}
	if _, ok := e.get("sid"); ok {
		return "sid"
	}
	return ""
}

// expectEvent checks one `# server:` line: the target's next unread event
// about the same socket (or session, or of the same kind when the line
// names neither) must match it.
func (r *sioReplay) expectEvent(where, line string) {
	want, err := parseSrvEvent(line)
	if err != nil {
		r.t.Fatalf("%s: %v", where, err)
	}
	if r.skippedEvent(want) {
		r.skipped[want.kind]++
		return
	}
	key := eventKey(want)
	var keyPH, keyReal string
	if key != "" {
		v, _ := want.get(key)
		keyPH = strings.Trim(v, `"`)
		keyReal = r.n.toReal[keyPH]
	}
	deadline := time.Now().Add(eventWait)
	for {
		r.ev.refresh()
		for _, got := range r.ev.events {
			if got.used || r.gotSkipped(got) || eventKey(got) != key || key == "" && got.kind != want.kind {
				continue
			}
			if key != "" {
				gv, _ := got.get(key)
				gv = strings.Trim(gv, `"`)
				if keyReal == "" {
					// A placeholder first seen here: take the first event
					// of this kind whose id is not bound yet.
					if got.kind != want.kind || r.isBound(gv) {
						continue
					}
					r.n.bind(keyPH, gv)
				} else if gv != keyReal {
					continue
				}
			}
			got.used = true
			if diff := r.compareEvent(want, got); diff != "" {
				r.evErrors = append(r.evErrors, fmt.Sprintf("%s: server event differs (%s)\n got: server: %s\nwant: server: %s", where, diff, r.n.norm(got.text), line))
			}
			return
		}
		if time.Now().After(deadline) {
			r.evErrors = append(r.evErrors, fmt.Sprintf("%s: no server event within %v\nwant: server: %s", where, eventWait, line))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// skippedEvent reports whether a capture's event is not compared (see
// sioSkipped): Engine.IO events are, for the echo server's sessions only.
func (r *sioReplay) skippedEvent(e *srvEvent) bool {
	if _, skip := sioSkipped[e.kind]; !skip {
		return false
	}
	switch e.kind {
	case "eio-open":
		path, _ := e.get("path")
		return path != `"/engine.io/"`
	case "eio-close":
		sid, _ := e.get("sid")
		return r.sioSIDs[strings.Trim(sid, `"`)]
	}
	return true
}

// gotSkipped is skippedEvent for the target's reports (the Node twin
// reports everything).
func (r *sioReplay) gotSkipped(e *srvEvent) bool {
	if _, skip := sioSkipped[e.kind]; !skip {
		return false
	}
	switch e.kind {
	case "eio-open":
		path, _ := e.get("path")
		if path != `"/engine.io/"` {
			sid, _ := e.get("sid")
			r.sioRealSIDs[strings.Trim(sid, `"`)] = true
			return true
		}
		return false
	case "eio-close":
		sid, _ := e.get("sid")
		return r.sioRealSIDs[strings.Trim(sid, `"`)]
	}
	return true
}

func (r *sioReplay) isBound(real string) bool {
	for _, v := range r.n.toReal {
		if v == real {
			return true
		}
	}
	return false
}

// compareEvent returns "" or what differs.
func (r *sioReplay) compareEvent(want, got *srvEvent) string {
	if want.kind != got.kind {
		return fmt.Sprintf("event %s, want %s", got.kind, want.kind)
	}
	var diffs []string
	for _, wf := range want.fields {
		if _, skip := sioSkipFields[wf.key]; skip {
			continue
		}
		gv, ok := got.get(wf.key)
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s missing", wf.key))
			continue
		}
		if !jsonEqual(wf.key, r.n.norm(gv), wf.val) {
			diffs = append(diffs, fmt.Sprintf("%s=%s, want %s", wf.key, r.n.norm(gv), wf.val))
		}
	}
	return strings.Join(diffs, "; ")
}

// jsonEqual compares two JSON values as values. Allowed differences, each
// harmless by design:
//   - rooms: compared as sets (sio.Socket.Rooms has Go map order; the
//     reference lists a Set in insertion order);
//   - err: the "sio: " prefix of sioloop's error messages (Go convention
//     for sentinel errors) is ignored.
func jsonEqual(key, got, want string) bool {
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return got == want
	}
	switch key {
	case "rooms":
		g, w = sortedStrings(g), sortedStrings(w)
	case "err":
		if m, ok := g.(map[string]any); ok {
			if s, ok := m["error"].(string); ok {
				m["error"] = strings.TrimPrefix(s, "sio: ")
			}
		}
	}
	return reflect.DeepEqual(g, w)
}

func sortedStrings(v any) any {
	xs, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		s, ok := x.(string)
		if !ok {
			return v
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// reportEvents fails t with every server event difference, and with the
// events the target reported that the capture does not have.
func (r *sioReplay) reportEvents() {
	t := r.t
	time.Sleep(50 * time.Millisecond) // late reports of the last exchange
	r.ev.refresh()
	for _, b := range r.ev.bad {
		r.evErrors = append(r.evErrors, "unparsable report line "+b)
	}
	if !t.Failed() { // after a stop, the rest of the capture's events are not expected
		for _, e := range r.ev.events {
			if !e.used && !r.gotSkipped(e) {
				r.evErrors = append(r.evErrors, "server event the capture does not have: server: "+r.n.norm(e.text))
			}
		}
	}
	for _, e := range r.evErrors {
		t.Error(e)
	}
	kinds := make([]string, 0, len(r.skipped))
	for k := range r.skipped {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		note(t, "%d `# server: %s` line(s) not compared: %s", r.skipped[k], k, sioSkipped[k])
	}
}
