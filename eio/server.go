package eio

import (
	"crypto/rand"
	"encoding/base64"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sioloop/sioloop/internal/timer"
)

// Server is an Engine.IO server: it owns sessions and their timers. It does
// not own sockets: a network layer (package loop, or ServeHTTP) parses HTTP
// and calls HandleRequest. All methods are safe from any goroutine.
type Server struct {
	opts   Options
	wheel  *timer.Wheel
	shards [sessionShards]sessionShard
	seed   maphash.Seed
	count  atomic.Int64
	closed atomic.Bool
	onConn func(*Session)
	hooks  Hooks
	comp   compressors
	// sharedExtra caches the polling headers every session shares (CORS "*").
	sharedExtra atomic.Pointer[[]HeaderField]
	lastPath    atomic.Pointer[string] // see internPath
	panics      atomic.Int64           // recovered panics (ReportPanic)
	refusals    [7]atomic.Int64        // refused requests by error code (Refusals)
	trace       bool                   // the logger took Debug at NewServer (log.go)

	openPrefix []byte // `{"sid":"`
	openSuffix []byte // `","upgrades":[...],...}` for polling handshakes
	openWSSuf  []byte // the same with "upgrades":[]
}

// Hooks observe the server; every field is optional. They run on event
// loops: keep them fast.
type Hooks struct {
	// ConnectionError sees every refused request (code, message).
	ConnectionError func(r *Request, err *Error)
	// InitialHeaders returns headers to add to a handshake's answer (the
	// polling open response, or the 101 of a session opened on
	// WebSocket), after the server's own: Node's "initial_headers" event
	// (to set a cookie, say).
	InitialHeaders func(r *Request) []HeaderField
	// Headers returns headers to add to every answer of a session's
	// request that succeeds: the handshake, polling GETs and POSTs, and
	// WebSocket upgrades (Node's "headers" event). For a GET held until
	// there is something to send, it is called when the GET arrives.
	Headers func(r *Request) []HeaderField
	// Upgrade is told that a session moved from polling to WebSocket
	// (Node: the engine socket's "upgrade" event); Session.Transport then
	// says "websocket". It runs on the event loop, with no lock held.
	Upgrade func(s *Session)
	// Open is told of every new session, before its open packet is sent
	// and before OnConnection's callback (Node: the engine's "connection"
	// event). Close is told of every session's end with its reason (Node:
	// the engine socket's "close" event), before the session's handler.
	// Both run with no lock held; sio leaves them to the application.
	Open  func(s *Session)
	Close func(s *Session, reason string)
}

const sessionShards = 16

type sessionShard struct {
	mu sync.RWMutex
	m  map[string]*Session
	// gone holds polling sessions the client closed in the last
	// lingerFor (see Server.lingerLocked); made on first use.
	gone map[string]*Session
}

// NewServer returns a server configured by o (nil: defaults).
func NewServer(o *Options) *Server {
	s := &Server{opts: o.withDefaults(), wheel: timer.New(), seed: maphash.MakeSeed()}
	s.wheel.SetPanicHandler(s.ReportPanic)
	timer.Register(s, s.wheel) // shared by sio and loop: timer.Of(s)
	s.trace = s.debugOn()
	for i := range s.shards {
		s.shards[i].m = make(map[string]*Session)
	}
	s.openPrefix = []byte(`{"sid":"`)
	tail := `,"pingInterval":` + strconv.FormatInt(s.opts.PingInterval.Milliseconds(), 10) +
		`,"pingTimeout":` + strconv.FormatInt(s.opts.PingTimeout.Milliseconds(), 10) +
		`,"maxPayload":` + strconv.Itoa(s.opts.MaxPayload) + `}`
	up := `[]`
	if !s.opts.DisallowUpgrades && s.opts.allows("websocket") {
		up = `["websocket"]`
	}
	s.openSuffix = []byte(`","upgrades":` + up + tail)
	s.openWSSuf = []byte(`","upgrades":[]` + tail)
	return s
}

// Options returns the effective options (defaults applied).
func (s *Server) Options() Options { return s.opts }

// OnConnection sets the callback run for every new session, before its open
// packet is sent. Set it before serving.
func (s *Server) OnConnection(fn func(*Session)) { s.onConn = fn }

// SetHooks installs observation hooks. Set them before serving.
func (s *Server) SetHooks(h Hooks) { s.hooks = h }

// Refusals counts the requests refused so far, by error code: index 0–5
// are the reference's codes (ErrTransportUnknown … ErrUnsupportedProtocol;
// Node's "connection_error" event), index 6 every other code (an
// AllowRequest refusal of the application's own).
func (s *Server) Refusals() [7]int64 {
	var out [7]int64
	for i := range out {
		out[i] = s.refusals[i].Load()
	}
	return out
}

func (s *Server) countRefusal(e *Error) {
	i := e.Code
	if i < 0 || i > 5 {
		i = 6
	}
	s.refusals[i].Add(1)
}

// Count is the number of open sessions.
func (s *Server) Count() int { return int(s.count.Load()) }

// Session returns the open session with id sid, or nil.
func (s *Server) Session(sid string) *Session {
	sh := s.shard(sid)
	sh.mu.RLock()
	ss := sh.m[sid]
	sh.mu.RUnlock()
	return ss
}

