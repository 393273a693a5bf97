package client

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio"
)

func TestBackoff(t *testing.T) {
	// Without jitter: 100, 200, 400, 800, then capped.
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if d := b.duration(); d != w*time.Millisecond {
			t.Fatalf("attempt %d: %v, want %v", i, d, w*time.Millisecond)
		}
	}
	b.reset()
	if b.duration() != 100*time.Millisecond {
		t.Fatal("reset did not restart the series")
	}
	// With jitter, as backo2: r = 0.25 → floor(2.5) = 2, even → down by
	// floor(0.25·0.5·ms); r = 0.35 → 3, odd → up.
	b = backoff{min: time.Second, max: time.Hour, jitter: 0.5, rand: func() float64 { return 0.25 }}
	if d := b.duration(); d != 875*time.Millisecond {
		t.Fatalf("down: %v", d)
	}
	b = backoff{min: time.Second, max: time.Hour, jitter: 0.5, rand: func() float64 { return 0.35 }}
	if d := b.duration(); d != 1175*time.Millisecond {
		t.Fatalf("up: %v", d)
	}
	// Many attempts stay at the cap.
	b = backoff{min: time.Second, max: 5 * time.Second, jitter: 1, rand: func() float64 { return 0.99 }}
	for range 200 {
		if d := b.duration(); d <= 0 || d > 5*time.Second {
			t.Fatalf("out of range: %v", d)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	q := url.Values{"a": {"1"}}
	in := &Options{Path: "custom", Query: q, RandomizationFactor: -1}
	o := in.withDefaults()
	if o.Path != "/custom/" || o.Timeout != 20*time.Second || o.ReconnectionDelay != time.Second ||
		o.ReconnectionDelayMax != 5*time.Second || o.RandomizationFactor != 0 || o.MaxMessage != 100<<20 {
		t.Fatalf("defaults %+v", o)
	}
	if len(o.Transports) != 2 || o.Transports[0] != TransportPolling {
		t.Fatalf("transports %v", o.Transports)
	}
	o.Query.Set("a", "2")
	if q.Get("a") != "1" || in.Path != "custom" {
		t.Fatal("the caller's options were modified")
	}
	if z := (*Options)(nil).withDefaults(); z.RandomizationFactor != 0.5 || z.Path != "/socket.io/" {
		t.Fatalf("nil options %+v", z)
	}
}

func TestParseURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:1/x":  "http://h:1/x",
		"ws://h:1":      "http://h:1",
		"wss://h":       "https://h",
		"localhost:300": "http://localhost:300",
	} {
		u, err := parseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("parseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	if _, err := parseURL("ftp://h"); err == nil {
		t.Error("ftp accepted")
	}
}

func TestEncodeAuth(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
		err  error
	}{
		{nil, "", nil},
		{map[string]any{"token": "x"}, `{"token":"x"}`, nil},
		{struct {
			A int `json:"a"`
		}{1}, `{"a":1}`, nil},
		{"str", "", ErrAuth},
		{[]any{1}, "", ErrAuth},
		{map[string]any{"b": []byte{1}}, "", ErrAuth},
	} {
		got, err := encodeAuth(c.in)
		if string(got) != c.want || !errors.Is(err, c.err) {
			t.Errorf("encodeAuth(%v) = %s, %v", c.in, got, err)
		}
	}
}

// TestConnectPacket checks the CONNECT packets: with auth, and with the
// recovery session merged in front of it.
func TestConnectPacket(t *testing.T) {
	m, err := NewManager("http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &engine{m: m, state: engineOpen, transport: &fakeTransport{}}
	m.engine = e
	s, err := m.Socket("/admin", &SocketOptions{Auth: map[string]any{"token": "a\"b"}})
	if err != nil {
		t.Fatal(err)
	}
	root, _ := m.Socket("/", nil)
	m.mu.Lock()
	defer m.mu.Unlock()
	s.onopen()
	s.pid, s.lastOffset = "P1", "O\\1"
	s.onopen()
	root.onopen()
	root.pid = "P2"
	root.onopen()
	ft := e.transport.(*fakeTransport)
	want := []string{
		`0/admin,{"token":"a\"b"}`,
		`0/admin,{"pid":"P1","offset":"O\\1","token":"a\"b"}`,
		`0`,
		`0{"pid":"P2"}`,
	}
	if len(ft.sent) != len(want) {
		t.Fatalf("sent %q", ft.sent)
	}
	for i, w := range want {
		if ft.sent[i] != "4"+w {
			t.Errorf("packet %d = %q, want %q", i, ft.sent[i], "4"+w)
		}
	}
}

type fakeTransport struct {
	transportBase
	sent []string
}

func (f *fakeTransport) name() string         { return "fake" }
func (f *fakeTransport) open()                {}
func (f *fakeTransport) writable() bool       { return true }
func (f *fakeTransport) pause(onPause func()) { onPause() }
func (f *fakeTransport) close()               {}
func (f *fakeTransport) send(pkts []eio.Packet) bool {
	for _, p := range pkts {
		f.sent = append(f.sent, string(eio.AppendPacket(nil, p)))
	}
	return true
}

func TestArgs(t *testing.T) {
	var a Args
	if err := a.Fill([]byte(`["ev","s\u00e9",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}],3]`), 1,
		[][]byte{{1}, {2, 3}}); err != nil {
		t.Fatal(err)
	}
	if a.Len() != 4 {
		t.Fatalf("len %d", a.Len())
	}
	if s, ok := a.String(0); !ok || s != "sé" {
		t.Errorf("String(0) = %q %v", s, ok)
	}
	if b := a.Bytes(1); len(b) != 1 || b[0] != 1 {
		t.Errorf("Bytes(1) = %v", b)
	}
	if v, _ := a.Value(2); len(v.([]any)) != 1 || len(v.([]any)[0].([]byte)) != 2 {
		t.Errorf("Value(2) = %v", v)
	}
	var n int
	if err := a.Decode(3, &n); err != nil || n != 3 {
		t.Errorf("Decode(3) = %d, %v", n, err)
	}
	if a.Raw(4) != nil || a.Bytes(3) != nil {
		t.Error("out of range")
	}
	if _, err := a.Value(9); err == nil {
		t.Error("Value past the end")
	}
	if s, ok := a.String(3); ok {
		t.Errorf("String of a number: %q", s)
	}
	_ = sio.RawJSON(a.Raw(0))
}
