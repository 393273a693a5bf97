package sio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/timer"
	"github.com/sioloop/sioloop/loop"
)

// Server is a Socket.IO server. Create it with NewServer; configure
// namespaces and handlers; then serve it with ListenAndServe (gnet event
// loops) or mount it as an http.Handler. Methods are safe from any
// goroutine unless stated otherwise.
type Server struct {
	opts   Options
	eio    *eio.Server
	wheel  *timer.Wheel
	pool   *workerPool
	trace  bool         // the logger took Debug at NewServer (log.go)
	floods atomic.Int64 // events refused by Options.EventRate (flood.go)
	obs    obsState     // observers and their counters (observe.go)

	msgpack bool // Options.Parser is ParserMsgpack (wire.go)

	mu      sync.RWMutex
	nsps    map[string]*Namespace
	parents []*parentNamespace
	main    *Namespace
	onNsp   []func(*Namespace) // OnNewNamespace

	recovery *sessionStore
	pools    pools

	closeAdapters sync.Once

	lmu     sync.Mutex
	loop    *loop.Server
	stopped bool
	ready   chan struct{}
	ready1  sync.Once
}

type parentNamespace struct {
	match func(name string, auth []byte) bool
	nsp   *Namespace // holds the handlers; never has sockets
}

// NewServer returns a server configured by o (nil: defaults).
func NewServer(o *Options) *Server {
	s := &Server{opts: o.withDefaults(), nsps: make(map[string]*Namespace), ready: make(chan struct{})}
	if s.opts.ServeClient != nil {
		cf := &clientFiles{fsys: s.opts.ServeClient, path: s.opts.Path, files: make(map[string]*clientFile)}
		if next := s.opts.EIO.Fallback; next != nil {
			s.opts.EIO.Fallback = func(r *eio.Request) *eio.Response {
				if resp := cf.serve(r); resp != nil {
					return resp
				}
				return next(r)
			}
		} else {
			s.opts.EIO.Fallback = cf.serve
		}
	}
	s.msgpack = s.opts.Parser == ParserMsgpack
	s.eio = eio.NewServer(&s.opts.EIO)
	s.trace = s.debugOn()
	s.wheel = timer.Of(s.eio) // one timer goroutine per server
	if s.opts.Workers > 0 {
		s.pool = newWorkerPool(s.opts.Workers)
	}
	if s.opts.Recovery != nil {
		s.recovery = newSessionStore(s.opts.Recovery.MaxDisconnectionDuration)
		s.recovery.msgpack = s.msgpack
	}
	s.main = s.Of("/")
	s.eio.OnConnection(s.onEngineConnection)
	return s
}

// Engine returns the Engine.IO server underneath.
func (s *Server) Engine() *eio.Server { return s.eio }

// Path is the endpoint path ("/socket.io/").
func (s *Server) Path() string { return s.opts.Path }

// Of returns the namespace name, creating it ("/admin"; a missing leading
// slash is added).
func (s *Server) Of(name string) *Namespace {
	if name == "" || name[0] != '/' {
		name = "/" + name
	}
	s.mu.RLock()
	n := s.nsps[name]
	s.mu.RUnlock()
	if n != nil {
		return n
	}
	s.mu.Lock()
	created := false
	if n = s.nsps[name]; n == nil {
		n = newNamespace(s, name, nil)
		s.nsps[name] = n
		created = true
	}
	fns := s.onNsp
	s.mu.Unlock()
	if created {
		for _, fn := range fns {
			fn(n)
		}
	}
	return n
}

// Namespaces lists the namespaces (Node's io._nsps), sorted by name.
func (s *Server) Namespaces() []*Namespace {
	s.mu.RLock()
	out := make([]*Namespace, 0, len(s.nsps))
	for _, n := range s.nsps {
		out = append(out, n)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Namespace) int { return strings.Compare(a.name, b.name) })
	return out
}

// OnNewNamespace registers fn, called with every namespace created after
// it: by Of, or dynamically by a CONNECT matching OfFunc (Node's
// "new_namespace" event).
func (s *Server) OnNewNamespace(fn func(*Namespace)) {
	s.mu.Lock()
	s.onNsp = append(s.onNsp, fn)
	s.mu.Unlock()
}

// OfFunc declares dynamic namespaces: a CONNECT to a namespace that does
// not exist yet creates it when match returns true (auth is the raw JSON
// of the CONNECT payload, or nil). Handlers and middlewares set on the
// returned namespace apply to every namespace it creates.
func (s *Server) OfFunc(match func(name string, auth []byte) bool) *Namespace {
	p := &parentNamespace{match: match, nsp: newNamespace(s, "", nil)}
	s.mu.Lock()
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p.nsp
}

// OfRegexp is OfFunc matching names against re.
func (s *Server) OfRegexp(re *regexp.Regexp) *Namespace {
	return s.OfFunc(func(name string, _ []byte) bool { return re.MatchString(name) })
}

// lookup finds or (dynamically) creates the namespace for a CONNECT.
func (s *Server) lookup(name string, auth []byte) *Namespace {
	s.mu.RLock()
	n := s.nsps[name]
	parents := s.parents
	s.mu.RUnlock()
	if n != nil {
		return n
	}
	for _, p := range parents {
		if p.match(name, auth) {
			s.mu.Lock()
			created := false
			if n = s.nsps[name]; n == nil {
				n = newNamespace(s, name, p.nsp)
				s.nsps[name] = n
				p.nsp.children.Store(n, struct{}{})
				created = true
			}
			fns := s.onNsp
			s.mu.Unlock()
			if created {
				for _, fn := range fns {
					fn(n)
				}
			}
			return n
		}
	}
	return nil
}