func (s *Server) sessionBytes(sid []byte) *Session {
	sh := s.shardBytes(sid)
	sh.mu.RLock()
	ss := sh.m[string(sid)] // no allocation: map lookup with a converted key
	sh.mu.RUnlock()
	return ss
}

// Close ends every session (reason "server shutting down") and stops the
// timers. The server refuses new sessions afterwards.
func (s *Server) Close() {
	if s.closed.Swap(true) {
		return
	}
	var all []*Session
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for _, ss := range sh.m {
			all = append(all, ss)
		}
		sh.mu.RUnlock()
	}
	for _, ss := range all {
		ss.closeWith(ReasonServerShutdown, true)
	}
	s.wheel.Close()
	timer.Unregister(s)
}

func (s *Server) shard(sid string) *sessionShard {
	return &s.shards[maphash.String(s.seed, sid)%sessionShards]
}

func (s *Server) shardBytes(sid []byte) *sessionShard {
	return &s.shards[maphash.Bytes(s.seed, sid)%sessionShards]
}

func (s *Server) add(ss *Session) {
	sh := s.shard(ss.id)
	sh.mu.Lock()
	sh.m[ss.id] = ss
	sh.mu.Unlock()
	s.count.Add(1)
}

// remove drops ss from the live sessions; linger: into the lingering ones,
// in the same step, so that no request finds it in neither (see lingerLocked).
func (s *Server) remove(ss *Session, linger bool) {
	sh := s.shard(ss.id)
	sh.mu.Lock()
	if sh.m[ss.id] == ss {
		delete(sh.m, ss.id)
		s.count.Add(-1)
		if linger && !s.closed.Load() {
			if sh.gone == nil {
				sh.gone = make(map[string]*Session)
			}
			sh.gone[ss.id] = ss
		}
	}
	sh.mu.Unlock()
	if linger {
		ss.mu.Lock()
		s.wheel.Schedule(&ss.hb, lingerFor)
		ss.mu.Unlock()
	}
}

// newID returns 20 characters of URL-safe base64 from crypto/rand.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newSession creates and registers a session for the handshake request r.
func (s *Server) newSession(r *Request, protocol uint8, websocket bool) *Session {
	id := ""
	if s.opts.GenerateID != nil {
		id = s.opts.GenerateID(r)
	}
	if id == "" {
		id = newID()
	}
	ss := &Session{srv: s, id: id, protocol: protocol, websocket: websocket}
	ss.handshake = &Handshake{
		Path:       s.internPath(r.Path),
		RawQuery:   string(r.RawQuery),
		RawHeaders: string(r.RawHeaders),
		RemoteAddr: r.RemoteAddr,
		Time:       time.Now(),
		Secure:     r.Secure,
	}
	return ss
}

// internPath returns p as a string, shared with the previous handshake's
// when equal (nearly always: the endpoint's path), so that sessions do not
// each hold a copy.
func (s *Server) internPath(p []byte) string {
	if last := s.lastPath.Load(); last != nil && *last == string(p) {
		return *last
	}
	str := string(p)
	s.lastPath.Store(&str)
	return str
}

// appendOpen appends the open packet's JSON body.
func (s *Server) appendOpen(dst []byte, sid string, websocket bool) []byte {
	dst = append(dst, s.openPrefix...)
	dst = append(dst, sid...)
	if websocket {
		return append(dst, s.openWSSuf...)
	}
	return append(dst, s.openSuffix...)
}

// lingerFor is how long a polling session closed by the client's close
// packet is remembered (see lingerLocked). Only a GET that reached the
// server before the close gets an answer from it, so the length changes
// no answer, only how late such a GET may be applied: 100 ms was passed
// on a loaded CI machine (race detector, parallel tests), and a closed
// session costs little for a second.
const lingerFor = time.Second

// lingerLocked remembers ss, about to be closed by a close packet in a
// POST while no GET was held, for lingerFor. The GET and the POST of one
// session may arrive on two connections served by two event loops (or
// goroutines), and the one that reached the server first is not always
// the one applied first. A GET that finds the session lingering and that
// arrived before the close was applied (Request.Arrived) is answered as
// if it had been applied first: with the noop that releases a held GET at
// a close. Any other request gets "Session ID unknown", as from the
// reference.
//
// Call it with ss.mu held, before closing ss: the close moves it from the
// live sessions to the lingering ones.
func (s *Server) lingerLocked(ss *Session, closedAt time.Time) {
	ss.lingering = true
	ss.closedAt = closedAt
}

// forget drops a lingering session.
func (s *Server) forget(ss *Session) {
	sh := s.shard(ss.id)
	sh.mu.Lock()
	if sh.gone[ss.id] == ss {
		delete(sh.gone, ss.id)
	}
	sh.mu.Unlock()
}

// lingeringBytes finds a lingering session by sid.
func (s *Server) lingeringBytes(sid []byte) *Session {
	sh := s.shardBytes(sid)
	sh.mu.RLock()
	ss := sh.gone[string(sid)]
	sh.mu.RUnlock()
	return ss
}
