// Package admin is the server side of the official Socket.IO Admin UI
// (the npm package @socket.io/admin-ui 0.5, its hosted or self-served
// static build): the equivalent of Node's instrument(io, {…}).
//
//	_, err := admin.Instrument(srv, admin.Options{
//		Auth: &admin.BasicAuth{Username: "admin", PasswordHash: hash}, // bcrypt
//	})
//
// The UI connects to the namespace Options.NamespaceName ("/admin") of
// the server with the official client, logs in (or reuses the session id
// it was given), and then gets:
//
//   - "config": the features it may offer (the actions unless ReadOnly,
//     aggregated events, and every event in development mode);
//   - "server_stats" every 2 s: server id, host, pid, uptime, Engine.IO
//     clients (and how many poll), each namespace with its sockets, and the
//     aggregated events since the last report (connections, disconnections
//     by reason, packets and bytes in and out);
//   - in development mode: "all_sockets" once, then "socket_connected",
//     "socket_updated" (a polling client upgraded), "socket_disconnected",
//     "room_joined", "room_left", "event_received" and "event_sent".
//
// Its actions "emit", "join", "leave" and "_disconnect" go through the
// broadcast operators (srv.Of(nsp).In(filter)…), so with a cluster adapter
// they reach every node as far as that adapter carries them; the admin
// namespace's own emits (stats, socket events) are broadcasts too, so a UI
// connected to one node sees them all.
//
// Production mode (the zero Mode) costs the server only its counters
// (sio.Server.Observe without detail: a few atomic additions per packet)
// and one callback per Engine.IO session; development mode adds a callback
// per event, room change and socket, each handed to one goroutine of this
// package that emits to the admin namespace, so the event loops never wait
// for the UI (past 4,096 pending notices the excess is dropped and
// counted: Instrumentation.Dropped). "all_sockets" is a FetchSockets of
// every namespace made from that goroutine, so it reads each socket's
// Data there, as any FetchSockets caller does.
//
// Instrument a server once; Close stops the reports and the observers.
package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sioloop/sioloop/sio"
)

// Mode selects what the UI is sent.
type Mode int

const (
	// Production: server stats and aggregated events only.
	Production Mode = iota
	// Development: also every socket, room change and event (costs a
	// callback per event: not for a busy server).
	Development
)

// BasicAuth is the UI's username/password login.
type BasicAuth struct {
	Username string
	// PasswordHash is the bcrypt hash of the password (as made by
	// bcrypt.GenerateFromPassword, or the bcryptjs hash a Node.js setup
	// uses: "$2a$"/"$2b$" hashes are both accepted).
	PasswordHash string
}

// Options configures Instrument.
type Options struct {
	// Auth is the login the UI must give. Nil requires NoAuth: true, so
	// that an open admin namespace is a decision, not an omission (Node
	// likewise requires auth: false).
	Auth   *BasicAuth
	NoAuth bool
	// NamespaceName is the admin namespace (default "/admin").
	NamespaceName string
	// ReadOnly offers no action (emit, join, leave, disconnect).
	ReadOnly bool
	// ServerID names this server in the UI (default: the host name, or
	// "host#pid" when ServerIDWithPID is set, for several servers on one
	// host).
	ServerID        string
	ServerIDWithPID bool
	// Store keeps the UI's session ids (default: a MemoryStore; a
	// RedisStore shares them across nodes).
	Store Store
	// Mode: Production (the zero value) or Development.
	Mode Mode
	// StatsInterval is the period of "server_stats" (default 2 s, as the
	// UI expects).
	StatsInterval time.Duration
}

// Feature names of the "config" event.
const (
	FeatureEmit             = "EMIT"
	FeatureJoin             = "JOIN"
	FeatureLeave            = "LEAVE"
	FeatureDisconnect       = "DISCONNECT"
	FeatureMJoin            = "MJOIN"
	FeatureMLeave           = "MLEAVE"
	FeatureMDisconnect      = "MDISCONNECT"
	FeatureAggregatedEvents = "AGGREGATED_EVENTS"
	FeatureAllEvents        = "ALL_EVENTS"
)

