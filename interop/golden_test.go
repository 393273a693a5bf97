package interop

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sioloop/sioloop/internal/golden"
)

// A reader of the golden captures (see testdata/golden/README.md for the
// format): HTTP exchanges grouped by connection label, WebSocket events,
// and helpers that compare a live response with a captured one after id
// normalisation.

type goldenLine struct {
	No      int
	Section string
	Label   string
	Dir     byte // '>' client to server, '<' server to client, '#' comment
	Text    string
}

type goldenFile struct {
	Name      string
	Profile   string
	Lines     []goldenLine
	Exchanges []*exchange
}

// exchange is one HTTP request of the capture with its response (if any)
// and the events that followed on the same connection label.
type exchange struct {
	Label, Section string
	Line           int
	Method, Target string
	StdUpgrade     bool // "(standard upgrade request headers ...)"
	ReqHeaders     []hdr
	ReqBody        *gBody
	Resp           *gResponse
	RespLine       int
	Events         []goldenLine // later lines of the same label, up to its next request
}

type gResponse struct {
	StatusLine string
	Status     int
	Std101     bool // "(standard 101 headers ...)"
	Headers    []hdr
	Body       *gBody
	Encoding   string // the body was compressed on the wire (gzip, deflate)
	RawAfter   *gBody // "raw bytes after the 101"
}

// gBody is a rendered body, complete or abbreviated as prefix...suffix.
type gBody struct {
	Empty          bool
	Text           string // complete rendering (Len < 0)
	Len            int    // byte length of an abbreviated body, -1 if complete
	Prefix, Suffix string
}

func (b *gBody) String() string {
	switch {
	case b == nil:
		return "<none>"
	case b.Empty:
		return "(empty)"
	case b.Len >= 0:
		return fmt.Sprintf("(%d bytes) %s...%s", b.Len, b.Prefix, b.Suffix)
	}
	return b.Text
}

// Bytes returns a complete body's bytes.
func (b *gBody) Bytes() ([]byte, bool) {
	if b == nil || b.Empty {
		return nil, b != nil
	}
	if b.Len >= 0 {
		return nil, false
	}
	return golden.Unrender(b.Text), true
}

// matches compares the rendering of an actual (normalised) body.
func (b *gBody) matches(rendered string, n int) bool {
	switch {
	case b.Empty:
		return n == 0
	case b.Len >= 0:
		return n == b.Len && strings.HasPrefix(rendered, b.Prefix) && strings.HasSuffix(rendered, b.Suffix)
	}
	return rendered == b.Text
}

var (
	goldenMu    sync.Mutex
	goldenCache = map[string]*goldenFile{}

	labelRe     = regexp.MustCompile(`^\[([^\]]+)\] (.*)$`)
	headerRe    = regexp.MustCompile(`^([A-Za-z0-9-]+): ?(.*)$`)
	abbrevRe    = regexp.MustCompile(`^body \((\d+) bytes\): (.*)$`)
	encodedRe   = regexp.MustCompile(`^body \((gzip|deflate|br), \d+ bytes on the wire; decoded below\)$`)
	frameHdrRe  = regexp.MustCompile(`^(.*) \[frame header: ([0-9a-f ]+)\]$`)
	wsAbbrevRe  = regexp.MustCompile(`^\((\d+) bytes\): (.*)$`)
	closeCodeRe = regexp.MustCompile(`^code=(\d+) reason="(.*)"$`)
)

// loadGolden parses a capture (cached).
func loadGolden(t testing.TB, name string) *goldenFile {
	t.Helper()
	goldenMu.Lock()
	defer goldenMu.Unlock()
	if g, ok := goldenCache[name]; ok {
		return g
	}
	g, err := parseGolden(filepath.Join(env.goldenDir, name))
	if err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	goldenCache[name] = g
	return g
}

