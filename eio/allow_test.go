package eio_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
)

// AllowRequestAsync decides later on a goroutine of its own, by the
// "token" query parameter: polling and WebSocket handshakes are accepted
// or refused (403), in both server modes, and
// the event loop serves other requests meanwhile.
func TestAllowRequestAsync(t *testing.T) {
	for _, mode := range []string{"loop", "net/http"} {
		t.Run(mode, func(t *testing.T) {
			gate := make(chan struct{})
			es := eio.NewServer(&eio.Options{PingInterval: time.Minute,
				AllowRequestAsync: func(r *eio.Request, done func(error)) {
					go func() {
						<-gate // held until the test has shown the loop goes on
						if strings.Contains(string(r.RawQuery), "token=ok") && r.Headers.Header("X-Check") != nil {
							done(nil)
							return
						}
						done(errors.New("no"))
					}()
				}})
			defer es.Close()
			es.OnConnection(func(s *eio.Session) { _ = s.Send([]byte("hello"), false) })
			addr := serveIn(t, mode, es)
			get := func(query string) (int, string, time.Duration) {
				req, _ := http.NewRequest("GET", "http://"+addr+"/engine.io/?EIO=4&transport=polling"+query, nil)
				req.Header.Set("X-Check", "1")
				t0 := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b), time.Since(t0)
			}
			// While one handshake waits for its check, the loop answers others.
			slow := make(chan string, 1)
			go func() { _, b, _ := get("&token=ok"); slow <- b }()
			if st, _, _ := get("&sid=nope"); st != 400 {
				t.Errorf("a request during a pending check: %d", st)
			}
			select {
			case b := <-slow:
				t.Fatalf("the handshake was answered before its check decided: %q", b)
			default:
			}
			close(gate)
			if b := <-slow; !strings.HasPrefix(b, `0{"sid":"`) || !strings.Contains(b, "hello") {
				t.Errorf("accepted polling handshake: %q", b)
			}
			if st, b, _ := get("&token=bad"); st != 403 || b != `{"code":4,"message":"Forbidden"}` {
				t.Errorf("refused polling handshake: %d %q", st, b)
			}

			ws1 := func(token string, status int) (net.Conn, *bufio.Reader) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				fmt.Fprintf(c, "GET /engine.io/?EIO=4&transport=websocket&token=%s HTTP/1.1\r\nHost: x\r\nX-Check: 1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", token)
				br := bufio.NewReader(c)
				if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != status {
					t.Fatalf("upgrade with token %s: %v %v, want %d", token, resp, err, status)
				}
				return c, br
			}
			frame := func(br *bufio.Reader) (ws.OpCode, []byte) {
				h, err := ws.ReadHeader(br)
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				p := make([]byte, h.Length)
				io.ReadFull(br, p)
				return h.OpCode, p
			}
			c, br := ws1("ok", 101)
			if op, p := frame(br); op != ws.OpText || !strings.HasPrefix(string(p), `0{"sid":"`) {
				t.Fatalf("accepted WebSocket: first frame %v %q", op, p)
			}
			if _, p := frame(br); string(p) != "4hello" {
				t.Fatalf("accepted WebSocket: second frame %q", p)
			}
			c.Close()
			c, _ = ws1("bad", 403) // decided before the upgrade, as Node
			c.Close()
		})
	}
}
