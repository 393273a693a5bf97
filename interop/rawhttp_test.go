package interop

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A raw HTTP/1.1 client over net.Conn: requests are written byte for byte
// (like the client that captured the golden files) and responses are read
// without normalisation, so header order and letter case stay visible.

const ioTimeout = 5 * time.Second

// hdr is one header line.
type hdr struct{ Name, Value string }

type rawResponse struct {
	StatusLine string // "HTTP/1.1 200 OK"
	Status     int
	Reason     string
	Headers    []hdr  // in wire order, case as sent
	Body       []byte // de-chunked, not decompressed
	Chunked    bool
}

// Get returns the value of the first header called name (any case).
func (r *rawResponse) Get(name string) (string, bool) {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// Decoded returns the body with any Content-Encoding removed.
func (r *rawResponse) Decoded() ([]byte, error) {
	enc, _ := r.Get("Content-Encoding")
	switch strings.ToLower(enc) {
	case "":
		return r.Body, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(r.Body))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case "deflate":
		// engine.io uses zlib.createDeflate: a zlib stream.
		return inflateZlibOrRaw(r.Body)
	}
	return nil, fmt.Errorf("unknown Content-Encoding %q", enc)
}

func inflateZlibOrRaw(b []byte) ([]byte, error) {
	if len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 {
		out, err := io.ReadAll(flate.NewReader(bytes.NewReader(b[2:])))
		if err == nil || errors.Is(err, io.ErrUnexpectedEOF) && len(out) > 0 {
			return out, nil
		}
	}
	return io.ReadAll(flate.NewReader(bytes.NewReader(b)))
}

func (r *rawResponse) String() string {
	var sb strings.Builder
	sb.WriteString(r.StatusLine)
	for _, h := range r.Headers {
		fmt.Fprintf(&sb, "\n%s: %s", h.Name, h.Value)
	}
	fmt.Fprintf(&sb, "\nbody: %s", render(r.Body))
	return sb.String()
}

// rawConn is one TCP connection to a target.
type rawConn struct {
	t    testing.TB
	addr string
	c    net.Conn
	br   *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, addr: addr, c: c, br: bufio.NewReaderSize(c, 64<<10)}
}

// buildRequest renders a request like the golden client: the request line,
// Host, the given headers in order, Content-Length when there is a body.
func buildRequest(method, target, host string, headers []hdr, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, host)
	hasLen := false
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Content-Length") {
			hasLen = true
		}
		fmt.Fprintf(&b, "%s: %s\r\n", h.Name, h.Value)
	}
	if body != nil && !hasLen {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

func (rc *rawConn) write(p []byte) {
	rc.t.Helper()
	rc.c.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := rc.c.Write(p); err != nil {
		rc.t.Fatalf("write to %s: %v", rc.addr, err)
	}
}

// send writes one request.
func (rc *rawConn) send(method, target string, headers []hdr, body []byte) {
	rc.t.Helper()
	rc.write(buildRequest(method, target, rc.addr, headers, body))
}

// readResponse reads one response within timeout.
func (rc *rawConn) readResponse(timeout time.Duration) (*rawResponse, error) {
	rc.c.SetReadDeadline(time.Now().Add(timeout))
	defer rc.c.SetReadDeadline(time.Time{})
	return readResponse(rc.br)
}

// mustResponse reads one response or fails.
func (rc *rawConn) mustResponse(timeout time.Duration) *rawResponse {
	rc.t.Helper()
	r, err := rc.readResponse(timeout)
	if err != nil {
		rc.t.Fatalf("read response from %s: %v", rc.addr, err)
	}
	return r
}

// expectPending checks that nothing arrives on the connection for d.
func (rc *rawConn) expectPending(d time.Duration, what string) {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(d))
	defer rc.c.SetReadDeadline(time.Time{})
	if _, err := rc.br.Peek(1); err == nil {
		b, _ := rc.br.Peek(rc.br.Buffered())
		rc.t.Fatalf("%s: expected no data for %v, got %q", what, d, clip(string(b), 300))
	} else if !isTimeout(err) {
		rc.t.Fatalf("%s: expected no data for %v, connection ended: %v", what, d, err)
	}
}

