package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// transportsCases are the transport setups the event tests run over.
var transportsCases = []struct {
	name       string
	transports []string
	want       string // the transport once settled
}{
	{"polling", []string{TransportPolling}, TransportPolling},
	{"websocket", []string{TransportWebSocket}, TransportWebSocket},
	{"upgrade", nil, TransportWebSocket},
}

func jsonOf(t testing.TB, a *Args, i int) string {
	t.Helper()
	v, err := a.Value(i)
	if err != nil {
		t.Fatalf("arg %d: %v", i, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEventsAndAcks(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})
		for _, tc := range transportsCases {
			t.Run(tc.name, func(t *testing.T) {
				s, r := newSocket(t, url, "/", &Options{Transports: tc.transports}, nil)
				// The server asks; the client answers through Event.Ack.
				s.On("question", func(e *Event) {
					n, _ := e.String(0)
					_ = e.Ack("answer to "+n, 42)
				})
				s.Connect()
				c := r.waitConnect()
				if c.ID == "" || c.Recovered {
					t.Fatalf("connect event %+v", c)
				}
				if hello := r.waitEvent("hello"); jsonOf(t, &hello.Args, 0) != `"`+c.ID+`"` {
					t.Errorf("hello %s, want the socket id %s", hello.Raw(0), c.ID)
				}
				eventually(t, "transport "+tc.want, func() bool { return s.Manager().Transport() == tc.want })

				// client → server event, server → client event
				if err := s.Emit("echo", "hi", 1.5, map[string]any{"k": []any{true, nil}}); err != nil {
					t.Fatal(err)
				}
				e := r.waitEvent("echo-back")
				if e.Len() != 3 || string(e.Raw(0)) != `"hi"` || string(e.Raw(1)) != "1.5" || string(e.Raw(2)) != `{"k":[true,null]}` {
					t.Errorf("echo-back %q", e.RawArgs())
				}

				// client asks, server acknowledges: EmitWithAck and AckFunc
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				res, err := s.EmitWithAck(ctx, "echo-ack", "a", 2)
				if err != nil || res.Len() != 2 || string(res.Raw(0)) != `"a"` || string(res.Raw(1)) != "2" {
					t.Fatalf("EmitWithAck = %v, %v", res, err)
				}
				acks := make(chan *Args, 1)
				err = s.Timeout(waitTimeout).Emit("echo-ack", "b", AckFunc(func(res *Args, err error) {
					if err != nil {
						t.Error(err)
					}
					acks <- res
				}))
				if err != nil {
					t.Fatal(err)
				}
				if res := recv(t, acks, "ack"); res == nil || string(res.Raw(0)) != `"b"` {
					t.Fatalf("ack %v", res)
				}

				// server asks, client acknowledges
				_ = s.Emit("ask", "question", "life")
				ans := r.waitEvent("answer")
				if got := jsonOf(t, &ans.Args, 0); got != `["answer to life",42]` {
					t.Errorf("answer %s", got)
				}
			})
		}
	})
}

func TestBinary(t *testing.T) { testBinary(t, ParserDefault) }

// TestMsgpackParser: TestBinary with Options.Parser ParserMsgpack against
// servers using socket.io-msgpack-parser (Node's and sio.ParserMsgpack).
func TestMsgpackParser(t *testing.T) { testBinary(t, ParserMsgpack) }

