package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/loop"
	"github.com/sioloop/sioloop/sio"
)

const waitTimeout = 10 * time.Second

// serverConfig selects a test server's options. Servers are shared by the
// tests that ask for the same kind and config, and stopped by TestMain.
type serverConfig struct {
	Recovery     bool `json:"recovery,omitempty"`
	PingInterval int  `json:"pingInterval,omitempty"` // ms
	PingTimeout  int  `json:"pingTimeout,omitempty"`  // ms
	MaxPayload   int  `json:"maxPayload,omitempty"`
	Msgpack      bool `json:"msgpack,omitempty"` // socket.io-msgpack-parser on the server
}

var shared struct {
	mu    sync.Mutex
	urls  map[string]string
	errs  map[string]error
	stops []func()
}

var errNoNode = errors.New("node or interop/node_modules/socket.io missing (run `make deps`)")

func TestMain(m *testing.M) {
	code := m.Run()
	shared.mu.Lock()
	for i := len(shared.stops) - 1; i >= 0; i-- {
		shared.stops[i]()
	}
	shared.mu.Unlock()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for clientGoroutines() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := clientGoroutines(); n > 0 {
			fmt.Fprintf(os.Stderr, "client: %d goroutines leaked:\n%s\n", n, clientStacks())
			code = 1
		}
	}
	os.Exit(code)
}

// kinds are the servers every interop test runs against.
var kinds = []string{"ours", "node"}

// forKinds runs fn once per server kind, as subtests.
func forKinds(t *testing.T, fn func(t *testing.T, kind string)) {
	for _, k := range kinds {
		t.Run(k, func(t *testing.T) { fn(t, k) })
	}
}

// serverURL returns the URL of a (shared) server of kind "ours" or
// "node" with cfg, starting it on first use.
func serverURL(t testing.TB, kind string, cfg serverConfig) string {
	t.Helper()
	b, _ := json.Marshal(cfg)
	key := kind + string(b)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.urls == nil {
		shared.urls, shared.errs = map[string]string{}, map[string]error{}
	}
	if u, ok := shared.urls[key]; ok {
		return u
	}
	if err := shared.errs[key]; err != nil {
		skipOrFail(t, err)
	}
	var (
		u    string
		stop func()
		err  error
	)
	switch kind {
	case "ours":
		u, stop, err = startOurs(oursOptions(cfg), ourApp)
	case "node":
		u, stop, err = startNode(string(b))
	default:
		err = fmt.Errorf("unknown server kind %q", kind)
	}
	if err != nil {
		shared.errs[key] = err
		skipOrFail(t, err)
	}
	shared.urls[key] = u
	shared.stops = append(shared.stops, stop)
	return u
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNoNode) {
		t.Skip(err)
	}
	t.Fatal(err)
}

func oursOptions(cfg serverConfig) *sio.Options {
	o := &sio.Options{EIO: eio.Options{
		PingInterval: time.Duration(cfg.PingInterval) * time.Millisecond,
		PingTimeout:  time.Duration(cfg.PingTimeout) * time.Millisecond,
		MaxPayload:   cfg.MaxPayload,
	}}
	if cfg.Recovery {
		o.Recovery = &sio.RecoveryOptions{MaxDisconnectionDuration: time.Minute}
	}
	if cfg.Msgpack {
		o.Parser = sio.ParserMsgpack
	}
	return o
}

// startOurs serves a sio.Server configured by setup on a free port.
func startOurs(o *sio.Options, setup func(srv *sio.Server)) (string, func(), error) {
	srv := sio.NewServer(o)
	if setup != nil {
		setup(srv)
	}
	ls, err := loop.New(loop.Config{
		Addr:   "127.0.0.1:0",
		Loops:  1,
		Routes: []loop.Route{{Prefix: srv.Path(), Server: srv.Engine()}},
	})
	if err != nil {
		return "", nil, err
	}
	errc := make(chan error, 1)
	go func() { errc <- ls.Serve() }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ls.Shutdown(ctx)
		srv.Close()
		<-errc
	}
	select {
	case <-ls.Ready():
	case err := <-errc:
		return "", nil, fmt.Errorf("serve: %w", err)
	case <-time.After(waitTimeout):
		stop()
		return "", nil, errors.New("server not ready")
	}
	return "http://" + ls.Addr().String(), stop, nil
}

