package loop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/bytebufferpool"
	"golang.org/x/sys/unix"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/timer"
)

// Route sends every request whose path starts with Prefix to an Engine.IO
// server ("/socket.io/", "/engine.io/").
type Route struct {
	Prefix string
	Server *eio.Server
}

// Config configures a Server. The zero value of every field but Routes is
// valid.
type Config struct {
	// Addr is host:port to listen on (default 127.0.0.1:3000; port 0 picks
	// a free one: read it from Server.Addr after Ready).
	Addr   string
	Routes []Route
	// Fallback serves every other path (nil: 404). It runs on its own
	// goroutine, never on an event loop.
	Fallback http.Handler
	// Loops is the number of event loops (default GOMAXPROCS).
	Loops int
	// MaxHeaderBytes bounds a request's header block (default 16 KiB, as
	// Node's).
	MaxHeaderBytes int
	// HeaderTimeout drops a connection that has not sent a complete request
	// within it (default 10 s): slow-header clients cost nothing for long.
	HeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle between requests
	// (default 5 s, as Node's keepAliveTimeout).
	IdleTimeout time.Duration
	// MaxBody bounds request bodies (default: the largest MaxPayload of the
	// routes). A larger one gets 413: with a Content-Length the body is
	// skipped as it arrives and the connection kept, as Node does; a
	// chunked one closes the connection.
	MaxBody int64
	// MaxOutbound bounds the bytes waiting to be written to one connection
	// (default: the largest MaxBufferedBytes of the routes' servers, 4 MiB):
	// a client that reads slower than the server writes is disconnected
	// past it, so the server never grows without bound.
	MaxOutbound int
	// MaxConnections bounds the open connections: past it a new one gets
	// 503 and is closed, so that the process never runs out of file
	// descriptors (default: RLIMIT_NOFILE less max(64, a fiftieth) for the
	// rest of the process; negative: no bound). If descriptors run out
	// all the same, the server keeps serving the open connections and
	// accepts again as they free up (see accept.go).
	MaxConnections int
	// MaxPartialInput bounds the bytes all connections together hold in
	// large WebSocket frames and request bodies that have not fully
	// arrived (default 256 MiB; see partial.go): past it, the connection
	// holding the most is closed (WebSocket 1013, HTTP 503).
	MaxPartialInput int64
	// Logf receives unexpected errors (default: discarded).
	Logf func(format string, args ...any)
}

// Server runs the gnet engine. Create it with New, run it with Serve.
type Server struct {
	cfg        Config
	lim        Limits
	wheel      *timer.Wheel
	ownWheel   bool // made by New: Serve stops it
	eng        gnet.Engine
	ready      chan struct{}
	served     chan struct{} // closed when Serve returns
	addr       atomic.Pointer[net.TCPAddr]
	loopMu     sync.Mutex
	loops      []*evloop
	conns      atomic.Int64
	refused    atomic.Int64 // connections refused for want of capacity
	volatiles  atomic.Int64 // volatile broadcast frames dropped (VolatileDropped)
	refusedLog atomic.Int64 // when a refusal was last logged (Unix ns)
	parts      partials     // large units being received (partial.go)
	// lfd is a copy of the listening descriptor, kept for takeOverAccept
	// (-1 when none).
	lfd      int
	spare    int         // a descriptor kept to refuse clients with when none is left (-1: none)
	stopping atomic.Bool // Shutdown was called
	tookOver atomic.Bool // takeOverAccept runs
	date     atomic.Pointer[[]byte]
	// frags holds the buffers of fragmented WebSocket messages being
	// reassembled (rare): shared, so idle connections own none.
	frags bytebufferpool.Pool
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("loop: server closed")

// New checks cfg and returns a server ready to Serve. cfg is copied.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:3000"
	}
	if cfg.Loops <= 0 {
		cfg.Loops = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = 10 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Second
	}
	cfg.Routes = append([]Route(nil), cfg.Routes...)
	var maxPayload int64
	var maxBuffered int
	for _, r := range cfg.Routes {
		if !strings.HasPrefix(r.Prefix, "/") || r.Server == nil {
			return nil, fmt.Errorf("loop: bad route %q", r.Prefix)
		}
		o := r.Server.Options()
		maxPayload = max(maxPayload, int64(o.MaxPayload))
		maxBuffered = max(maxBuffered, o.MaxBufferedBytes)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = maxPayload
	}
	if cfg.MaxOutbound <= 0 {
		cfg.MaxOutbound = maxBuffered
	}
	if cfg.MaxOutbound <= 0 {
		cfg.MaxOutbound = 4 << 20
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxPartialInput <= 0 {
		cfg.MaxPartialInput = defaultMaxPartialInput
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = defaultMaxConnections()
	}
	s := &Server{
		lfd:    -1,
		spare:  -1,
		cfg:    cfg,
		lim:    Limits{MaxHeaderBytes: cfg.MaxHeaderBytes, MaxBody: cfg.MaxBody},
		ready:  make(chan struct{}),
		served: make(chan struct{}),
	}
	// The connections' timers (header and idle timeouts) run on the first
	// route's Engine.IO server's timers when there is one (one timer
	// goroutine per server); else on the server's own.
	for _, r := range cfg.Routes {
		if w := timer.Of(r.Server); w != nil {
			s.wheel = w
			break
		}
	}
	if s.wheel == nil {
		s.wheel = timer.New()
		s.ownWheel = true
	}
	s.tickDate()
	return s, nil
}