func parseGolden(path string) (*goldenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g := &goldenFile{Name: filepath.Base(path)}
	current := map[string]*exchange{} // label -> last exchange
	section := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	no := 0
	var pendingEncoding = map[string]string{}
	for sc.Scan() {
		no++
		raw := sc.Text()
		if raw == "" {
			continue
		}
		if strings.HasPrefix(raw, "## ") {
			section = raw[3:]
			continue
		}
		label, rest := "", raw
		if m := labelRe.FindStringSubmatch(raw); m != nil {
			label, rest = m[1], m[2]
		}
		if len(rest) < 1 {
			return nil, fmt.Errorf("line %d: %q", no, raw)
		}
		dir := rest[0]
		text := strings.TrimPrefix(rest[1:], " ")
		if dir != '>' && dir != '<' && dir != '#' {
			return nil, fmt.Errorf("line %d: unknown direction in %q", no, raw)
		}
		line := goldenLine{No: no, Section: section, Label: label, Dir: dir, Text: text}
		g.Lines = append(g.Lines, line)
		if dir == '#' {
			if p, ok := strings.CutPrefix(text, "server: profile "); ok && g.Profile == "" {
				g.Profile = strings.Fields(p)[0]
			}
			if ex := current[label]; ex != nil {
				ex.Events = append(ex.Events, line)
			}
			continue
		}
		ex := current[label]
		switch {
		case dir == '>' && strings.HasPrefix(text, "HTTP "):
			parts := strings.SplitN(text, " ", 3)
			if len(parts) != 3 {
				return nil, fmt.Errorf("line %d: bad request line %q", no, text)
			}
			ex = &exchange{Label: label, Section: section, Line: no, Method: parts[1], Target: parts[2]}
			g.Exchanges = append(g.Exchanges, ex)
			current[label] = ex
		case ex == nil:
			return nil, fmt.Errorf("line %d: %q before any request on [%s]", no, text, label)
		case strings.HasPrefix(text, "tcp: ") || strings.HasPrefix(text, "ws "):
			ex.Events = append(ex.Events, line)
		case dir == '<' && strings.HasPrefix(text, "HTTP/1.1 "):
			st, err := strconv.Atoi(strings.SplitN(text, " ", 3)[1])
			if err != nil {
				return nil, fmt.Errorf("line %d: bad status %q", no, text)
			}
			ex.Resp = &gResponse{StatusLine: text, Status: st}
			ex.RespLine = no
		case dir == '>' && ex.Resp == nil && strings.HasPrefix(text, "(standard upgrade request headers"):
			ex.StdUpgrade = true
		case dir == '<' && ex.Resp != nil && strings.HasPrefix(text, "(standard 101 headers"):
			ex.Resp.Std101 = true
		case strings.HasPrefix(text, "body") && (dir == '>' && ex.Resp == nil || dir == '<' && ex.Resp != nil && ex.Resp.Body == nil):
			if m := encodedRe.FindStringSubmatch(text); m != nil {
				pendingEncoding[label] = m[1]
				continue
			}
			b, err := parseBody(text)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", no, err)
			}
			if dir == '>' {
				ex.ReqBody = b
			} else {
				ex.Resp.Body = b
				ex.Resp.Encoding = pendingEncoding[label]
				delete(pendingEncoding, label)
			}
		case dir == '<' && ex.Resp != nil && strings.HasPrefix(text, "raw bytes after the 101"):
			_, v, _ := strings.Cut(text, ": ")
			ex.Resp.RawAfter = &gBody{Text: v, Len: -1}
		case dir == '>' && ex.Resp == nil && ex.ReqBody == nil && headerRe.MatchString(text):
			m := headerRe.FindStringSubmatch(text)
			ex.ReqHeaders = append(ex.ReqHeaders, hdr{m[1], m[2]})
		case dir == '<' && ex.Resp != nil && ex.Resp.Body == nil && !ex.Resp.Std101 && headerRe.MatchString(text):
			m := headerRe.FindStringSubmatch(text)
			ex.Resp.Headers = append(ex.Resp.Headers, hdr{m[1], m[2]})
		case dir == '<' && ex.Resp != nil && ex.Resp.Std101 && headerRe.MatchString(text):
			// A header shown after the standard-101 placeholder (e.g. CORS).
			m := headerRe.FindStringSubmatch(text)
			ex.Resp.Headers = append(ex.Resp.Headers, hdr{m[1], m[2]})
		default:
			ex.Events = append(ex.Events, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if g.Profile == "" {
		return nil, fmt.Errorf("no '# server: profile' line")
	}
	return g, nil
}

func parseBody(text string) (*gBody, error) {
	if text == "body: (empty)" {
		return &gBody{Empty: true, Len: -1}, nil
	}
	if v, ok := strings.CutPrefix(text, "body: "); ok {
		return &gBody{Text: v, Len: -1}, nil
	}
	if m := abbrevRe.FindStringSubmatch(text); m != nil {
		return abbreviated(m[1], m[2])
	}
	return nil, fmt.Errorf("bad body line %q", text)
}

func abbreviated(n, v string) (*gBody, error) {
	l, _ := strconv.Atoi(n)
	i := strings.LastIndex(v, "...")
	if i < 0 {
		return nil, fmt.Errorf("abbreviated body without '...': %q", v)
	}
	return &gBody{Len: l, Prefix: v[:i], Suffix: v[i+3:]}, nil
}

// section returns the exchanges of a section ("" is the part before any ## title).
func (g *goldenFile) section(t testing.TB, title string) []*exchange {
	t.Helper()
	var out []*exchange
	for _, ex := range g.Exchanges {
		if ex.Section == title {
			out = append(out, ex)
		}
	}
	if len(out) == 0 {
		t.Fatalf("golden %s: no exchanges in section %q", g.Name, title)
	}
	return out
}

// wsEvent is a WebSocket line of a capture.
type wsEvent struct {
	Dir         byte
	Kind        string // text, binary, close, pong, raw
	Body        *gBody // text: rendered; binary/pong: hex
	FrameHeader []byte
	CloseCode   int // -1: no status code
	Raw         []byte
}

// wsEvents returns the WebSocket lines of an exchange, in order.
func (ex *exchange) wsEvents(t testing.TB) []wsEvent {
	t.Helper()
	var out []wsEvent
	for _, l := range ex.Events {
		rest, ok := strings.CutPrefix(l.Text, "ws ")
		if !ok || l.Dir == '#' {
			continue
		}
		kind, v, _ := strings.Cut(rest, ":")
		ev := wsEvent{Dir: l.Dir, CloseCode: -1}
		if k, n, ok := strings.Cut(kind, " "); ok { // "text (201 bytes)"
			kind = k
			v = n + ":" + v
		} else {
			v = strings.TrimPrefix(v, " ")
		}
		ev.Kind = kind
		if m := frameHdrRe.FindStringSubmatch(v); m != nil {
			v = m[1]
			h, err := hex.DecodeString(strings.ReplaceAll(m[2], " ", ""))
			if err != nil {
				t.Fatalf("line %d: frame header: %v", l.No, err)
			}
			ev.FrameHeader = h
		}
		switch kind {
		case "text", "binary", "pong":
			if m := wsAbbrevRe.FindStringSubmatch(v); m != nil {
				b, err := abbreviated(m[1], strings.TrimPrefix(m[2], " "))
				if err != nil {
					t.Fatalf("line %d: %v", l.No, err)
				}
				ev.Body = b
			} else {
				ev.Body = &gBody{Text: v, Len: -1}
			}
		case "close":
			if m := closeCodeRe.FindStringSubmatch(v); m != nil {
				ev.CloseCode, _ = strconv.Atoi(m[1])
			} else if v != "(no status code)" {
				t.Fatalf("line %d: close %q", l.No, v)
			}
		case "raw":
			// "raw bytes: 81 83 37 ...   (comment)"
			hexPart := strings.TrimPrefix(v, "bytes: ")
			if i := strings.Index(hexPart, "  "); i >= 0 {
				hexPart = hexPart[:i]
			}
			b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(hexPart), " ", ""))
			if err != nil {
				t.Fatalf("line %d: raw bytes: %v", l.No, err)
			}
			ev.Raw = b
		default:
			t.Fatalf("line %d: unknown ws event %q", l.No, l.Text)
		}
		out = append(out, ev)
	}
	return out
}

