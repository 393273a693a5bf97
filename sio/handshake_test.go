package sio_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sioloop/sioloop/client"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

// The handshake's parsed forms, as Node's socket.handshake and
// socket.request give them, in both server modes.
func TestHandshakeForms(t *testing.T) {
	for _, mode := range []string{"loop", "net/http"} {
		t.Run(mode, func(t *testing.T) {
			srv := sio.NewServer(nil)
			defer srv.Close()
			got := make(chan *sio.Handshake, 1)
			srv.OnConnection(func(s *sio.Socket) { got <- s.Handshake() })
			var base string
			if mode == "net/http" {
				hs := httptest.NewServer(srv)
				defer hs.Close()
				base = hs.URL
			} else {
				ls, err := loop.New(loop.Config{Addr: "127.0.0.1:0", Loops: 1,
					Routes: []loop.Route{{Prefix: srv.Path(), Server: srv.Engine()}}})
				if err != nil {
					t.Fatal(err)
				}
				go func() { _ = ls.Serve() }()
				<-ls.Ready()
				defer func() { _ = ls.Shutdown(context.Background()) }()
				base = "http://" + ls.Addr().String()
			}
			c, err := client.New(base, &client.Options{
				Query:  url.Values{"room": {"a b"}, "tag": {"x", "y"}},
				Header: http.Header{"X-Token": {"t1"}, "Origin": {"http://example.test"}},
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.Connect()
			defer c.Manager().Close()
			var h *sio.Handshake
			select {
			case h = <-got:
			case <-time.After(5 * time.Second):
				t.Fatal("no connection")
			}
			q := h.Query()
			if q.Get("room") != "a b" || len(q["tag"]) != 2 || q.Get("EIO") != "4" || q.Get("transport") != "polling" {
				t.Errorf("Query() = %v", q)
			}
			if hd := h.Headers(); hd.Get("X-Token") != "t1" || hd.Get("x-token") != "t1" {
				t.Errorf("Headers() = %v", hd)
			}
			if a := h.Address(); a != "127.0.0.1" {
				t.Errorf("Address() = %q", a)
			}
			if u := h.URL(); !strings.HasPrefix(u, "/socket.io/?") || !strings.Contains(u, "room=a+b") {
				t.Errorf("URL() = %q", u)
			}
			if d := time.Since(time.UnixMilli(h.Issued())); d < 0 || d > 10*time.Second {
				t.Errorf("Issued() %d is %v ago", h.Issued(), d)
			}
			if !h.XDomain() || h.Secure() {
				t.Errorf("XDomain %v Secure %v", h.XDomain(), h.Secure())
			}
			r := h.Request()
			if r.Method != "GET" || r.URL.Path != "/socket.io/" || r.URL.Query().Get("room") != "a b" ||
				r.Header.Get("X-Token") != "t1" || r.Host == "" || !strings.HasPrefix(r.RemoteAddr, "127.0.0.1:") {
				t.Errorf("Request() = %s %s host %q remote %q %v", r.Method, r.URL, r.Host, r.RemoteAddr, r.Header)
			}
		})
	}
}