// ListenAndServe is New followed by Serve.
func ListenAndServe(cfg Config) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	return s.Serve()
}

// Serve runs the event loops until Shutdown. It blocks.
func (s *Server) Serve() error {
	defer close(s.served)
	if s.ownWheel {
		defer s.wheel.Close()
	}
	stopDate := make(chan struct{})
	defer close(stopDate)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopDate:
				return
			case <-t.C:
				s.tickDate()
			}
		}
	}()
	err := gnet.Run(&handler{srv: s}, "tcp://"+s.cfg.Addr,
		gnet.WithNumEventLoop(s.cfg.Loops),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithReuseAddr(true),
		gnet.WithLogger(gnetLogger{s}),
	)
	if s.lfd >= 0 {
		unix.Close(s.lfd)
	}
	if s.spare >= 0 {
		unix.Close(s.spare)
	}
	switch {
	case err != nil:
		return err
	case !s.stopping.Load():
		return ErrStopped
	}
	return ErrServerClosed
}

// Ready is closed once the server listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the listening address (valid after Ready).
func (s *Server) Addr() net.Addr { return s.addr.Load() }

// Conns is the number of open TCP connections.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Refused is the number of connections refused for want of capacity
// (MaxConnections, or no descriptor left), each with 503.
func (s *Server) Refused() int64 { return s.refused.Load() }

// VolatileDropped is the number of volatile broadcast frames dropped
// because their connection still had output waiting for the kernel.
func (s *Server) VolatileDropped() int64 { return s.volatiles.Load() }

// Writes is the number of writes (one write(2) or writev(2) each) the
// event loops made to send queued output: frames sent divided by Writes
// is how many frames a write carries on average (broadcasts and bursts
// coalesce).
func (s *Server) Writes() int64 {
	s.loopMu.Lock()
	defer s.loopMu.Unlock()
	var n int64
	for _, l := range s.loops {
		n += l.writes.Load()
	}
	return n
}

