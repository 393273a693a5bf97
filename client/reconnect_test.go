package client

import (
	"context"
	"errors"
	"testing"
	"time"
)

// quickReconnect reconnects after 50-100 ms.
var quickReconnect = Options{ReconnectionDelay: 50 * time.Millisecond, ReconnectionDelayMax: 100 * time.Millisecond}

func TestReconnect(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})
		for _, tc := range transportsCases {
			t.Run(tc.name, func(t *testing.T) {
				o := quickReconnect
				o.Transports = tc.transports
				s, r := newSocket(t, url, "/", &o, nil)
				m := s.Manager()
				reconnected := make(chan *ReconnectEvent, 4)
				attempts := make(chan *ReconnectEvent, 4)
				m.OnReconnect(func(e *ReconnectEvent) { reconnected <- e })
				m.OnReconnectAttempt(func(e *ReconnectEvent) { attempts <- e })
				s.Connect()
				first := r.waitConnect()
				eventually(t, "transport "+tc.want, func() bool { return m.Transport() == tc.want })

				_ = s.Emit("drop")
				if d := r.waitDisconnect(); d.Reason != ReasonTransportClose {
					t.Fatalf("disconnect reason %q (%v)", d.Reason, d.Err)
				}
				// emitted while disconnected: buffered, sent after reconnection
				if err := s.Emit("echo", "buffered"); err != nil {
					t.Fatal(err)
				}
				if a := recv(t, attempts, "reconnect attempt"); a.Attempt != 1 {
					t.Errorf("attempt %d", a.Attempt)
				}
				second := r.waitConnect()
				if second.ID == first.ID || second.Recovered {
					t.Fatalf("reconnected as %+v after %+v", second, first)
				}
				if e := recv(t, reconnected, "reconnect"); e.Attempt != 1 {
					t.Errorf("reconnect after %d attempts", e.Attempt)
				}
				if e := r.waitEvent("echo-back"); string(e.Raw(0)) != `"buffered"` {
					t.Fatalf("echo-back %s", e.Raw(0))
				}
			})
		}
	})
}

func TestDropWhileDisconnected(t *testing.T) {
	url := serverURL(t, "ours", serverConfig{})
	s, r := newSocket(t, url, "/", &quickReconnect, &SocketOptions{DropWhileDisconnected: true})
	if err := s.Emit("echo", 1); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("before connect: %v", err)
	}
	s.Connect()
	r.waitConnect()
	if err := s.Emit("echo", 2); err != nil {
		t.Fatal(err)
	}
	r.waitEvent("echo-back")
}

func TestAckFailsOnDisconnect(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{})
		s, r := newSocket(t, url, "/", &Options{NoReconnection: true, Transports: []string{TransportWebSocket}}, nil)
		s.Connect()
		r.waitConnect()
		errs := make(chan error, 2)
		// "echo" is never acknowledged; the drop fails both acks
		_ = s.Emit("echo", AckFunc(func(_ *Args, err error) { errs <- err }))
		go func() {
			_, err := s.EmitWithAck(context.Background(), "echo")
			errs <- err
		}()
		time.Sleep(50 * time.Millisecond)
		_ = s.Emit("drop")
		r.waitDisconnect()
		for range 2 {
			if err := recv(t, errs, "ack error"); !errors.Is(err, ErrDisconnected) {
				t.Fatalf("ack err %v", err)
			}
		}
	})
}

func TestRecovery(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		url := serverURL(t, kind, serverConfig{Recovery: true})
		for _, tc := range transportsCases {
			t.Run(tc.name, func(t *testing.T) {
				o := quickReconnect
				o.Transports = tc.transports
				s, r := newSocket(t, url, "/admin", &o, &SocketOptions{Auth: map[string]any{"token": "t"}})
				s.Connect()
				first := r.waitConnect()
				if first.Recovered {
					t.Fatal("recovered on the first connection")
				}
				// an event the server can replay carries its offset last
				hello := r.waitEvent("hello")
				if hello.Len() != 2 {
					t.Fatalf("hello without offset: %q", hello.RawArgs())
				}
				eventually(t, "transport "+tc.want, func() bool { return s.Manager().Transport() == tc.want })

				_ = s.Emit("drop", 2) // the server emits "missed" 1 and 2 once we are gone
				if d := r.waitDisconnect(); d.Reason != ReasonTransportClose {
					t.Fatalf("disconnect reason %q", d.Reason)
				}
				for i := 1; i <= 2; i++ {
					e := r.waitEvent("missed")
					var n int
					if err := e.Decode(0, &n); err != nil || n != i {
						t.Fatalf("missed event %q, want %d", e.RawArgs(), i)
					}
				}
				second := r.waitConnect()
				if !second.Recovered || second.ID != first.ID || !s.Recovered() {
					t.Fatalf("second connection %+v, first %+v", second, first)
				}
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				res, err := s.EmitWithAck(ctx, "whoami")
				if err != nil {
					t.Fatal(err)
				}
				var who struct {
					ID        string         `json:"id"`
					Recovered bool           `json:"recovered"`
					Auth      map[string]any `json:"auth"`
				}
				if err := res.Decode(0, &who); err != nil || !who.Recovered || who.ID != first.ID || who.Auth["token"] != "t" || who.Auth["pid"] == nil {
					t.Fatalf("server view %s", res.Raw(0))
				}
			})
		}
	})
}

func TestReconnectFailed(t *testing.T) {
	m, err := NewManager("http://127.0.0.1:1", &Options{
		ReconnectionAttempts: 2,
		ReconnectionDelay:    10 * time.Millisecond,
		RandomizationFactor:  -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	closeManager(t, m)
	s, _ := m.Socket("/", nil)
	r := record(t, s)
	errs := make(chan *ReconnectEvent, 4)
	failed := make(chan *ReconnectEvent, 1)
	m.OnReconnectError(func(e *ReconnectEvent) { errs <- e })
	m.OnReconnectFailed(func(e *ReconnectEvent) { failed <- e })
	s.Connect()
	for i := 1; i <= 2; i++ {
		e := recv(t, errs, "reconnect error")
		var te *TransportError
		if e.Attempt != i || !errors.As(e.Err, &te) {
			t.Fatalf("reconnect error %+v", e)
		}
	}
	recv(t, failed, "reconnect failed")
	for i := 0; i < 3; i++ { // the first attempt, then the two retries
		r.waitConnectError()
	}
	if !s.Active() {
		t.Fatal("socket gave up; it stays active for a manual Connect")
	}
}
