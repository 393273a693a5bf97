package eio

import (
	"log/slog"
	"net/http"
	"time"
)

// Options configures a Server. The zero value is valid: every zero field
// takes the Node.js engine.io default. NewServer copies the struct and never
// mutates the caller's value.
type Options struct {
	// PingInterval is the delay between server pings (default 25 s).
	PingInterval time.Duration
	// PingTimeout is how long the server waits for a pong (default 20 s).
	PingTimeout time.Duration
	// UpgradeTimeout bounds a polling → WebSocket upgrade (default 10 s).
	UpgradeTimeout time.Duration
	// MaxPayload is the largest Engine.IO message (WebSocket) or polling
	// body accepted, in bytes (default 1,000,000). It is announced in the
	// handshake.
	MaxPayload int
	// Transports allowed; nil means both "polling" and "websocket".
	Transports []string
	// DisallowUpgrades turns off the polling → WebSocket upgrade.
	DisallowUpgrades bool
	// AllowEIO3 accepts Engine.IO protocol 3 clients (socket.io-client 2.x).
	AllowEIO3 bool
	// CORS, when non-nil, adds CORS headers and answers preflight requests.
	CORS *CORSOptions
	// Cookie, when non-nil, sets a session cookie on the polling handshake.
	Cookie *CookieOptions
	// AllowRequest, when set, is called for every handshake (not for
	// requests on an existing session); a non-nil error refuses it with
	// 403 {"code":4,"message":"Forbidden"} (or the error's *Error code).
	// It runs on the event loop: keep it fast.
	AllowRequest func(r *Request) error
	// AllowRequestAsync, when set, is the asynchronous form (Node's
	// allowRequest(req, callback)), for checks that need I/O: it gets a
	// copy of the handshake request that stays valid, and calls done
	// exactly once, from any goroutine, with nil to accept or an error to
	// refuse (as for AllowRequest). The event loop goes on meanwhile. A
	// polling handshake is answered when done is called; a WebSocket
	// handshake is upgraded at once and its session starts at done(nil);
	// refused, it is closed with 1008 (Node answers 403 before upgrading).
	// It runs after AllowRequest, if both are set.
	AllowRequestAsync func(r *Request, done func(error))
	// GenerateID, when set, makes the session id of a handshake (Node:
	// engine.generateId). It must be unique among open sessions, URL-safe
	// and hard to guess (the id is a polling session's only credential);
	// an empty result falls back to the default, 15 random bytes from
	// crypto/rand in base64url. It runs on the event loop.
	GenerateID func(r *Request) string
	// Fallback, when set, may answer a request under the Engine.IO path
	// that is not an Engine.IO request (no transport parameter), instead
	// of the 400 "Transport unknown" error; a nil Response refuses it as
	// usual. It runs on the event loop. sio.Options.ServeClient uses it to
	// serve the browser client.
	Fallback func(r *Request) *Response
	// Logger receives what an operator must know: recovered panics of
	// application code, with their stacks (Error), sessions cut off as
	// slow consumers (Info); and, when it takes Debug records at NewServer,
	// a trace of refused requests, sessions opened and closed, and every
	// packet (like Node's DEBUG=engine*). Nil: slog.Default().
	Logger *slog.Logger
	// OnPanic, when set, is called with every panic of application code
	// the server recovered (a handler, a hook, a callback), after the
	// connection or socket concerned was closed and the panic logged. The
	// server goes on; an application that prefers to crash can exit here.
	OnPanic func(v any, stack []byte)
	// InitialPacket is an optional message sent right after the open packet.
	InitialPacket []byte
	// MaxBufferedBytes bounds the output that may wait on the server for
	// one session (default 4 MiB): packets queued for a polling session's
	// next GET here, and in package loop the bytes a WebSocket connection
	// has not yet taken (loop.Config.MaxOutbound defaults to it). A session
	// that would pass it is a slow consumer: its queue is dropped and it is
	// closed with ReasonSlowConsumer. Volatile packets are dropped long
	// before (whenever the transport is not writable).
	MaxBufferedBytes int
	// CompressionThreshold: polling responses of at least this many bytes
	// are gzip- or deflate-compressed when the request allows it (default
	// 1024, as the reference); negative turns compression off.
	CompressionThreshold int
}

// CORSOptions mirrors the cors package options of the Node server.
type CORSOptions struct {
	// Origins allowed; "*" allows any origin. Empty means "*".
	Origins []string
	// Credentials adds Access-Control-Allow-Credentials: true.
	Credentials bool
	// Methods for preflight answers (default GET,HEAD,PUT,PATCH,POST,DELETE).
	Methods string
	// AllowedHeaders for preflight; empty reflects Access-Control-Request-Headers.
	AllowedHeaders string
	// ExposedHeaders, MaxAge: as the Access-Control-* headers.
	ExposedHeaders string
	MaxAge         int
}

// CookieOptions configures the session cookie (default name "io").
type CookieOptions struct {
	Name     string
	Path     string // default "/"
	HTTPOnly bool   // default true when Path is empty
	SameSite http.SameSite
}

const (
	defaultPingInterval   = 25 * time.Second
	defaultPingTimeout    = 20 * time.Second
	defaultUpgradeTimeout = 10 * time.Second
	defaultMaxPayload     = 1_000_000
	defaultMaxBuffered    = 4 << 20
)

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.PingInterval <= 0 {
		c.PingInterval = defaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = defaultPingTimeout
	}
	if c.UpgradeTimeout <= 0 {
		c.UpgradeTimeout = defaultUpgradeTimeout
	}
	if c.CompressionThreshold == 0 {
		c.CompressionThreshold = 1024
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = defaultMaxPayload
	}
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = defaultMaxBuffered
	}
	if c.Transports == nil {
		c.Transports = []string{"polling", "websocket"}
	} else {
		c.Transports = append([]string(nil), c.Transports...)
	}
	if c.CORS != nil {
		cors := *c.CORS
		if len(cors.Origins) == 0 {
			cors.Origins = []string{"*"}
		}
		if cors.Methods == "" {
			cors.Methods = "GET,HEAD,PUT,PATCH,POST,DELETE"
		}
		c.CORS = &cors
	}
	if c.Cookie != nil {
		ck := *c.Cookie
		if ck.Name == "" {
			ck.Name = "io"
		}
		if ck.Path == "" {
			ck.Path = "/"
			ck.HTTPOnly = true
		}
		if ck.SameSite == 0 {
			ck.SameSite = http.SameSiteLaxMode
		}
		c.Cookie = &ck
	}
	return c
}

func (o *Options) allows(transport string) bool {
	for _, t := range o.Transports {
		if t == transport {
			return true
		}
	}
	return false
}