// Shutdown stops the engine: every connection is closed. It returns once
// Serve has returned, or with ctx's error. Any goroutine.
func (s *Server) Shutdown(ctx context.Context) error {
	select {
	case <-s.ready:
	case <-s.served:
		return nil // never booted
	}
	// gnet's Stop polls for the end every 500 ms: only use it to start
	// the shutdown (a done context makes it return at once), and wait for
	// Serve to return instead.
	s.stopping.Store(true) // ends takeOverAccept, if it runs
	now, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.eng.Stop(now); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	select {
	case <-s.served:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

func (s *Server) tickDate() {
	b := []byte(time.Now().UTC().Format(http.TimeFormat))
	s.date.Store(&b)
}

// loopOf returns the evloop for a gnet event loop, creating it on first use.
func (s *Server) loopOf(el gnet.EventLoop) *evloop {
	s.loopMu.Lock()
	defer s.loopMu.Unlock()
	for _, l := range s.loops {
		if l.el == el {
			return l
		}
	}
	l := &evloop{srv: s, el: el}
	l.flushTask = gnet.RunnableFunc(func(context.Context) error { l.flush(); return nil })
	s.loops = append(s.loops, l)
	return l
}

// handler implements gnet.EventHandler.
type handler struct {
	gnet.BuiltinEventEngine
	srv *Server
}

func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	s := h.srv
	s.eng = eng
	if fd, err := eng.Dup(); err == nil {
		enableArrivalStamps(fd) // the dup shares the listening socket
		if sa, err := unix.Getsockname(fd); err == nil {
			if in4, ok := sa.(*unix.SockaddrInet4); ok {
				s.addr.Store(&net.TCPAddr{IP: net.IP(in4.Addr[:]), Port: in4.Port})
			} else if in6, ok := sa.(*unix.SockaddrInet6); ok {
				s.addr.Store(&net.TCPAddr{IP: net.IP(in6.Addr[:]), Port: in6.Port})
			}
		}
		s.lfd = fd // kept for takeOverAccept; closed when Serve returns
		s.spare = openSpare()
	}
	close(s.ready)
	return gnet.None
}

func (h *handler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	s := h.srv
	if m := s.cfg.MaxConnections; m > 0 && s.conns.Load() >= int64(m) {
		n := s.refused.Add(1)
		if now := time.Now().UnixNano(); now-s.refusedLog.Load() > int64(10*time.Second) {
			s.refusedLog.Store(now) // at most one line per 10 s
			s.logf("loop: at MaxConnections (%d): new connections get 503 (%d refused so far)", m, n)
		}
		return resp503, gnet.Close
	}
	l := s.loopOf(gc.EventLoop())
	c := &conn{gc: gc, l: l, arrived: arrivedAt(gc.Fd())}
	if c.arrived < 0 {
		// Nothing waiting yet: the first request reaches the server after
		// now, and no earlier; it may have been sent before anything
		// that happens from now on (see eio.Request.Arrived).
		c.arrived = time.Now().UnixNano()
	}
	c.tm.Init(c)
	gc.SetContext(c)
	s.conns.Add(1)
	s.wheel.Schedule(&c.tm, s.cfg.HeaderTimeout)
	return nil, gnet.None
}

func (h *handler) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, _ := gc.Context().(*conn)
	if c == nil {
		return gnet.None
	}
	h.srv.conns.Add(-1)
	l := c.l
	l.inPass.Store(true)
	defer func() {
		if v := recover(); v != nil {
			h.srv.recovered(c.route, v)
		}
		l.endPass()
	}()
	c.closed(err)
	return gnet.None
}

// OnTraffic parses the input and runs what it asks for, handlers of the
// application included: a panic there is recovered, reported and closes
// this connection only (a user's bug must not take the server down).
func (h *handler) OnTraffic(gc gnet.Conn) (act gnet.Action) {
	c := gc.Context().(*conn)
	l := c.l
	l.inPass.Store(true)
	defer func() {
		if v := recover(); v != nil {
			h.srv.recovered(c.route, v)
			act = gnet.Close
		}
		l.endPass()
	}()
	return c.onTraffic()
}

// recovered reports a panic recovered on an event loop or in the Fallback
// handler: to the Engine.IO server of the connection's route (else of the
// first route), which logs and counts it; with no route, to Config.Logf
// (slog.Default when unset).
func (s *Server) recovered(route *Route, v any) {
	stack := debug.Stack()
	switch {
	case route != nil:
		route.Server.ReportPanic(v, stack)
		return
	case len(s.cfg.Routes) > 0:
		s.cfg.Routes[0].Server.ReportPanic(v, stack)
		return
	}
	if s.cfg.Logf != nil {
		s.cfg.Logf("loop: recovered a panic: %v\n%s", v, stack)
		return
	}
	slog.Default().Error("sioloop: recovered a panic", "panic", fmt.Sprint(v), "stack", string(stack))
}

// gnetLogger sends gnet's warnings and errors to Config.Logf and drops
// its chatter.
type gnetLogger struct{ s *Server }

func (gnetLogger) Debugf(string, ...any)              {}
func (gnetLogger) Infof(string, ...any)               {}
func (l gnetLogger) Warnf(format string, args ...any) { l.s.logf("gnet: "+format, args...) }
func (l gnetLogger) Errorf(format string, args ...any) {
	if l.s.tookOver.Load() && l.s.stopping.Load() {
		return // the engine ends with the takeover's accept error at Shutdown: expected
	}
	l.s.logf("gnet: "+format, args...)
	if err, ok := acceptFailed(format, args); ok && !l.s.stopping.Load() && !l.s.tookOver.Load() {
		l.s.takeOverAccept(err) // returns at Shutdown only
	}
}
func (l gnetLogger) Fatalf(format string, args ...any) { l.s.logf("gnet: fatal: "+format, args...) }