// Sockets of the main namespace.
func (s *Server) Sockets() *Namespace { return s.main }

// OnConnection registers fn for every socket connecting to the main
// namespace.
func (s *Server) OnConnection(fn func(*Socket)) { s.main.OnConnection(fn) }

// Use adds a middleware to the main namespace.
func (s *Server) Use(mw Middleware) { s.main.Use(mw) }

// Emit sends an event to every socket of the main namespace.
func (s *Server) Emit(event string, args ...any) error { return s.main.Emit(event, args...) }

// To selects rooms of the main namespace for a broadcast.
func (s *Server) To(rooms ...string) *BroadcastOperator { return s.main.To(rooms...) }

// In is To.
func (s *Server) In(rooms ...string) *BroadcastOperator { return s.main.To(rooms...) }

// Except excludes rooms of the main namespace from a broadcast.
func (s *Server) Except(rooms ...string) *BroadcastOperator { return s.main.Except(rooms...) }

// Local restricts a broadcast to this node.
func (s *Server) Local() *BroadcastOperator { return s.main.Local() }

// Volatile marks a broadcast as droppable.
func (s *Server) Volatile() *BroadcastOperator { return s.main.Volatile() }

// Compress is accepted for Node's API (io.compress); there is no
// permessage-deflate, so it changes nothing.
func (s *Server) Compress(c bool) *BroadcastOperator { return s.main.Compress(c) }

// FetchSockets describes the sockets of the main namespace on every node
// (io.fetchSockets).
func (s *Server) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return s.main.FetchSockets(ctx)
}

// SocketsJoin makes every socket of the main namespace join rooms
// (io.socketsJoin); narrow it with In / Except first.
func (s *Server) SocketsJoin(rooms ...string) { s.main.SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the main namespace leave rooms
// (io.socketsLeave).
func (s *Server) SocketsLeave(rooms ...string) { s.main.SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the main namespace
// (io.disconnectSockets); close also ends their connections.
func (s *Server) DisconnectSockets(close bool) { s.main.DisconnectSockets(close) }

// ServerSideEmit sends an event to the main namespace of the other nodes
// (io.serverSideEmit; a no-op with the in-memory adapter).
func (s *Server) ServerSideEmit(event string, args ...any) error {
	return s.main.ServerSideEmit(event, args...)
}

// Timeout sets the ack timeout of a broadcast.
func (s *Server) Timeout(d time.Duration) *BroadcastOperator { return s.main.Timeout(d) }

// ServeHTTP serves the Socket.IO path when the server is mounted in a
// net/http server (slower than ListenAndServe; same protocol).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.eio.ServeHTTP(w, r) }

// ErrServerClosed is what ListenAndServe returns after Shutdown (or Close):
// a graceful stop, not a failure (it is loop.ErrServerClosed).
var ErrServerClosed = loop.ErrServerClosed

// ListenAndServe serves on addr with gnet event loops until Shutdown, then
// returns ErrServerClosed; any other error means it could not serve.
// fallback (optional) serves every other path.
func (s *Server) ListenAndServe(addr string, fallback http.Handler) error {
	cfg := s.opts.Loop
	cfg.Addr, cfg.Fallback = addr, fallback
	cfg.Routes = []loop.Route{{Prefix: s.opts.Path, Server: s.eio}}
	if cfg.Logf == nil { // descriptor exhaustion, engine errors: what an operator must see
		log := s.opts.Logger
		if log == nil {
			log = slog.Default()
		}
		cfg.Logf = func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	}
	ls, err := loop.New(cfg)
	if err != nil {
		return err
	}
	s.lmu.Lock()
	if s.stopped {
		s.lmu.Unlock()
		return loop.ErrServerClosed
	}
	s.loop = ls
	s.lmu.Unlock()
	go func() {
		<-ls.Ready()
		s.ready1.Do(func() { close(s.ready) })
	}()
	return ls.Serve()
}

// Ready is closed once ListenAndServe listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the address ListenAndServe listens on (nil before Ready); with
// port 0 in the address it tells the port chosen.
func (s *Server) Addr() net.Addr {
	s.lmu.Lock()
	ls := s.loop
	s.lmu.Unlock()
	if ls == nil {
		return nil
	}
	select {
	case <-ls.Ready():
		return ls.Addr()
	default:
		return nil
	}
}

// Shutdown disconnects every socket ("server shutting down") and stops a
// server started by ListenAndServe.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Close()
	s.lmu.Lock()
	ls := s.loop
	s.stopped = true
	s.lmu.Unlock()
	if ls != nil {
		if err := ls.Shutdown(ctx); err != nil && !errors.Is(err, loop.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// Close ends every session, stops the timers and closes the namespaces'
// adapters (a cluster adapter leaves the cluster). The server is unusable
// afterwards.
func (s *Server) Close() {
	s.eio.Close() // and the wheel
	if s.pool != nil {
		s.pool.close()
	}
	// Then the adapters (as Node's io.close): a cluster adapter leaves
	// the cluster, so the other nodes stop counting this one.
	s.closeAdapters.Do(func() {
		s.mu.RLock()
		var list []*Namespace
		for _, n := range s.nsps {
			list = append(list, n)
		}
		for _, p := range s.parents {
			list = append(list, p.nsp)
		}
		s.mu.RUnlock()
		for _, n := range list {
			n.adapter.Close()
		}
	})
}
