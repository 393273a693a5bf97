package loop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/wsframe"
)

type echo struct{}

func (echo) OnMessage(s *eio.Session, data []byte, binary bool) {
	if string(data) == "boom" {
		panic("boom") // TestHandlerPanicClosesOneConn
	}
	_ = s.Send(data, binary)
}
func (echo) OnClose(*eio.Session, string) {}

// startServer runs an echo Engine.IO server on a free port.
func startServer(t *testing.T, cfg Config, eo *eio.Options) (*Server, string) {
	t.Helper()
	es := eio.NewServer(eo)
	es.OnConnection(func(s *eio.Session) { s.SetHandler(echo{}) })
	cfg.Addr = "127.0.0.1:0"
	cfg.Routes = []Route{{Prefix: "/engine.io/", Server: es}}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		es.Close()
		_ = srv.Shutdown(context.Background())
		<-done
	})
	return srv, srv.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

const handshake = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"

func TestSplitAndPipelinedRequests(t *testing.T) {
	_, addr := startServer(t, Config{}, nil)
	c := dial(t, addr)
	// Two pipelined handshakes, written one byte at a time.
	req := []byte(handshake + handshake)
	for i := range req {
		if _, err := c.Write(req[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	br := bufio.NewReader(c)
	for i := 0; i < 2; i++ {
		resp, body := readResponse(t, br)
		if resp.StatusCode != 200 || !strings.HasPrefix(body, `0{"sid":"`) {
			t.Fatalf("response %d: %d %q", i, resp.StatusCode, body)
		}
	}
}

func TestSlowHeadersDropped(t *testing.T) {
	_, addr := startServer(t, Config{HeaderTimeout: 200 * time.Millisecond}, nil)
	c := dial(t, addr)
	if _, err := c.Write([]byte("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// As Node's server: 408 and Connection: close, then the close.
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 408 || !resp.Close {
		t.Fatalf("slow headers: %v %v, want 408", resp, err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("expected the connection to be closed")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("closed after %v", d)
	}
	// A connection that sent nothing is closed without an answer.
	c2 := dial(t, addr)
	if n, err := c2.Read(make([]byte, 1)); err == nil || n > 0 {
		t.Fatalf("idle connection: read %d, %v; want a close without answer", n, err)
	}
}

func TestOversizedHeaderAndBody(t *testing.T) {
	_, addr := startServer(t, Config{MaxHeaderBytes: 1024}, &eio.Options{MaxPayload: 1000})
	c := dial(t, addr)
	fmt.Fprintf(c, "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 4000))
	resp, _ := readResponse(t, bufio.NewReader(c))
	if resp.StatusCode != 431 {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
	c2 := dial(t, addr)
	fmt.Fprintf(c2, "POST /engine.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
	resp, _ = readResponse(t, bufio.NewReader(c2))
	if resp.StatusCode != 413 {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

func TestNotFoundAndFallback(t *testing.T) {
	_, addr := startServer(t, Config{}, nil)
	c := dial(t, addr)
	fmt.Fprint(c, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, _ := readResponse(t, bufio.NewReader(c))
	if resp.StatusCode != 404 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	fb := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s %s", r.Method, r.URL.Query().Get("q"))
	})
	_, addr2 := startServer(t, Config{Fallback: fb}, nil)
	c2 := dial(t, addr2)
	fmt.Fprint(c2, "GET /health?q=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /health?q=2 HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c2)
	for _, want := range []string{"hello GET 1", "hello GET 2"} {
		resp, body := readResponse(t, br)
		if resp.StatusCode != 200 || body != want {
			t.Fatalf("got %d %q, want %q", resp.StatusCode, body, want)
		}
	}
}

// wsDial opens a direct Engine.IO WebSocket and reads the open packet.
func wsDial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := dial(t, addr)
	fmt.Fprint(c, "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept %q", got)
	}
	op, p := readFrame(t, br)
	if op != ws.OpText || !bytes.HasPrefix(p, []byte(`0{"sid":"`)) {
		t.Fatalf("open packet: %v %q", op, p)
	}
	return c, br
}

func readFrame(t *testing.T, br *bufio.Reader) (ws.OpCode, []byte) {
	t.Helper()
	h, err := ws.ReadHeader(br)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatal(err)
	}
	return h.OpCode, p
}

var testMask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

func TestWebSocketEcho(t *testing.T) {
	_, addr := startServer(t, Config{}, nil)
	c, br := wsDial(t, addr)
	c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("4hello"), testMask))
	c.Write(wsframe.AppendClientFrame(nil, ws.OpBinary, []byte{1, 2, 3}, testMask))
	if op, p := readFrame(t, br); op != ws.OpText || string(p) != "4hello" {
		t.Fatalf("%v %q", op, p)
	}
	if op, p := readFrame(t, br); op != ws.OpBinary || !bytes.Equal(p, []byte{1, 2, 3}) {
		t.Fatalf("%v %q", op, p)
	}
}

func TestWebSocketProtocolErrors(t *testing.T) {
	_, addr := startServer(t, Config{}, &eio.Options{MaxPayload: 1000})
	huge := []byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(huge[2:], 1<<40)
	cases := []struct {
		name  string
		frame []byte
		code  ws.StatusCode
	}{
		{"unmasked", wsframe.AppendFrame(nil, ws.OpText, []byte("4x")), ws.StatusProtocolError},
		{"bad opcode", append([]byte{0x83, 0x80}, testMask[:]...), ws.StatusProtocolError},
		{"rsv1", append([]byte{0xc1, 0x80}, testMask[:]...), ws.StatusProtocolError},
		{"too big", wsframe.AppendClientFrame(nil, ws.OpText, bytes.Repeat([]byte("a"), 1001), testMask), ws.StatusMessageTooBig},
		{"huge declared", append(huge, testMask[:]...), ws.StatusProtocolError},
		{"bad utf8", wsframe.AppendClientFrame(nil, ws.OpText, []byte{'4', 0xff}, testMask), ws.StatusInvalidFramePayloadData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, br := wsDial(t, addr)
			c.Write(tc.frame)
			op, p := readFrame(t, br)
			if op != ws.OpClose {
				t.Fatalf("got %v %q, want close", op, p)
			}
			code, _, _ := wsframe.ParseClose(p)
			if tc.name == "huge declared" && code == ws.StatusMessageTooBig {
				return // either code is a faithful answer to a 2^40-byte frame
			}
			if code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
			if _, err := br.ReadByte(); err == nil {
				t.Fatal("connection still open after close frame")
			}
		})
	}
}

// TestHostileBytes throws random bytes at HTTP and WebSocket connections:
// the server must close them (or answer an error) and keep serving others.
func TestHostileBytes(t *testing.T) {
	_, addr := startServer(t, Config{HeaderTimeout: 300 * time.Millisecond}, &eio.Options{MaxPayload: 4096})
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 40; i++ {
		junk := make([]byte, 1+rng.Intn(3000))
		rng.Read(junk)
		var c net.Conn
		if i%2 == 0 {
			c = dial(t, addr)
		} else {
			c, _ = wsDial(t, addr)
		}
		c.Write(junk)
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("round %d: connection not closed by the server: %v", i, err)
		}
	}
	// Still healthy.
	c, br := wsDial(t, addr)
	c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("4ok"), testMask))
	if _, p := readFrame(t, br); string(p) != "4ok" {
		t.Fatalf("%q", p)
	}
}

type flood struct{}

func (flood) OnMessage(s *eio.Session, data []byte, binary bool) {
	chunk := bytes.Repeat([]byte("x"), 1024)
	for i := 0; i < 20000; i++ { // 20 MiB, far past MaxOutbound and socket buffers
		if s.Send(chunk, false) != nil {
			return
		}
	}
}
func (flood) OnClose(*eio.Session, string) {}

// TestSlowConsumerClosed: a client that does not read is disconnected once
// its pending output passes MaxOutbound; the server does not buffer 20 MiB.
func TestSlowConsumerClosed(t *testing.T) {
	es := eio.NewServer(nil)
	closed := make(chan string, 1)
	es.OnConnection(func(s *eio.Session) { s.SetHandler(floodCloser{closed}) })
	srv, err := New(Config{Addr: "127.0.0.1:0", Routes: []Route{{Prefix: "/engine.io/", Server: es}}, MaxOutbound: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	<-srv.Ready()
	t.Cleanup(func() { es.Close(); _ = srv.Shutdown(context.Background()) })
	c, _ := wsDial(t, srv.Addr().String())
	c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("4go"), testMask))
	select {
	case reason := <-closed:
		if reason != eio.ReasonSlowConsumer {
			t.Fatalf("reason %q, want %q", reason, eio.ReasonSlowConsumer)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("slow consumer not disconnected")
	}
}

type floodCloser struct{ closed chan string }

func (f floodCloser) OnMessage(s *eio.Session, data []byte, binary bool) {
	flood{}.OnMessage(s, data, binary)
}
func (f floodCloser) OnClose(_ *eio.Session, reason string) { f.closed <- reason }

// A client that gets 413 while it still writes the body of a request with
// "Connection: close" must be able to finish writing and read the answer:
// closing at once would reset its writes (the official client then reports
// "xhr post error (0)" instead of 413).
func TestRefusedBodyLingers(t *testing.T) {
	_, addr := startServer(t, Config{}, &eio.Options{MaxPayload: 1000})
	c := dial(t, addr)
	const size = 4 << 20
	fmt.Fprintf(c, "POST /engine.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n", size)
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	if _, err := c.Write(chunk); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the 413 is sent and the server is done with the request
	for sent := len(chunk); sent < size; sent += len(chunk) {
		if _, err := c.Write(chunk); err != nil {
			t.Fatalf("writing the body after %d bytes: %v", sent, err)
		}
	}
	resp, _ := readResponse(t, bufio.NewReader(c))
	if resp.StatusCode != 413 {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

// A panic in an application handler run by the event loop closes that
// connection only: the loop, and the other connections, go on.
func TestHandlerPanicClosesOneConn(t *testing.T) {
	_, addr := startServer(t, Config{}, &eio.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	good, gbr := wsDial(t, addr)
	bad, bbr := wsDial(t, addr)
	bad.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("4boom"), testMask))
	if _, err := ws.ReadHeader(bbr); err == nil {
		t.Fatal("the connection whose handler panicked is still open")
	}
	good.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("4still"), testMask))
	if op, p := readFrame(t, gbr); op != ws.OpText || string(p) != "4still" {
		t.Fatalf("the other connection: %v %q", op, p)
	}
}
