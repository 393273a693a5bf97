package eio_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/loop"
)

// The InitialHeaders and Headers hooks (Node's "initial_headers" and
// "headers" events) reach the handshake, polling GETs (held ones too),
// POSTs and WebSocket upgrades, in both server modes; errors get none.
func TestHeaderHooks(t *testing.T) {
	for _, mode := range []string{"loop", "net/http"} {
		t.Run(mode, func(t *testing.T) {
			es := eio.NewServer(&eio.Options{PingInterval: time.Minute})
			defer es.Close()
			es.SetHooks(eio.Hooks{
				InitialHeaders: func(r *eio.Request) []eio.HeaderField {
					return []eio.HeaderField{{Name: "Set-Cookie", Value: "first=1"}}
				},
				Headers: func(r *eio.Request) []eio.HeaderField {
					return []eio.HeaderField{{Name: "X-Method", Value: string(r.Method)}}
				},
			})
			addr := serveIn(t, mode, es)
			base := "http://" + addr + "/engine.io/?EIO=4&transport=polling"
			check := func(what string, resp *http.Response, cookie bool, method string) {
				t.Helper()
				if got := resp.Header.Get("Set-Cookie"); (got == "first=1") != cookie {
					t.Errorf("%s: Set-Cookie %q, want it %v", what, got, cookie)
				}
				if got := resp.Header.Get("X-Method"); got != method {
					t.Errorf("%s: X-Method %q, want %q", what, got, method)
				}
			}
			resp, err := http.Get(base)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			check("handshake", resp, true, "GET")
			sid := strings.SplitN(strings.TrimPrefix(string(body), `0{"sid":"`), `"`, 2)[0]
			resp, err = http.Post(base+"&sid="+sid, "text/plain", strings.NewReader("4hi"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			check("POST", resp, false, "POST")
			got := make(chan *http.Response, 1)
			go func() {
				resp, err := http.Get(base + "&sid=" + sid)
				if err == nil {
					resp.Body.Close()
				}
				got <- resp
			}()
			time.Sleep(50 * time.Millisecond) // the GET is held
			if err := es.Session(sid).Send([]byte("x"), false); err != nil {
				t.Fatal(err)
			}
			if resp := <-got; resp != nil {
				check("held GET", resp, false, "GET")
			} else {
				t.Fatal("held GET failed")
			}
			resp, err = http.Get(base + "&sid=nope")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			check("refused", resp, false, "")
			// A session opened on WebSocket: the 101 carries both.
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
			fmt.Fprintf(c, "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n", key)
			resp, err = http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
				t.Fatalf("upgrade: %d %v", resp.StatusCode, resp.Header)
			}
			check("WebSocket handshake", resp, true, "GET")
		})
	}
}

// The Upgrade hook sees a session move to WebSocket.
func TestUpgradeHook(t *testing.T) {
	es := eio.NewServer(nil)
	defer es.Close()
	upgraded := make(chan string, 1)
	es.SetHooks(eio.Hooks{Upgrade: func(s *eio.Session) { upgraded <- s.Transport() }})
	hs := httptest.NewServer(es)
	defer hs.Close()
	base := hs.URL + "/engine.io/?EIO=4&transport=polling"
	sid := pollHandshake(t, base)
	c, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /engine.io/?EIO=4&transport=websocket&sid=%s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n",
		sid, base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")))
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	for _, msg := range []string{"2probe", "5"} { // masked text frames
		frame := []byte{0x81, 0x80 | byte(len(msg)), 0, 0, 0, 0}
		c.Write(append(frame, msg...))
	}
	select {
	case tr := <-upgraded:
		if tr != "websocket" {
			t.Fatalf("transport %q in the hook", tr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no Upgrade hook call")
	}
}

// The Open and Close hooks (Node: the engine's "connection" event and the
// engine socket's "close") see every session, with its close reason.
func TestOpenCloseHooks(t *testing.T) {
	es := eio.NewServer(nil)
	defer es.Close()
	opened := make(chan string, 1)
	closed := make(chan string, 1)
	es.SetHooks(eio.Hooks{
		Open:  func(s *eio.Session) { opened <- s.ID() },
		Close: func(s *eio.Session, reason string) { closed <- s.ID() + " " + reason },
	})
	hs := httptest.NewServer(es)
	defer hs.Close()
	base := hs.URL + "/engine.io/?EIO=4&transport=polling"
	sid := pollHandshake(t, base)
	if got := <-opened; got != sid {
		t.Fatalf("Open saw %q, want %q", got, sid)
	}
	resp, err := http.Post(base+"&sid="+sid, "text/plain", strings.NewReader("1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case got := <-closed:
		if got != sid+" transport close" {
			t.Fatalf("Close saw %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no Close hook call")
	}
}

// serveIn serves es at /engine.io/ in mode ("loop": an event loop of
// package loop; "net/http": httptest) until the test ends, and returns
// its address.
func serveIn(t *testing.T, mode string, es *eio.Server) string {
	t.Helper()
	if mode == "net/http" {
		hs := httptest.NewServer(es)
		t.Cleanup(hs.Close)
		return strings.TrimPrefix(hs.URL, "http://")
	}
	ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1, Routes: []loop.Route{{Prefix: "/engine.io/", Server: es}}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ls.Serve() }()
	<-ls.Ready()
	t.Cleanup(func() { _ = ls.Shutdown(context.Background()) })
	return ls.Addr().String()
}

// pollHandshake opens a polling session at base and returns its sid.
func pollHandshake(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return strings.SplitN(strings.TrimPrefix(string(body), `0{"sid":"`), `"`, 2)[0]
}

// Refusals counts refused requests by error code, with or without a
// ConnectionError hook, in both server modes.
func TestRefusals(t *testing.T) {
	for _, mode := range []string{"loop", "net/http"} {
		t.Run(mode, func(t *testing.T) {
			es := eio.NewServer(nil)
			defer es.Close()
			addr := serveIn(t, mode, es)
			for _, q := range []string{
				"EIO=4&transport=carrier-pigeon",   // 0
				"EIO=4&transport=polling&sid=nope", // 1
				"EIO=4&transport=polling&sid=nope", // 1
				"EIO=9&transport=polling",          // 5
			} {
				resp, err := http.Get("http://" + addr + "/engine.io/?" + q)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			if got, want := es.Refusals(), [7]int64{1, 2, 0, 0, 0, 1, 0}; got != want {
				t.Errorf("Refusals %v, want %v", got, want)
			}
		})
	}
}