// expectClosed waits for the server to close the connection (EOF or reset)
// and returns whatever bytes arrived before.
func (rc *rawConn) expectClosed(timeout time.Duration, what string) []byte {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(timeout))
	defer rc.c.SetReadDeadline(time.Time{})
	rest, err := io.ReadAll(rc.br)
	if err != nil && !isReset(err) {
		rc.t.Fatalf("%s: connection not closed by the server within %v: %v (got %q)", what, timeout, err, clip(string(rest), 300))
	}
	return rest
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func readResponse(br *bufio.Reader) (*rawResponse, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("status line: %w", err)
	}
	r := &rawResponse{StatusLine: line}
	parts := strings.SplitN(line, " ", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "HTTP/1.") {
		return nil, fmt.Errorf("bad status line %q", line)
	}
	if r.Status, err = strconv.Atoi(parts[1]); err != nil {
		return nil, fmt.Errorf("bad status line %q", line)
	}
	if len(parts) == 3 {
		r.Reason = parts[2]
	}
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, fmt.Errorf("headers: %w", err)
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", line)
		}
		r.Headers = append(r.Headers, hdr{name, strings.TrimSpace(value)})
	}
	if r.Status == 101 || r.Status == 204 || r.Status == 304 {
		return r, nil
	}
	if te, _ := r.Get("Transfer-Encoding"); strings.EqualFold(te, "chunked") {
		r.Chunked = true
		for {
			line, err := readLine(br)
			if err != nil {
				return nil, fmt.Errorf("chunk size: %w", err)
			}
			size, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(line, ";", 2)[0]), 16, 64)
			if err != nil {
				return nil, fmt.Errorf("bad chunk size %q", line)
			}
			if size == 0 {
				for { // trailers
					l, err := readLine(br)
					if err != nil {
						return nil, fmt.Errorf("trailer: %w", err)
					}
					if l == "" {
						return r, nil
					}
				}
			}
			chunk := make([]byte, size)
			if _, err := io.ReadFull(br, chunk); err != nil {
				return nil, fmt.Errorf("chunk: %w", err)
			}
			r.Body = append(r.Body, chunk...)
			if l, err := readLine(br); err != nil || l != "" {
				return nil, fmt.Errorf("chunk terminator %q: %v", l, err)
			}
		}
	}
	if cl, ok := r.Get("Content-Length"); ok {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad Content-Length %q", cl)
		}
		r.Body = make([]byte, n)
		if _, err := io.ReadFull(br, r.Body); err != nil {
			return nil, fmt.Errorf("body (%d bytes): %w", n, err)
		}
		return r, nil
	}
	// Neither: the body runs to the end of the connection.
	body, err := io.ReadAll(br)
	r.Body = body
	if err != nil && !isReset(err) {
		return nil, fmt.Errorf("body to EOF: %w", err)
	}
	return r, nil
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

// ---- one-shot helpers (one request per TCP connection, like the golden client) ----

var postHeaders = []hdr{{"Content-Type", "text/plain;charset=UTF-8"}}

func eioPath(query string) string { return "/engine.io/?" + query }

// do sends one request on a fresh connection and reads the response.
func (tg *Target) do(t testing.TB, method, target string, headers []hdr, body []byte) *rawResponse {
	t.Helper()
	rc := dialRaw(t, tg.Addr)
	rc.send(method, target, headers, body)
	r := rc.mustResponse(ioTimeout)
	rc.c.Close()
	return r
}

func (tg *Target) get(t testing.TB, target string, headers ...hdr) *rawResponse {
	t.Helper()
	return tg.do(t, "GET", target, headers, nil)
}

func (tg *Target) post(t testing.TB, target string, body string, headers ...hdr) *rawResponse {
	t.Helper()
	return tg.do(t, "POST", target, append(append([]hdr{}, postHeaders...), headers...), []byte(body))
}