func testBinary(t *testing.T, pr Parser) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{Msgpack: pr == ParserMsgpack})
		for _, tc := range transportsCases {
			t.Run(tc.name, func(t *testing.T) {
				s, r := newSocket(t, url, "/", &Options{Transports: tc.transports, Parser: pr}, nil)
				s.On("question", func(e *Event) {
					v, err := e.Value(0)
					if err != nil {
						t.Error(err)
					}
					_ = e.Ack(map[string]any{"got": v, "more": []any{[]byte{9, 9}}}, []byte("raw"))
				})
				s.Connect()
				r.waitConnect()

				big := bytes.Repeat([]byte{0xab}, 3000)
				nested := map[string]any{"deep": map[string]any{"buf": []byte{0xca, 0xfe}, "list": []any{[]byte{}, []byte{7}, "s"}}}
				if err := s.Emit("echo", []byte{0, 1, 2}, nested, big); err != nil {
					t.Fatal(err)
				}
				e := r.waitEvent("echo-back")
				if got := e.Bytes(0); !bytes.Equal(got, []byte{0, 1, 2}) {
					t.Errorf("arg 0 = %v", got)
				}
				v, err := e.Value(1)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(v, nested) {
					t.Errorf("arg 1 = %#v", v)
				}
				if !bytes.Equal(e.Bytes(2), big) {
					t.Errorf("arg 2: %d bytes", len(e.Bytes(2)))
				}
				if len(e.Attachments()) != 5 {
					t.Errorf("%d attachments", len(e.Attachments()))
				}

				_ = s.Emit("binary")
				b := r.waitEvent("binary")
				want := map[string]any{"nested": []byte{0xff}, "list": []any{[]byte{}, "x"}}
				if v, _ := b.Value(1); !bytes.Equal(b.Bytes(0), []byte{1, 2, 3}) || !reflect.DeepEqual(v, want) {
					t.Errorf("binary event %v %#v", b.Bytes(0), v)
				}

				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				res, err := s.EmitWithAck(ctx, "echo-ack", []byte("up"), []any{[]byte{1}})
				if err != nil || !bytes.Equal(res.Bytes(0), []byte("up")) {
					t.Fatalf("binary ack %v %v", res, err)
				}
				if v, _ := res.Value(1); !reflect.DeepEqual(v, []any{[]byte{1}}) {
					t.Errorf("ack arg 1 %#v", v)
				}

				// the server asks with binary; the client answers with binary
				_ = s.Emit("ask", "question", []byte{5, 6})
				ans := r.waitEvent("answer")
				got, _ := ans.Value(0)
				wantAns := []any{map[string]any{"got": []byte{5, 6}, "more": []any{[]byte{9, 9}}}, []byte("raw")}
				if !reflect.DeepEqual(got, wantAns) {
					t.Errorf("answer %#v", got)
				}
			})
		}
	})
}

func TestNamespaces(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})
		m, err := NewManager(url, &Options{Transports: []string{TransportWebSocket}, NoReconnection: true})
		if err != nil {
			t.Fatal(err)
		}
		closeManager(t, m)
		opened := make(chan *OpenEvent, 4)
		mclosed := make(chan *DisconnectEvent, 4)
		m.OnOpen(func(e *OpenEvent) { opened <- e })
		m.OnClose(func(e *DisconnectEvent) { mclosed <- e })
		root, _ := m.Socket("/", nil)
		admin, _ := m.Socket("admin", nil)
		if again, _ := m.Socket("/admin", nil); again != admin {
			t.Fatal("Socket returned a second socket for /admin")
		}
		rr, ra := record(t, root), record(t, admin)
		root.Connect()
		admin.Connect()
		cr, ca := rr.waitConnect(), ra.waitConnect()
		if cr.ID == ca.ID {
			t.Fatal("same socket id in both namespaces")
		}
		recv(t, opened, "open")
		// each namespace gets its own events
		if h := ra.waitEvent("hello"); h.Socket() != admin {
			t.Fatal("hello of /admin on the wrong socket")
		}
		rr.waitEvent("hello")
		_ = admin.Emit("echo", "to admin")
		if e := ra.waitEvent("echo-back"); string(e.Raw(0)) != `"to admin"` {
			t.Fatalf("admin echo %s", e.Raw(0))
		}

		// leaving one namespace keeps the connection
		admin.Disconnect()
		if d := ra.waitDisconnect(); d.Reason != ReasonClientDisconnect {
			t.Fatalf("admin disconnect reason %q", d.Reason)
		}
		if admin.Active() || admin.Connected() {
			t.Fatal("admin still active")
		}
		_ = root.Emit("echo", "still here")
		rr.waitEvent("echo-back")

		// the server disconnects the last socket: no reconnection, the
		// connection closes
		_ = root.Emit("server-disconnect")
		if d := rr.waitDisconnect(); d.Reason != ReasonServerDisconnect {
			t.Fatalf("root disconnect reason %q", d.Reason)
		}
		if c := recv(t, mclosed, "manager close"); c.Reason != ReasonForcedClose {
			t.Fatalf("manager close reason %q", c.Reason)
		}
		if m.Transport() != "" {
			t.Fatal("manager still open")
		}
		select {
		case <-opened:
			t.Fatal("reconnected after a server disconnect")
		case <-time.After(100 * time.Millisecond):
		}
	})
}