// ---- normalisation ----

// normaliser maps real ids to the capture's placeholders and back.
type normaliser struct {
	addr    string
	toReal  map[string]string // "<SID>" -> real
	rewrite [][2]string       // golden path -> live path
}

func newNormaliser(addr string) *normaliser {
	return &normaliser{addr: addr, toReal: map[string]string{}, rewrite: [][2]string{{"/socket.io/", "/engine.io/"}}}
}

func (n *normaliser) bind(placeholder, real string) { n.toReal[placeholder] = real }

// fill turns a golden request target or header value into a live one.
func (n *normaliser) fill(s string) string {
	s = strings.ReplaceAll(s, "<HOST>", n.addr)
	for p, r := range n.toReal {
		s = strings.ReplaceAll(s, p, r)
	}
	for _, rw := range n.rewrite {
		s = strings.Replace(s, rw[0], rw[1], 1)
	}
	return s
}

var placeholderRe = regexp.MustCompile(`<(?:SID|SOCKET_ID|PID|OFFSET)\d*>`)

// learn aligns a captured rendering that contains placeholders with the
// live rendering and binds the placeholders it has not seen yet. It
// reports whether the two match (the caller compares anyway, with a
// better message).
func (n *normaliser) learn(golden, actual string) bool {
	locs := placeholderRe.FindAllStringIndex(golden, -1)
	if len(locs) == 0 {
		return golden == actual
	}
	var re strings.Builder
	re.WriteString("^")
	var names []string
	prev := 0
	for _, l := range locs {
		re.WriteString(regexp.QuoteMeta(golden[prev:l[0]]))
		name := golden[l[0]:l[1]]
		if real, ok := n.toReal[name]; ok {
			re.WriteString(regexp.QuoteMeta(real))
		} else {
			re.WriteString(`([A-Za-z0-9_-]+)`)
			names = append(names, name)
		}
		prev = l[1]
	}
	re.WriteString(regexp.QuoteMeta(golden[prev:]))
	re.WriteString("$")
	m := regexp.MustCompile(re.String()).FindStringSubmatch(actual)
	if m == nil {
		return false
	}
	for i, name := range names {
		if old, ok := n.toReal[name]; ok && old != m[i+1] {
			return false // the same placeholder twice with different values
		}
		n.toReal[name] = m[i+1]
	}
	return true
}

