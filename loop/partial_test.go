package loop

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/wsframe"
)

// bigFrame is a masked text frame carrying an Engine.IO message of n bytes.
func bigFrame(n int) (frame, msg []byte) {
	msg = append([]byte("4"), bytes.Repeat([]byte("abcdefghij"), n/10)...)[:n]
	return wsframe.AppendClientFrame(nil, ws.OpText, msg, testMask), msg
}

// trickle writes b in pieces of size bytes.
func trickle(c net.Conn, b []byte, size int) error { return tricklePaced(c, b, size, 0) }

// tricklePaced pauses between the pieces, so that each reaches the server
// as a read of its own (as from a slow or hostile peer).
func tricklePaced(c net.Conn, b []byte, size int, pause time.Duration) error {
	for len(b) > 0 {
		k := min(size, len(b))
		if _, err := c.Write(b[:k]); err != nil {
			return err
		}
		b = b[k:]
		if pause > 0 {
			time.Sleep(pause)
		}
	}
	return nil
}

// waitPartial waits until the server holds at least n bytes of partial
// input and returns what it holds.
func waitPartial(t *testing.T, srv *Server, n int64) int64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		held, _ := srv.PartialInput()
		if held >= n || time.Now().After(deadline) {
			return held
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A large frame sent in small writes arrives whole, and while it arrives
// the server holds what was sent rounded up to one chunk (issue: a stalled
// 990 KB frame used to hold ~4.3 MB).
func TestTrickledFrame(t *testing.T) {
	srv, addr := startServer(t, Config{}, &eio.Options{MaxPayload: 2 << 20})
	c, br := wsDial(t, addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	frame, msg := bigFrame(990_000)
	half := len(frame) / 2
	if err := trickle(c, frame[:half], 300); err != nil {
		t.Fatal(err)
	}
	held := waitPartial(t, srv, int64(half)-partialChunk)
	if held < int64(half)-partialChunk || held > int64(half)+partialChunk {
		t.Fatalf("half a frame sent (%d B): the server holds %d B, want within one chunk (%d B) of it", half, held, partialChunk)
	}
	t.Logf("%d B sent, %d B held (%.3f×)", half, held, float64(held)/float64(half))
	if err := trickle(c, frame[half:], 300); err != nil {
		t.Fatal(err)
	}
	op, p := readFrame(t, br)
	if op != ws.OpText || !bytes.Equal(p, msg) {
		t.Fatalf("echo: %v, %d B, want %d B", op, len(p), len(msg))
	}
	if held, _ := srv.PartialInput(); held != 0 {
		t.Errorf("after the frame: %d B held", held)
	}
	// The connection goes on with small frames.
	c.Write(wsframe.AppendClientFrame(nil, ws.OpText, []byte("4next"), testMask))
	if op, p := readFrame(t, br); op != ws.OpText || string(p) != "4next" {
		t.Fatalf("%v %q", op, p)
	}
}

// A fragmented message of large fragments, each trickled, is reassembled.
func TestTrickledFragments(t *testing.T) {
	_, addr := startServer(t, Config{}, &eio.Options{MaxPayload: 2 << 20})
	c, br := wsDial(t, addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	_, msg := bigFrame(300_000)
	var out []byte
	for i, part := range [][]byte{msg[:100_000], msg[100_000:200_000], msg[200_000:]} {
		op := ws.OpContinuation
		if i == 0 {
			op = ws.OpText
		}
		out = append(out, wsframe.AppendHeader(nil, wsframe.Header{Fin: i == 2, OpCode: op, Length: int64(len(part)), Masked: true, Mask: testMask})...)
		masked := append([]byte(nil), part...)
		wsframe.Unmask(masked, testMask, 0)
		out = append(out, masked...)
	}
	if err := trickle(c, out, 1000); err != nil {
		t.Fatal(err)
	}
	op, p := readFrame(t, br)
	if op != ws.OpText || !bytes.Equal(p, msg) {
		t.Fatalf("echo: %v, %d B, want %d B", op, len(p), len(msg))
	}
}

// A polling POST whose large body arrives slowly is taken whole.
func TestTrickledBody(t *testing.T) {
	srv, addr := startServer(t, Config{}, &eio.Options{MaxPayload: 2 << 20})
	c := dial(t, addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	fmt.Fprint(c, "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")
	_, body := readResponse(t, br)
	sid := between(body, `"sid":"`, `"`)
	msg := "4" + strings.Repeat("x", 500_000)
	req := fmt.Sprintf("POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", sid, len(msg), msg)
	half := len(req) / 2
	if err := trickle(c, []byte(req[:half]), 500); err != nil {
		t.Fatal(err)
	}
	if held := waitPartial(t, srv, int64(half)-partialChunk); held == 0 || held > int64(half)+partialChunk {
		t.Fatalf("half a request sent (%d B): %d B held", half, held)
	}
	if err := trickle(c, []byte(req[half:]), 500); err != nil {
		t.Fatal(err)
	}
	if resp, b := readResponse(t, br); resp.StatusCode != 200 || b != "ok" {
		t.Fatalf("POST: %d %q", resp.StatusCode, b)
	}
	fmt.Fprintf(c, "GET /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n\r\n", sid)
	if resp, b := readResponse(t, br); resp.StatusCode != 200 || b != msg {
		t.Fatalf("echo GET: %d, %d B, want %d B", resp.StatusCode, len(b), len(msg))
	}
}

// Past Config.MaxPartialInput, the connection holding the largest partial
// unit is closed (1013) and the others go on.
func TestPartialInputBudget(t *testing.T) {
	srv, addr := startServer(t, Config{MaxPartialInput: 400 << 10}, &eio.Options{MaxPayload: 2 << 20})
	big, bigR := wsDial(t, addr)
	small, smallR := wsDial(t, addr)
	_ = big.SetDeadline(time.Now().Add(20 * time.Second))
	_ = small.SetDeadline(time.Now().Add(20 * time.Second))
	bigF, _ := bigFrame(990_000)
	smallF, smallMsg := bigFrame(300_000)
	if err := trickle(big, bigF[:300_000], 4096); err != nil {
		t.Fatal(err)
	}
	waitPartial(t, srv, 300_000-partialChunk)
	// small needs 300 KB more: the budget (400 KiB) makes room by closing big.
	if err := trickle(small, smallF, 4096); err != nil {
		t.Fatal(err)
	}
	if op, p := readFrame(t, smallR); op != ws.OpText || !bytes.Equal(p, smallMsg) {
		t.Fatalf("small: %v, %d B", op, len(p))
	}
	h, err := ws.ReadHeader(bigR)
	if err != nil || h.OpCode != ws.OpClose {
		t.Fatalf("big: %v %v, want a close frame", h, err)
	}
	p := make([]byte, h.Length)
	io.ReadFull(bigR, p)
	if code, _, _ := wsframe.ParseClose(p); code != statusTryAgainLater {
		t.Fatalf("big closed with %d, want 1013", code)
	}
	if _, ev := srv.PartialInput(); ev != 1 {
		t.Errorf("evictions %d, want 1", ev)
	}
	if held := waitPartial(t, srv, -1); held != 0 {
		t.Errorf("%d B still held", held)
	}
	// A POST past the budget on its own gets 503.
	c := dial(t, addr)
	br := bufio.NewReader(c)
	fmt.Fprintf(c, "POST /engine.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n")
	if err := trickle(c, bytes.Repeat([]byte("x"), 500_000), 4096); err != nil && !isReset(err) {
		t.Fatal(err)
	}
	if resp, _ := readResponse(t, br); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("POST over the budget: %d, want 503", resp.StatusCode)
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe"))
}

func between(s, a, b string) string {
	_, s, _ = strings.Cut(s, a)
	s, _, _ = strings.Cut(s, b)
	return s
}

// BenchmarkTrickledFrame: a 990 KB frame sent in 300-byte writes with a
// pause after each (so that the server reads them one by one), echoed.
// cpu-ms/frame is the whole process's CPU (server and this client; the
// client's share is its 3,300 writes and sleeps). With partialMin huge (the old behaviour,
// gnet's buffer re-copied on every read) it was quadratic:
//
//	go test -run '^$' -bench TrickledFrame -benchtime 5x ./loop
func BenchmarkTrickledFrame(b *testing.B) {
	for _, mode := range []struct {
		name string
		min  int
	}{{"chunks", partialMin}, {"gnet-buffer", 1 << 30}} {
		b.Run(mode.name, func(b *testing.B) {
			defer func(v int) { partialMin = v }(partialMin)
			partialMin = mode.min
			es := eio.NewServer(&eio.Options{MaxPayload: 2 << 20})
			es.OnConnection(func(s *eio.Session) { s.SetHandler(echo{}) })
			srv, err := New(Config{Addr: "127.0.0.1:0", Routes: []Route{{Prefix: "/engine.io/", Server: es}}})
			if err != nil {
				b.Fatal(err)
			}
			go srv.Serve()
			<-srv.Ready()
			defer srv.Shutdown(b.Context())
			c, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			fmt.Fprint(c, "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
			br := bufio.NewReader(c)
			if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
				b.Fatal(resp, err)
			}
			if _, err := ws.ReadHeader(br); err != nil { // the open packet
				b.Fatal(err)
			}
			frame, msg := bigFrame(990_000)
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if br.Buffered() > 0 {
					br.Discard(br.Buffered())
				}
				if err := tricklePaced(c, frame, 300, 20*time.Microsecond); err != nil {
					b.Fatal(err)
				}
				for {
					h, err := ws.ReadHeader(br)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := br.Discard(int(h.Length)); err != nil {
						b.Fatal(err)
					}
					if h.Length == int64(len(msg)) {
						break
					}
				}
			}
			b.StopTimer()
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime) + syscall.TimevalToNsec(ru1.Stime) -
				syscall.TimevalToNsec(ru0.Utime) - syscall.TimevalToNsec(ru0.Stime))
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/frame")
		})
	}
}