// openPacket is the JSON of the Engine.IO open packet.
type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

func parseOpen(t testing.TB, body string) openPacket {
	t.Helper()
	if !strings.HasPrefix(body, "0") {
		t.Fatalf("open packet expected, got %q", body)
	}
	var op openPacket
	dec := json.NewDecoder(strings.NewReader(body[1:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&op); err != nil {
		t.Fatalf("open packet %q: %v", body, err)
	}
	return op
}

// handshake opens a polling session and returns its sid.
func (tg *Target) handshake(t testing.TB) string {
	t.Helper()
	r := tg.get(t, eioPath("EIO=4&transport=polling"))
	if r.Status != 200 {
		t.Fatalf("%s: handshake: %s", tg.Kind, r)
	}
	return parseOpen(t, string(r.Body)).SID
}

func pollPath(sid string) string { return eioPath("EIO=4&transport=polling&sid=" + sid) }

// poll sends a GET on the session and returns the response.
func (tg *Target) poll(t testing.TB, sid string) *rawResponse {
	t.Helper()
	return tg.get(t, pollPath(sid))
}

// push POSTs a payload on the session and expects "ok".
func (tg *Target) push(t testing.TB, sid, payload string) {
	t.Helper()
	r := tg.post(t, pollPath(sid), payload)
	if r.Status != 200 || string(r.Body) != "ok" {
		t.Fatalf("%s: POST %q: %s", tg.Kind, clip(payload, 80), r)
	}
}

// expectPoll reads a GET answer (rc: a GET already sent, or nil to send
// one), drops heartbeat pings from the payload (answering them with a
// pong) and polls again while only pings came, then compares the rest.
func (tg *Target) expectPoll(t testing.TB, sid string, rc *rawConn, want string) {
	t.Helper()
	for i := 0; i < 5; i++ {
		if rc == nil {
			rc = tg.startPoll(t, sid)
		}
		r := rc.mustResponse(ioTimeout)
		rc = nil
		if r.Status != 200 {
			t.Fatalf("%s: GET: %s, want 200 %s", tg.Kind, r, render([]byte(want)))
		}
		var kept []string
		pinged := false
		for _, p := range strings.Split(string(r.Body), "\x1e") {
			if p == "2" {
				pinged = true
				continue
			}
			kept = append(kept, p)
		}
		if pinged {
			tg.push(t, sid, "3")
		}
		if len(kept) == 0 {
			continue
		}
		if got := strings.Join(kept, "\x1e"); got != want {
			t.Fatalf("%s: GET body %s, want %s", tg.Kind, clip(render([]byte(got)), 300), clip(render([]byte(want)), 300))
		}
		return
	}
	t.Fatalf("%s: only pings after 5 GETs, want %s", tg.Kind, render([]byte(want)))
}

// startPoll sends a GET on its own connection without waiting for the answer.
func (tg *Target) startPoll(t testing.TB, sid string) *rawConn {
	t.Helper()
	rc := dialRaw(t, tg.Addr)
	rc.send("GET", pollPath(sid), nil, nil)
	return rc
}

// expectStatus checks the status code and, if body is not "-", the exact body.
func expectStatus(t testing.TB, what string, r *rawResponse, status int, body string) {
	t.Helper()
	if r.Status != status || body != "-" && string(r.Body) != body {
		t.Errorf("%s: got %d %s, want %d %s\n%s", what, r.Status, render(r.Body), status, render([]byte(body)), r)
	}
}

// expectEIOError checks an Engine.IO HTTP error: 400 application/json {"code":N,"message":"..."}.
func expectEIOError(t testing.TB, what string, r *rawResponse, code int, message string) {
	t.Helper()
	want := fmt.Sprintf(`{"code":%d,"message":%q}`, code, message)
	expectStatus(t, what, r, 400, want)
	if ct, _ := r.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
}

// ---- rendering (the golden files' byte notation) ----

// render writes bytes as the golden files do: printable ASCII as is, `\` as
// `\\`, every other byte as \xHH.
func render(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}