func TestConnectError(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})

		s, r := newSocket(t, url, "/private", nil, &SocketOptions{Auth: map[string]any{"token": "wrong"}})
		s.Connect()
		ce := r.waitConnectError()
		if ce.Message != "not authorized" || ce.Err != nil {
			t.Fatalf("connect error %+v", ce)
		}
		var data struct {
			Code   int    `json:"code"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal(ce.Data, &data); err != nil || data.Code != 42 || data.Reason != "bad token" {
			t.Fatalf("data %s (%v)", ce.Data, err)
		}
		eventually(t, "socket inactive", func() bool { return !s.Active() })

		// with the right token (from AuthFunc), and the auth reaches the server
		s2, r2 := newSocket(t, url, "/private", nil, &SocketOptions{AuthFunc: func() any {
			return map[string]any{"token": "secret", "n": 1}
		}})
		s2.Connect()
		r2.waitConnect()
		r2.waitEvent("hello")

		// an unknown namespace
		s3, r3 := newSocket(t, url, "/nope", nil, nil)
		s3.Connect()
		if ce := r3.waitConnectError(); ce.Message != "Invalid namespace" {
			t.Fatalf("unknown namespace: %+v", ce)
		}

		// a refused connection: connect_error with a transport error
		s4, r4 := newSocket(t, "http://127.0.0.1:1", "/", &Options{NoReconnection: true}, nil)
		s4.Connect()
		ce = r4.waitConnectError()
		var te *TransportError
		if !errors.As(ce, &te) || te.Reason != "xhr poll error" || ce.Message != "xhr poll error" {
			t.Fatalf("refused: %+v (%v)", ce, ce.Err)
		}
	})
}

func TestAuthPayload(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})
		s, r := newSocket(t, url, "/admin", nil, &SocketOptions{Auth: struct {
			Token string `json:"token"`
			N     int    `json:"n"`
		}{"abc", 3}})
		s.Connect()
		r.waitConnect()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		res, err := s.EmitWithAck(ctx, "whoami")
		if err != nil {
			t.Fatal(err)
		}
		var who struct {
			ID   string         `json:"id"`
			Auth map[string]any `json:"auth"`
		}
		if err := res.Decode(0, &who); err != nil {
			t.Fatal(err)
		}
		if who.ID != s.ID() || !reflect.DeepEqual(who.Auth, map[string]any{"token": "abc", "n": 3.0}) {
			t.Fatalf("whoami %s (socket %s)", res.Raw(0), s.ID())
		}
	})
}

func TestAckTimeout(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})
		s, r := newSocket(t, url, "/", nil, &SocketOptions{AckTimeout: 150 * time.Millisecond})
		s.Connect()
		r.waitConnect()
		// "echo" never acknowledges
		errs := make(chan error, 1)
		start := time.Now()
		_ = s.Timeout(100*time.Millisecond).Emit("echo", "x", func(res *Args, err error) { errs <- err })
		if err := recv(t, errs, "ack timeout"); !errors.Is(err, ErrAckTimeout) {
			t.Fatalf("err %v", err)
		}
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Fatalf("timed out after %v", d)
		}
		// the default timeout of SocketOptions
		_, err := s.EmitWithAck(context.Background(), "echo", "y")
		if !errors.Is(err, ErrAckTimeout) {
			t.Fatalf("EmitWithAck err %v", err)
		}
		// ctx ends first
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := s.Timeout(time.Hour).EmitWithAck(ctx, "echo", "z"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ctx err %v", err)
		}
		if err := s.Emit("disconnect"); !errors.Is(err, ErrReservedEvent) {
			t.Fatalf("reserved: %v", err)
		}
	})
}
