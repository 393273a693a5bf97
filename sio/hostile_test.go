package sio_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/wsframe"
)

// TestHostileMatrix: every kind of bad input a peer can send, each with the
// answer it must get (status, close code, CONNECT_ERROR, disconnect), and
// after each a health check: a fresh client connects and gets its echo.
// At the end the server's heap and goroutines are back near the baseline.
// docs/limits.md lists the limits these cases hit.
func TestHostileMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("opens many connections")
	}
	srv := sio.NewServer(&sio.Options{
		EIO:  eio.Options{MaxPayload: 100_000, PingInterval: 2 * time.Second, PingTimeout: time.Second},
		Loop: loop.Config{HeaderTimeout: 300 * time.Millisecond, MaxPartialInput: 300 << 10},
	})
	srv.OnConnection(func(s *sio.Socket) {
		s.On("echo", func(e *sio.Event) { _ = s.Emit("echo", &e.Args) })
	})
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatal(err)
	}
	defer func() { _ = srv.Shutdown(t.Context()); <-done }()
	addr := srv.Addr().String()

	healthy := func(t *testing.T) {
		t.Helper()
		c, br := hwsOpen(t, addr)
		defer c.Close()
		c.Write(hframe(ws.OpText, []byte(`42["echo","still here"]`)))
		for {
			op, p := hreadFrame(t, br)
			if op == ws.OpText && string(p) == `42["echo","still here"]` {
				return
			}
			if op != ws.OpText {
				t.Fatalf("health check: frame %v %q", op, p)
			}
		}
	}
	healthy(t)
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()

	// HTTP-level cases: raw request → expected status.
	huge := strings.Repeat("a", 20<<10)
	httpCases := []struct {
		name, req string
		status    int
	}{
		{"header over 16 KiB", "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Big: " + huge + "\r\n\r\n", 431},
		{"unknown transport", "GET /socket.io/?EIO=4&transport=carrier-pigeon HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"unsupported protocol version", "GET /socket.io/?EIO=9&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"unknown sid", "GET /socket.io/?EIO=4&transport=polling&sid=nope HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"body over MaxPayload", "POST /socket.io/?EIO=4&transport=polling&sid=nope HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n", 413},
		{"malformed request line", "GET\x00 / HTTP/1.1\r\n\r\n", 400},
		{"headers that never end", "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n", 408},
	}
	for _, tc := range httpCases {
		t.Run(tc.name, func(t *testing.T) {
			c := hdial(t, addr)
			defer c.Close()
			io.WriteString(c, tc.req)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			healthy(t)
		})
	}

	// WebSocket-level cases: frames → expected close code.
	bigLen := []byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(bigLen[2:], 1<<40)
	var frags []byte
	frags = append(frags, hframeFin(false, ws.OpText, []byte("4"))...)
	for range 1100 {
		frags = append(frags, hframeFin(false, ws.OpContinuation, []byte("x"))...)
	}
	wsCases := []struct {
		name  string
		bytes []byte
		code  ws.StatusCode
	}{
		{"unmasked frame", wsframe.AppendFrame(nil, ws.OpText, []byte("4x")), ws.StatusProtocolError},
		{"reserved bits", append([]byte{0xc1, 0x80}, 1, 2, 3, 4), ws.StatusProtocolError},
		{"reserved opcode", append([]byte{0x83, 0x80}, 1, 2, 3, 4), ws.StatusProtocolError},
		{"invalid UTF-8", hframe(ws.OpText, []byte{'4', 0xff}), ws.StatusInvalidFramePayloadData},
		{"message over MaxPayload", hframe(ws.OpText, bytes.Repeat([]byte("a"), 100_001)), ws.StatusMessageTooBig},
		{"length of 2^40", append(bigLen, 1, 2, 3, 4), ws.StatusMessageTooBig},
		{"1,100 fragments", frags, ws.StatusPolicyViolation},
		{"continuation without a start", hframe(ws.OpContinuation, []byte("x")), ws.StatusProtocolError},
	}
	for _, tc := range wsCases {
		t.Run(tc.name, func(t *testing.T) {
			c, br := hwsOpen(t, addr)
			defer c.Close()
			c.Write(tc.bytes)
			if code := hcloseCode(t, br); code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
			healthy(t)
		})
	}

	// Socket.IO-level cases: packets → expected answer.
	sioCases := []struct {
		name, packet, want string
	}{
		{"unknown packet type", "49", "close"},
		{"event before connect to its namespace", `42/admin,["x"]`, "close"},
		{"JSON nested 20,000 deep", "42" + strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "close"},
		{"11 attachments", `4511-["x"]`, "close"},
		{"namespace that does not exist", "40/nowhere,", `44/nowhere,{"message":"Invalid namespace"}`},
	}
	for _, tc := range sioCases {
		t.Run(tc.name, func(t *testing.T) {
			c, br := hwsOpen(t, addr)
			defer c.Close()
			c.Write(hframe(ws.OpText, []byte(tc.packet)))
			for {
				h, err := ws.ReadHeader(br)
				if err != nil {
					if tc.want == "close" {
						break // connection closed
					}
					t.Fatalf("read: %v", err)
				}
				p := make([]byte, h.Length)
				io.ReadFull(br, p)
				if h.OpCode == ws.OpClose {
					if tc.want != "close" {
						t.Fatalf("closed, want %q", tc.want)
					}
					break
				}
				if tc.want != "close" && string(p) == tc.want {
					break
				}
				if string(p) == "2" { // a ping: answer it and wait on
					c.Write(hframe(ws.OpText, []byte("3")))
				}
			}
			healthy(t)
		})
	}

	// A large frame stalled past the partial-input budget: 1013.
	t.Run("stalled frames over the partial-input budget", func(t *testing.T) {
		a, abr := hwsOpen(t, addr)
		defer a.Close()
		b, bbr := hwsOpen(t, addr)
		defer b.Close()
		fa := hframe(ws.OpText, []byte("42[\"echo\",\""+strings.Repeat("a", 95_000)+"\"]"))
		_ = abr
		a.Write(fa[:90_000])
		time.Sleep(100 * time.Millisecond)
		big := hframe(ws.OpText, []byte("42[\"echo\",\""+strings.Repeat("b", 99_000)+"\"]"))
		// Past 300 KiB in all: a second and third stalled frame.
		b.Write(big[:95_000])
		c3, c3br := hwsOpen(t, addr)
		defer c3.Close()
		c3.Write(big[:95_000])
		c4, c4br := hwsOpen(t, addr)
		defer c4.Close()
		c4.Write(big[:95_000])
		closed := 0
		for _, br := range []*bufio.Reader{abr, bbr, c3br, c4br} {
			for _, c := range []net.Conn{a, b, c3, c4} {
				_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			}
			if h, err := ws.ReadHeader(br); err == nil && h.OpCode == ws.OpClose {
				p := make([]byte, h.Length)
				io.ReadFull(br, p)
				if code, _, _ := wsframe.ParseClose(p); code == 1013 {
					closed++
				}
			}
		}
		if closed == 0 {
			t.Fatal("no connection closed with 1013 past MaxPartialInput")
		}
		healthy(t)
	})

	// Memory and goroutines back near the baseline once the peers are gone.
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		var m1 runtime.MemStats
		runtime.ReadMemStats(&m1)
		g1 := runtime.NumGoroutine()
		grew := int64(m1.HeapInuse) - int64(m0.HeapInuse)
		if grew < 4<<20 && g1 <= g0+5 {
			t.Logf("heap in use %+d KiB, goroutines %d → %d", grew>>10, g0, g1)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the matrix: heap in use grew %d KiB, goroutines %d → %d", grew>>10, g0, g1)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func hdial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// hwsOpen opens a Socket.IO session over WebSocket and joins "/".
func hwsOpen(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := hdial(t, addr)
	fmt.Fprint(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if _, p := hreadFrame(t, br); !bytes.HasPrefix(p, []byte("0{")) {
		t.Fatalf("open packet %q", p)
	}
	c.Write(hframe(ws.OpText, []byte("40")))
	if _, p := hreadFrame(t, br); !bytes.HasPrefix(p, []byte("40{")) {
		t.Fatalf("connect %q", p)
	}
	return c, br
}

func hframe(op ws.OpCode, p []byte) []byte { return hframeFin(true, op, p) }

func hframeFin(fin bool, op ws.OpCode, p []byte) []byte {
	mask := [4]byte{9, 8, 7, 6}
	f := wsframe.AppendHeader(nil, wsframe.Header{Fin: fin, OpCode: op, Length: int64(len(p)), Masked: true, Mask: mask})
	m := append([]byte(nil), p...)
	wsframe.Unmask(m, mask, 0)
	return append(f, m...)
}

func hreadFrame(t *testing.T, br *bufio.Reader) (ws.OpCode, []byte) {
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

// hcloseCode reads frames until a close frame and returns its code.
func hcloseCode(t *testing.T, br *bufio.Reader) ws.StatusCode {
	t.Helper()
	for {
		op, p := hreadFrame(t, br)
		if op == ws.OpClose {
			code, _, _ := wsframe.ParseClose(p)
			return code
		}
	}
}