// norm replaces real ids with their placeholders.
func (n *normaliser) norm(s string) string {
	keys := make([]string, 0, len(n.toReal))
	for p := range n.toReal {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	for _, p := range keys {
		if r := n.toReal[p]; r != "" {
			s = strings.ReplaceAll(s, r, p)
		}
	}
	return s
}

// ---- comparison ----

// notes collects reference deviations that do not fail a test (reason
// phrases, header letter case, framing choices); printed with -v.
func note(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Logf("NOTE (not a failure): "+format, args...)
}

// keyHeaders are compared value for value with the capture (any letter case).
var keyHeaders = []string{
	"Content-Type", "Cache-Control", "Content-Encoding",
	"Upgrade", "Sec-WebSocket-Accept", "Sec-WebSocket-Extensions", "Set-Cookie",
}

// corsHeaders are compared only for captures made with CORS configured.
var corsHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Allow-Credentials", "Vary",
}

// compareResponse checks a live response against a captured one: status
// code, body (after id normalisation and decompression), the key headers,
// Content-Length when the capture has one, and Connection: close on raw
// refusals. Reason phrase, header case and chunked-vs-length framing are
// reported as notes.
func compareResponse(t testing.TB, what string, got *rawResponse, want *gResponse, n *normaliser, profile string) {
	t.Helper()
	if want == nil {
		t.Fatalf("%s: capture has no response", what)
	}
	if got.Status != want.Status {
		t.Errorf("%s: status %q, want %q\ngot:\n%s", what, got.StatusLine, want.StatusLine, got)
		return
	}
	if got.StatusLine != want.StatusLine {
		note(t, "%s: status line %q, reference %q", what, got.StatusLine, want.StatusLine)
	}
	checked := keyHeaders
	if profile == "ref" || profile == "cors" {
		checked = append(slices.Clone(keyHeaders), corsHeaders...)
	}
	if want.Std101 {
		want = &gResponse{Headers: append([]hdr{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", wsAccept}}, want.Headers...)}
	}
	wantH := &rawResponse{Headers: want.Headers}
	for _, name := range checked {
		wv, wok := wantH.Get(name)
		gv, gok := got.Get(name)
		if !wok && gok && (name == "Content-Type" || name == "Cache-Control") {
			note(t, "%s: extra header %s: %s (the reference sends none here)", what, name, gv)
			continue
		}
		if wok != gok || n.norm(gv) != wv {
			t.Errorf("%s: header %s = %q (present %v), want %q (present %v)\ngot:\n%s", what, name, gv, gok, wv, wok, got)
		}
	}
	for _, h := range want.Headers {
		for _, g := range got.Headers {
			if strings.EqualFold(g.Name, h.Name) && g.Name != h.Name && slices.Contains(checked, canonical(h.Name)) {
				note(t, "%s: header name %q, reference writes %q", what, g.Name, h.Name)
			}
		}
	}
	if wc, ok := wantH.Get("Connection"); ok && !strings.EqualFold(wc, "keep-alive") {
		if gc, _ := got.Get("Connection"); !strings.EqualFold(gc, wc) {
			t.Errorf("%s: Connection %q, want %q", what, gc, wc)
		}
	}
	body := got.Body
	if want.Encoding != "" || got.hasEncoding() {
		d, err := got.Decoded()
		if err != nil {
			t.Errorf("%s: decode body: %v", what, err)
		}
		body = d
		if ge, _ := got.Get("Content-Encoding"); !strings.EqualFold(ge, want.Encoding) {
			t.Errorf("%s: Content-Encoding %q, want %q", what, ge, want.Encoding)
		}
	}
	if wl, ok := wantH.Get("Content-Length"); ok {
		if gl, gok := got.Get("Content-Length"); !gok || gl != wl {
			t.Errorf("%s: Content-Length %q (present %v), want %s", what, gl, gok, wl)
		}
	} else if te, _ := wantH.Get("Transfer-Encoding"); te == "chunked" && !got.Chunked {
		note(t, "%s: body sent with Content-Length, reference uses chunked encoding", what)
	}
	if want.Body == nil {
		if want.Status != 101 && len(body) > 0 {
			t.Errorf("%s: unexpected body %q", what, clip(render(body), 200))
		}
		return
	}
	if r := n.norm(render(body)); !want.Body.matches(r, len(body)) {
		t.Errorf("%s: body\n got: %s (%d bytes)\nwant: %s", what, clip(r, 400), len(body), want.Body)
	}
}

func (r *rawResponse) hasEncoding() bool {
	_, ok := r.Get("Content-Encoding")
	return ok
}

func canonical(name string) string {
	for _, k := range append(slices.Clone(keyHeaders), corsHeaders...) {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

// replayRequest sends a captured request (ids filled in) on rc; body
// overrides an abbreviated captured body.
func replayRequest(t testing.TB, rc *rawConn, ex *exchange, n *normaliser, body []byte) {
	t.Helper()
	var headers []hdr
	if ex.StdUpgrade {
		headers = wsUpgradeHeaders
	}
	for _, h := range ex.ReqHeaders {
		if strings.EqualFold(h.Name, "Host") {
			continue // written by buildRequest
		}
		headers = append(headers, hdr{h.Name, n.fill(h.Value)})
	}
	if body == nil && ex.ReqBody != nil {
		b, ok := ex.ReqBody.Bytes()
		if !ok {
			t.Fatalf("golden line %d: abbreviated request body, the test must supply it", ex.Line)
		}
		body = b
		if body == nil {
			body = []byte{}
		}
	}
	rc.write(buildRequest(ex.Method, n.fill(ex.Target), rc.addr, headers, body))
}

// TestGoldenParse checks that every Engine.IO capture parses and that its
// exchanges are complete, so a malformed capture fails loudly here rather
// than as a confusing replay failure.
func TestGoldenParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(env.goldenDir, "eio-*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden captures in %s (%v)", env.goldenDir, err)
	}
	for _, f := range files {
		g := loadGolden(t, filepath.Base(f))
		if len(g.Exchanges) == 0 {
			t.Errorf("%s: no exchanges", g.Name)
		}
		for _, ex := range g.Exchanges {
			if ex.Resp != nil && ex.Resp.Body == nil && ex.Resp.Status != 101 {
				t.Errorf("%s line %d: response without body line", g.Name, ex.Line)
			}
			ex.wsEvents(t)
		}
	}
	// Round trip of the byte notation.
	for _, s := range []string{`4caf\xc3\xa9`, `a\\b`, `\x1e`, `plain`} {
		if got := render(golden.Unrender(s)); got != s {
			t.Errorf("render(golden.Unrender(%q)) = %q", s, got)
		}
	}
}