// startNode runs client/testdata/server.js (socket.io 4.8 from
// interop/node_modules) with opts (JSON).
func startNode(opts string) (string, func(), error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", nil, errNoNode
	}
	modules, _ := filepath.Abs(filepath.Join("..", "interop", "node_modules"))
	if _, err := os.Stat(filepath.Join(modules, "socket.io", "package.json")); err != nil {
		return "", nil, errNoNode
	}
	cmd := exec.Command(node, filepath.Join("testdata", "server.js"), opts)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stderr = os.Stderr
	setDeathSignal(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	stdin, err := cmd.StdinPipe() // the script exits when it closes
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	ports := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "listening ") {
				ports <- strings.TrimPrefix(l, "listening ")
				break
			}
		}
		close(ports)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case port, ok := <-ports:
		if !ok {
			stop()
			return "", nil, errors.New("node server exited before listening")
		}
		return "http://127.0.0.1:" + port, stop, nil
	case <-time.After(waitTimeout):
		stop()
		return "", nil, errors.New("node server did not start")
	}
}

// recorder collects a socket's events for assertions.
type recorder struct {
	t       testing.TB
	connect chan *ConnectEvent
	cerr    chan *ConnectError
	disc    chan *DisconnectEvent
	events  chan *Event
}

func record(t testing.TB, s *Socket) *recorder {
	r := &recorder{
		t:       t,
		connect: make(chan *ConnectEvent, 16),
		cerr:    make(chan *ConnectError, 16),
		disc:    make(chan *DisconnectEvent, 16),
		events:  make(chan *Event, 64),
	}
	s.OnConnect(func(e *ConnectEvent) { r.connect <- e })
	s.OnConnectError(func(e *ConnectError) { r.cerr <- e })
	s.OnDisconnect(func(e *DisconnectEvent) { r.disc <- e })
	s.OnAny(func(e *Event) { r.events <- e })
	return r
}

func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

func (r *recorder) waitConnect() *ConnectEvent {
	r.t.Helper()
	return recv(r.t, r.connect, "connect")
}

func (r *recorder) waitDisconnect() *DisconnectEvent {
	r.t.Helper()
	return recv(r.t, r.disc, "disconnect")
}

func (r *recorder) waitConnectError() *ConnectError {
	r.t.Helper()
	return recv(r.t, r.cerr, "connect_error")
}

// waitEvent returns the next event named name, skipping others.
func (r *recorder) waitEvent(name string) *Event {
	r.t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case e := <-r.events:
			if e.Name() == name {
				return e
			}
		case <-deadline:
			r.t.Fatalf("timed out waiting for event %q", name)
			return nil
		}
	}
}

// newSocket creates a Manager for url and the socket of nsp; the Manager
// is closed when the test ends.
func newSocket(t testing.TB, url, nsp string, o *Options, so *SocketOptions) (*Socket, *recorder) {
	t.Helper()
	s, err := New(url+nsp, o, so)
	if err != nil {
		t.Fatal(err)
	}
	closeManager(t, s.Manager())
	return s, record(t, s)
}

// closeManager closes m at the end of the test; its callbacks must drain.
func closeManager(t testing.TB, m *Manager) {
	t.Cleanup(func() {
		m.Close()
		if !m.idle(waitTimeout) {
			t.Error("callback goroutine still busy after Close")
		}
	})
}

// idle reports whether the callback queue drained within d.
func (m *Manager) idle(d time.Duration) bool {
	done := make(chan struct{})
	m.cb.post(func() { close(done) })
	select {
	case <-done:
	case <-time.After(d):
		return false
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		m.cb.mu.Lock()
		running := m.cb.running
		m.cb.mu.Unlock()
		if !running {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

// eventually polls cond until it holds or the wait times out.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// clientGoroutines counts the goroutines running this package's code
// (tests excluded).
func clientGoroutines() int {
	n := 0
	for _, g := range goroutineStacks() {
		if isClientGoroutine(g) {
			n++
		}
	}
	return n
}

func clientStacks() string {
	var b strings.Builder
	for _, g := range goroutineStacks() {
		if isClientGoroutine(g) {
			b.WriteString(g)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

func isClientGoroutine(g string) bool {
	return strings.Contains(g, "sioloop/client.") &&
		!strings.Contains(g, "_test.go") &&
		!strings.Contains(g, "testing.(*M)")
}

func goroutineStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }
