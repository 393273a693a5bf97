package client

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sioloop/sioloop/sio"
)

func TestReuseAfterCloseAndDisconnect(t *testing.T) {
	url := serverURL(t, "ours", serverConfig{})
	s, r := newSocket(t, url, "/", nil, nil)
	m := s.Manager()
	s.Connect()
	first := r.waitConnect()

	m.Close()
	if d := r.waitDisconnect(); d.Reason != ReasonForcedClose {
		t.Fatalf("reason %q", d.Reason)
	}
	if !s.Active() || s.Connected() {
		t.Fatal("after Manager.Close the socket stays active, disconnected")
	}
	m.Close() // again: no second disconnect event
	s.Connect()
	if c := r.waitConnect(); c.ID == first.ID {
		t.Fatal("same id after Close")
	}

	s.Disconnect()
	if d := r.waitDisconnect(); d.Reason != ReasonClientDisconnect {
		t.Fatalf("reason %q", d.Reason)
	}
	eventually(t, "connection closed", func() bool { return m.Transport() == "" })
	s.Connect()
	r.waitConnect()
	_ = s.Emit("echo", "again")
	r.waitEvent("echo-back")
	select {
	case d := <-r.disc:
		t.Fatalf("unexpected disconnect %q", d.Reason)
	default:
	}
}

func TestVolatile(t *testing.T) {
	url := serverURL(t, "ours", serverConfig{})
	s, r := newSocket(t, url, "/", &Options{Transports: []string{TransportWebSocket}}, nil)
	_ = s.Volatile().Emit("echo", "dropped") // not connected: dropped, not buffered
	_ = s.Emit("echo", "buffered")
	s.Connect()
	r.waitConnect()
	if n := clientGoroutines(); n < 2 {
		t.Fatalf("%d client goroutines while connected over WebSocket (reader, writer)", n)
	}
	_ = s.Volatile().Emit("echo", "sent")
	if e := r.waitEvent("echo-back"); string(e.Raw(0)) != `"buffered"` {
		t.Fatalf("first echo %s", e.Raw(0))
	}
	if e := r.waitEvent("echo-back"); string(e.Raw(0)) != `"sent"` {
		t.Fatalf("second echo %s", e.Raw(0))
	}
}

func TestRememberUpgrade(t *testing.T) {
	url := serverURL(t, "ours", serverConfig{})
	o := quickReconnect
	o.RememberUpgrade = true
	s, r := newSocket(t, url, "/", &o, nil)
	opens := make(chan *OpenEvent, 4)
	s.Manager().OnOpen(func(e *OpenEvent) { opens <- e })
	s.Connect()
	r.waitConnect()
	if e := recv(t, opens, "open"); e.Transport != TransportPolling {
		t.Fatalf("first open over %s", e.Transport)
	}
	eventually(t, "upgrade", func() bool { return s.Manager().Transport() == TransportWebSocket })
	_ = s.Emit("drop")
	r.waitDisconnect()
	if e := recv(t, opens, "second open"); e.Transport != TransportWebSocket {
		t.Fatalf("reopened over %s", e.Transport)
	}
	r.waitConnect()
}

func TestTransportError(t *testing.T) {
	// A polling server that accepts the handshake, then fails the next GET:
	// "xhr poll error", reason "transport error".
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			_, _ = w.Write([]byte("ok"))
		case r.URL.Query().Get("sid") == "":
			_, _ = w.Write([]byte(`0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`))
		default:
			time.Sleep(20 * time.Millisecond)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":1,"message":"Session ID unknown"}`))
		}
	}))
	defer srv.Close()
	s, r := newSocket(t, srv.URL, "/", &Options{NoReconnection: true}, nil)
	closed := make(chan *DisconnectEvent, 1)
	s.Manager().OnClose(func(e *DisconnectEvent) { closed <- e })
	s.Connect()
	ce := r.waitConnectError()
	te, ok := ce.Err.(*TransportError)
	if !ok || te.Reason != "xhr poll error" || te.StatusCode != http.StatusBadRequest {
		t.Fatalf("connect error %+v (%v)", ce, ce.Err)
	}
	if d := recv(t, closed, "manager close"); d.Reason != ReasonTransportError {
		t.Fatalf("close reason %q", d.Reason)
	}
}

func TestTLSAndNetHTTPServer(t *testing.T) {
	// Our server mounted as an http.Handler behind TLS: https polling,
	// the upgrade to wss.
	srv := sio.NewServer(nil)
	ourApp(srv)
	hs := httptest.NewUnstartedServer(srv)
	hs.StartTLS()
	defer func() {
		hs.CloseClientConnections()
		hs.Close()
		srv.Close()
	}()
	cfg := hs.Client().Transport.(*http.Transport).TLSClientConfig
	for _, tr := range [][]string{{TransportWebSocket}, nil} {
		s, r := newSocket(t, hs.URL, "/", &Options{TLSConfig: cfg, Transports: tr}, nil)
		s.Connect()
		r.waitConnect()
		eventually(t, "websocket", func() bool { return s.Manager().Transport() == TransportWebSocket })
		_ = s.Emit("echo", []byte{1, 2})
		if e := r.waitEvent("echo-back"); len(e.Bytes(0)) != 2 {
			t.Fatalf("echo %q", e.RawArgs())
		}
		s.Manager().Close()
	}
}

func TestReconnectNamespaces(t *testing.T) {
	// After a drop, every namespace of the Manager joins again.
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})
		o := quickReconnect
		o.Transports = []string{TransportWebSocket}
		m, err := NewManager(url, &o)
		if err != nil {
			t.Fatal(err)
		}
		closeManager(t, m)
		root, _ := m.Socket("/", nil)
		admin, _ := m.Socket("/admin", nil)
		rr, ra := record(t, root), record(t, admin)
		root.Connect()
		admin.Connect()
		rr.waitConnect()
		ra.waitConnect()
		_ = admin.Emit("drop")
		if rr.waitDisconnect().Reason != ReasonTransportClose || ra.waitDisconnect().Reason != ReasonTransportClose {
			t.Fatal("wrong disconnect reasons")
		}
		rr.waitConnect()
		ra.waitConnect()
		_ = admin.Emit("echo", "admin")
		_ = root.Emit("echo", "root")
		if e := ra.waitEvent("echo-back"); string(e.Raw(0)) != `"admin"` {
			t.Fatal(string(e.Raw(0)))
		}
		if e := rr.waitEvent("echo-back"); string(e.Raw(0)) != `"root"` {
			t.Fatal(string(e.Raw(0)))
		}
	})
}
