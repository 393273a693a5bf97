package sio_test

import (
	"bufio"
	"context"
	"errors"
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
	"github.com/sioloop/sioloop/sio"
)

// TryEmit to a client that reads nothing is refused with ErrBufferFull
// once the output would pass MaxBufferedBytes, the socket stays connected,
// and OnDrain runs once the client has read its way below LowWaterMark;
// sending then works again.
func TestTryEmitAndDrain(t *testing.T) {
	srv := sio.NewServer(&sio.Options{EIO: eio.Options{MaxBufferedBytes: 1 << 20}, LowWaterMark: 256 << 10})
	chunk := strings.Repeat("x", 64<<10)
	type result struct {
		sent     int
		buffered int
		err      error
	}
	refused := make(chan result, 1)
	drained := make(chan int, 1)
	var sock *sio.Socket
	joined := make(chan struct{})
	srv.OnConnection(func(s *sio.Socket) {
		sock = s
		s.OnDrain(func() { drained <- s.Buffered() })
		close(joined)
		s.On("start", func(*sio.Event) {
			go func() { // a producer of its own, off the loop
				for i := 0; ; i++ {
					if err := s.TryEmit("chunk", chunk); err != nil {
						refused <- result{i, s.Buffered(), err}
						return
					}
					if i > 10_000 {
						refused <- result{i, s.Buffered(), nil}
						return
					}
				}
			}()
		})
	})
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0", nil) }()
	<-srv.Ready()
	defer func() { _ = srv.Shutdown(t.Context()); <-done }()

	// A client with a small receive buffer that reads nothing for now.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := d.DialContext(context.Background(), "tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	hreadFrame(t, br) // open
	c.Write(hframe(ws.OpText, []byte("40")))
	hreadFrame(t, br) // connect
	<-joined
	c.Write(hframe(ws.OpText, []byte(`42["start"]`)))

	var r result
	select {
	case r = <-refused:
	case <-time.After(20 * time.Second):
		t.Fatal("TryEmit never refused")
	}
	if !errors.Is(r.err, sio.ErrBufferFull) {
		t.Fatalf("after %d chunks: %v, want ErrBufferFull", r.sent, r.err)
	}
	if r.buffered > 1<<20 || r.buffered < 1<<20-2*len(chunk)-64 {
		t.Errorf("refused with %d B buffered, want just under the 1 MiB cap", r.buffered)
	}
	if !sock.Connected() {
		t.Fatal("a refused TryEmit disconnected the socket")
	}
	// The client reads now. (OnDrain may come before: a kernel whose
	// send buffer grows to 4 MiB takes the whole 1 MiB unread; what
	// matters is that it comes at the low-water mark, not before.)
	go io.Copy(io.Discard, br)
	select {
	case n := <-drained:
		if n > 256<<10 {
			t.Errorf("OnDrain with %d B buffered, want at most LowWaterMark", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnDrain never ran")
	}
	if err := sock.TryEmit("chunk", "after the drain"); err != nil {
		t.Fatalf("TryEmit after the drain: %v", err)
	}
	t.Logf("%d chunks of 64 KiB before the refusal at %d B buffered", r.sent, r.buffered)
}
