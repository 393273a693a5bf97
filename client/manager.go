package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sioloop/sioloop/sio/parser"
)

// Manager is one Engine.IO connection to a server, shared by the Sockets
// of the namespaces it carries, and its automatic reconnection: the
// official client's Manager (io.Manager, socket.io).
//
// All methods are safe to call from any goroutine, including from
// handlers. Handlers of a Manager and of its Sockets run one at a time, in
// the order of the events, on a goroutine of the Manager's (which exists
// only while there are handlers to run); a handler that blocks delays the
// later ones but not the connection.
type Manager struct {
	base       *url.URL // scheme http or https, host, Options.Path
	opts       Options
	httpClient *http.Client
	ownHTTP    *http.Transport // the default client's transport, or nil

	cb callbacks
	wg sync.WaitGroup // network goroutines

	hOpen             handlers[OpenEvent]
	hClose            handlers[DisconnectEvent]
	hError            handlers[ErrorEvent]
	hPing             handlers[PingEvent]
	hUpgrade          handlers[UpgradeEvent]
	hReconnectAttempt handlers[ReconnectEvent]
	hReconnect        handlers[ReconnectEvent]
	hReconnectError   handlers[ReconnectEvent]
	hReconnectFailed  handlers[ReconnectEvent]

	// Everything below, the engine, the transports and the Sockets'
	// connection state are guarded by mu.
	mu     sync.Mutex
	ctx    context.Context // parent of the transports' contexts
	cancel context.CancelFunc

	state          managerState
	engine         *engine
	phase          subsPhase
	openFn         func(err error)
	connectTimer   *timer
	reconnectTimer *timer
	reconnecting   bool
	skipReconnect  bool
	backoff        backoff
	asm            parser.Assembler
	sockets        []*Socket // in creation order
	priorWebSocket bool      // Options.RememberUpgrade
}

type managerState uint8

const (
	managerClosed managerState = iota
	managerOpening
	managerOpen
)

// subsPhase is which engine events the Manager listens to: the official
// Manager subscribes to open/error while opening and to
// data/ping/error/close once open.
type subsPhase uint8

const (
	subsNone subsPhase = iota
	subsOpening
	subsOpen
)

// closeGrace is how long Close lets a graceful close (a DISCONNECT
// packet, the polling close request, the WebSocket close frame) finish
// before it cuts the connections.
const closeGrace = 2 * time.Second

// NewManager returns a Manager for the server at rawURL ("http://host:port",
// "https://…"; ws:// and wss:// are accepted too). Its path is ignored
// (Options.Path is the endpoint; New takes the namespace from the path);
// its query parameters are sent with every request. Nothing is connected
// until a Socket's Connect. o may be nil.
func NewManager(rawURL string, o *Options) (*Manager, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	opts := o.withDefaults()
	if q := u.Query(); len(q) > 0 {
		if opts.Query == nil {
			opts.Query = make(url.Values, len(q))
		}
		for k, vs := range q {
			opts.Query[k] = vs
		}
	}
	m := &Manager{
		base: &url.URL{Scheme: u.Scheme, Host: u.Host, Path: opts.Path},
		opts: opts,
		backoff: backoff{
			min:    opts.ReconnectionDelay,
			max:    opts.ReconnectionDelayMax,
			jitter: opts.RandomizationFactor,
		},
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.httpClient = opts.HTTPClient
	if m.httpClient == nil {
		dial := opts.DialContext
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		m.ownHTTP = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         dial,
			TLSClientConfig:     opts.TLSConfig,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   false,
		}
		m.httpClient = &http.Client{Transport: m.ownHTTP}
	}
	return m, nil
}

// parseURL accepts http, https, ws and wss URLs (no scheme: http) and
// returns them with an http or https scheme.
func parseURL(rawURL string) (*url.URL, error) {
	if !strings.Contains(rawURL, "://") {
		rawURL = "http://" + rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("client: unsupported URL scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("client: URL has no host")
	}
	return u, nil
}

// New returns a Socket for the namespace named by rawURL's path ("/" when
// empty) on a Manager of its own: the official client's io(url) with
// forceNew. o configures the Manager, so the Socket; either may be nil.
// Nothing is connected yet: register handlers, then call Connect.
func New(rawURL string, o *Options, so *SocketOptions) (*Socket, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	m, err := NewManager(rawURL, o)
	if err != nil {
		return nil, err
	}
	nsp := u.Path
	if nsp == "" {
		nsp = "/"
	}
	return m.Socket(nsp, so)
}

// Socket returns the Socket of namespace nsp ("/", "/admin"; a missing
// leading slash is added), creating it the first time; later calls return
// the same Socket and ignore o. The Socket is not connected: register its
// handlers, then call Connect. o may be nil; an Auth that does not encode
// to a JSON object is an error.
func (m *Manager) Socket(nsp string, o *SocketOptions) (*Socket, error) {
	if nsp == "" {
		nsp = "/"
	} else if nsp[0] != '/' {
		nsp = "/" + nsp
	}
	var so SocketOptions
	if o != nil {
		so = *o
	}
	auth, err := encodeAuth(so.Auth)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sockets {
		if s.nsp == nsp {
			return s, nil
		}
	}
	s := &Socket{m: m, nsp: nsp, opts: so, auth: auth}
	m.sockets = append(m.sockets, s)
	return s, nil
}

// encodeAuth encodes a CONNECT payload: nil for no payload, else the JSON
// object (with JSON.stringify's rules, see parser.AppendEventArgs).
func encodeAuth(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, atts, err := parser.AppendEventArgs(nil, []any{v}, nil)
	if err != nil {
		return nil, fmt.Errorf("client: auth: %w", err)
	}
	obj := b[1 : len(b)-1]
	if string(obj) == "null" {
		return nil, nil
	}
	if len(atts) > 0 || len(obj) == 0 || obj[0] != '{' {
		return nil, ErrAuth
	}
	return obj, nil
}

// Close closes the connection ("forced close" for every Socket still
// active), stops reconnecting, and returns once the Manager's network
// goroutines have ended (after at most a short grace period for the
// graceful close). Handlers already queued still run. A Socket of the
// Manager may Connect again afterwards. Safe from any goroutine,
// including handlers.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closeForced()
	cancel := m.cancel
	m.mu.Unlock()

	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(closeGrace)
	select {
	case <-done:
		t.Stop()
	case <-t.C:
	}
	cancel()
	<-done
	m.mu.Lock()
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.mu.Unlock()
	m.closeIdle()
}

// Transport returns the name of the current transport ("polling",
// "websocket"), or "" when not connected. Safe from any goroutine.
func (m *Manager) Transport() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != managerOpen || m.engine == nil {
		return ""
	}
	return m.engine.transport.name()
}

// Event registration. Each adds h to the handlers of the event (nil is
// ignored); handlers cannot be removed. Safe from any goroutine.

// OnOpen: the connection opened (Engine.IO handshake done).
func (m *Manager) OnOpen(h func(*OpenEvent)) { m.hOpen.add(h) }

// OnClose: the connection closed; Reason as DisconnectEvent.
func (m *Manager) OnClose(h func(*DisconnectEvent)) { m.hClose.add(h) }

// OnError: a connection attempt or the connection failed.
func (m *Manager) OnError(h func(*ErrorEvent)) { m.hError.add(h) }

// OnPing: the server's heartbeat ping arrived (and was answered).
func (m *Manager) OnPing(h func(*PingEvent)) { m.hPing.add(h) }

// OnUpgrade: the connection moved from polling to WebSocket.
func (m *Manager) OnUpgrade(h func(*UpgradeEvent)) { m.hUpgrade.add(h) }

// OnReconnectAttempt: a reconnection attempt starts.
func (m *Manager) OnReconnectAttempt(h func(*ReconnectEvent)) { m.hReconnectAttempt.add(h) }

// OnReconnect: a reconnection succeeded (Attempt: how many it took).
func (m *Manager) OnReconnect(h func(*ReconnectEvent)) { m.hReconnect.add(h) }

// OnReconnectError: a reconnection attempt failed (Err says why).
func (m *Manager) OnReconnectError(h func(*ReconnectEvent)) { m.hReconnectError.add(h) }

// OnReconnectFailed: Options.ReconnectionAttempts attempts failed; the
// Manager stops trying.
func (m *Manager) OnReconnectFailed(h func(*ReconnectEvent)) { m.hReconnectFailed.add(h) }

// closeIdle closes the idle keep-alive connections of the Manager's own
// HTTP client once a polling transport is done with them, so that a
// Manager left without Close keeps no connection (and goroutine) alive.
// Any goroutine.
func (m *Manager) closeIdle() {
	if m.ownHTTP != nil {
		m.ownHTTP.CloseIdleConnections()
	}
}

// spawn runs f on a network goroutine that Close waits for.
func (m *Manager) spawn(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}