// Instrumentation is an instrumented server; Close stops it.
type Instrumentation struct {
	srv      *sio.Server
	nsp      *sio.Namespace
	opts     Options
	hash     []byte
	features []string
	base     statsBase
	started  time.Time

	polling atomic.Int64 // Engine.IO sessions on polling now
	dropped atomic.Int64 // development notices dropped (queue full)

	evMu   sync.Mutex
	events map[eventKey]*aggregatedEvent
	last   sio.Stats // at the previous report

	dev     chan func() // development notices, in order, for the dev goroutine
	detach  []func()
	stop    chan struct{}
	done    sync.WaitGroup
	closed1 sync.Once
}

// processStart approximates the process start for "uptime".
var processStart = time.Now()

// Instrument serves the Admin UI on srv's namespace opts.NamespaceName.
// It returns an error for options the UI could not be served with (no
// Auth without NoAuth, a PasswordHash that is not bcrypt).
func Instrument(srv *sio.Server, opts Options) (*Instrumentation, error) {
	if opts.Auth == nil && !opts.NoAuth {
		return nil, errors.New("admin: Options.Auth must be set, or NoAuth set to true")
	}
	a := &Instrumentation{srv: srv, opts: opts, started: time.Now(), events: make(map[eventKey]*aggregatedEvent), stop: make(chan struct{})}
	if opts.Auth != nil {
		a.hash = []byte(opts.Auth.PasswordHash)
		if _, err := bcrypt.Cost(a.hash); err != nil {
			return nil, errors.New("admin: PasswordHash must be a bcrypt hash: " + err.Error())
		}
	}
	if a.opts.NamespaceName == "" {
		a.opts.NamespaceName = "/admin"
	}
	if a.opts.Store == nil {
		a.opts.Store = NewMemoryStore()
	}
	if a.opts.StatsInterval <= 0 {
		a.opts.StatsInterval = 2 * time.Second
	}
	host, _ := os.Hostname()
	a.base = statsBase{ServerID: a.opts.ServerID, Hostname: host, PID: os.Getpid()}
	if a.base.ServerID == "" {
		a.base.ServerID = host
		if a.opts.ServerIDWithPID {
			a.base.ServerID += "#" + strconv.Itoa(a.base.PID)
		}
	}
	if !a.opts.ReadOnly {
		a.features = []string{FeatureEmit, FeatureJoin, FeatureLeave, FeatureDisconnect, FeatureMJoin, FeatureMLeave, FeatureMDisconnect}
	}
	a.features = append(a.features, FeatureAggregatedEvents)
	if a.opts.Mode == Development {
		a.features = append(a.features, FeatureAllEvents)
	}

	a.nsp = srv.Of(a.opts.NamespaceName)
	if a.hash != nil {
		a.nsp.Use(a.authenticate)
	}
	a.nsp.OnConnection(a.onAdminConnection)

	a.last = srv.Stats()
	if a.opts.Mode == Development {
		a.dev = make(chan func(), 4096)
		a.done.Add(1)
		go a.runDev()
		o := &devObserver{a: a}
		o.init()
		a.detach = append(a.detach, srv.Observe(o, true))
	} else {
		a.detach = append(a.detach, srv.Observe(&sessionObserver{a: a}, false))
	}
	a.done.Add(1)
	go a.runStats()
	return a, nil
}

// Namespace is the admin namespace.
func (a *Instrumentation) Namespace() *sio.Namespace { return a.nsp }

// Dropped is the number of development-mode notices dropped because the
// UI could not be sent them fast enough.
func (a *Instrumentation) Dropped() int64 { return a.dropped.Load() }

// Close stops the stats and the observers; admin sockets stay connected
// (disconnect them with Namespace().DisconnectSockets).
func (a *Instrumentation) Close() {
	a.closed1.Do(func() {
		for _, d := range a.detach {
			d()
		}
		close(a.stop)
		a.done.Wait()
	})
}

// adminSocket is the Data of an admin socket: the session id made at its
// login, sent once connected.
type adminSocket struct{ session string }

type authPayload struct {
	SessionID string `json:"sessionId"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

// authenticate is the admin namespace's middleware: a known session id,
// or the username and password (bcrypt, deliberately slow: checked on a
// goroutine of its own, never on the event loop).
func (a *Instrumentation) authenticate(s *sio.Socket, next func(error)) {
	var p authPayload
	_ = s.Handshake().DecodeAuth(&p)
	go func() {
		defer func() {
			// The Store may be the application's: a panic there costs this
			// login, reported like any other.
			if v := recover(); v != nil {
				s.Namespace().Server().Engine().ReportPanic(v, nil)
				next(errors.New("internal error"))
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if p.SessionID != "" {
			if ok, _ := a.opts.Store.SessionExists(ctx, p.SessionID); ok {
				next(nil)
				return
			}
		}
		user := subtle.ConstantTimeCompare([]byte(p.Username), []byte(a.opts.Auth.Username)) == 1
		if user && bcrypt.CompareHashAndPassword(a.hash, []byte(p.Password)) == nil {
			id := randomID()
			if err := a.opts.Store.SaveSession(ctx, id); err == nil {
				s.Data = &adminSocket{session: id}
			}
			next(nil)
			return
		}
		next(errors.New("invalid credentials"))
	}()
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (a *Instrumentation) onAdminConnection(s *sio.Socket) {
	if as, ok := s.Data.(*adminSocket); ok && as.session != "" {
		_ = s.Emit("session", as.session)
	}
	if !a.opts.ReadOnly {
		a.registerActions(s)
	}
	_ = s.Emit("config", configPayload{SupportedFeatures: a.features})
	if a.opts.Mode == Development {
		// After the notices already queued, in order with those to come.
		a.notify(func() { _ = s.Emit("all_sockets", a.allSockets()) })
	}
}

type configPayload struct {
	SupportedFeatures []string `json:"supportedFeatures"`
}

// registerActions installs the UI's actions on an admin socket: each
// applies to the sockets of namespace nsp, narrowed to room filter when
// given (the UI passes a socket id to act on one socket).
func (a *Instrumentation) registerActions(s *sio.Socket) {
	op := func(e *sio.Event, filterArg int) *sio.BroadcastOperator {
		nsp, _ := e.String(0)
		n := a.srv.Of(nsp)
		if f, ok := e.String(filterArg); ok && f != "" {
			return n.In(f)
		}
		return n.In()
	}
	s.On("emit", func(e *sio.Event) { // nsp, filter, event, ...args
		ev, ok := e.String(2)
		if !ok {
			return
		}
		args := make([]any, 0, e.Len()-3)
		for i := 3; i < e.Len(); i++ {
			args = append(args, sio.RawJSON(e.Raw(i)))
		}
		_ = op(e, 1).Emit(ev, args...)
	})
	s.On("join", func(e *sio.Event) { // nsp, room, filter
		if room, ok := e.String(1); ok {
			op(e, 2).SocketsJoin(room)
		}
	})
	s.On("leave", func(e *sio.Event) { // nsp, room, filter
		if room, ok := e.String(1); ok {
			op(e, 2).SocketsLeave(room)
		}
	})
	s.On("_disconnect", func(e *sio.Event) { // nsp, close, filter
		op(e, 2).DisconnectSockets(string(e.Raw(1)) == "true")
	})
}

// broadcast emits to the admin namespace, unless nobody could receive it
// (an in-memory adapter without admin sockets: a cluster adapter may
// have UIs on other nodes).
func (a *Instrumentation) broadcast(event string, args ...any) {
	if _, local := a.nsp.Adapter().(*sio.MemoryAdapter); local && a.nsp.Len() == 0 {
		return
	}
	_ = a.nsp.Emit(event, args...)
}
