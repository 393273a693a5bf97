package sio

import (
	"io/fs"
	"log/slog"
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/loop"
)

// Options configures a Server. The zero value is valid (the Node.js
// socket.io defaults); NewServer works on a copy.
type Options struct {
	// Path of the Socket.IO endpoint (default "/socket.io/").
	Path string
	// EIO configures the Engine.IO layer (ping, payload size, CORS...).
	EIO eio.Options
	// ConnectTimeout closes an Engine.IO session that has joined no
	// namespace within it (default 45 s).
	ConnectTimeout time.Duration
	// MaxAttachments bounds the binary attachments of one packet (default
	// 10). With ParserMsgpack binary values are inline and only
	// EIO.MaxPayload bounds them, as in Node.
	MaxAttachments int
	// MaxNamespaces bounds the namespaces one connection may join at once
	// (default 100; Node has no bound): a CONNECT past it gets a
	// CONNECT_ERROR "Too many namespaces" and the connection stays.
	MaxNamespaces int
	// EventRate, when positive, bounds the events (EVENT and BINARY_EVENT
	// packets) one connection may send per second, all its namespaces
	// together: a token bucket refilled at EventRate per second holding at
	// most EventBurst (default: EventRate, at least 1). An event past it is
	// a flood: counted (FloodCount), passed to OnFlood, and then dropped
	// (FloodDrop, the default) or the connection is disconnected with
	// ReasonFlood (FloodDisconnect). Acks and CONNECTs are not counted.
	// Off by default, as in Node, which has no such limit.
	EventRate   float64
	EventBurst  int
	FloodAction FloodAction
	// OnFlood, when set, is told of every event refused by EventRate
	// (before FloodAction applies), on the connection's goroutine.
	OnFlood func(s *Socket, event string)
	// LowWaterMark is the buffered output (Socket.Buffered) at or below
	// which a socket whose TryEmit was refused is told it may send again
	// (Socket.OnDrain). Default: a quarter of EIO.MaxBufferedBytes.
	LowWaterMark int
	// Recovery, when non-nil, enables connection state recovery.
	Recovery *RecoveryOptions
	// Adapter builds each namespace's adapter (default: in memory).
	Adapter func(nsp *Namespace) Adapter
	// Parser is the wire format of Socket.IO packets for the whole server
	// (Node's parser option): ParserDefault (the zero value), or
	// ParserMsgpack for clients created with the npm package
	// socket.io-msgpack-parser. Both ends must use the same one; handlers,
	// adapters and the Redis adapter's cluster see the same data either way.
	Parser Parser
	// Workers > 0 runs event handlers on a pool of that many goroutines,
	// keeping each socket's order, instead of on the event loop. Use it when
	// handlers block.
	Workers int
	// ServeClient, when set, serves the official browser client at the
	// Node server's paths under Path (socket.io.js, socket.io.min.js,
	// socket.io.msgpack.min.js, socket.io.esm.min.js and their .map
	// files), read from this FS: typically os.DirFS of the dist/ folder
	// of the npm package socket.io-client, installed by the application.
	// Files are read once and kept; answers carry an ETag (304 on a
	// match) and are gzipped when the client accepts it. Nil (the
	// default): those paths get Engine.IO's 400, as with Node's
	// serveClient: false.
	ServeClient fs.FS
	// Logger receives recovered panics with their stacks (Error), sessions
	// cut off as slow consumers (Info), what the event loops must report
	// (descriptors running out: Warn); and, when it takes Debug records at
	// NewServer, a trace like Node's DEBUG=socket.io*,engine*: refused
	// requests, sessions and sockets opened and closed with their reasons,
	// refused CONNECTs, protocol violations, and every packet. Nothing is
	// logged per packet above Debug. Nil: slog.Default(). It is EIO.Logger
	// unless that is set.
	Logger *slog.Logger
	// OnPanic, when set, is called with every panic of application code
	// the server recovered (a handler, a middleware, a callback, a hook),
	// after the socket concerned was disconnected (ReasonHandlerPanic) and
	// the panic logged. The server goes on serving everyone else; an
	// application that prefers to crash can exit from here. It is
	// EIO.OnPanic unless that is set.
	OnPanic func(v any, stack []byte)
	// Loop configures the event loops of ListenAndServe: their number
	// (Loops, default GOMAXPROCS), the HTTP limits and timeouts, the
	// per-connection output bound (see loop.Config). Addr, Routes and
	// Fallback are set by ListenAndServe and ignored here.
	Loop loop.Config
}

// RecoveryOptions configures connection state recovery.
type RecoveryOptions struct {
	// MaxDisconnectionDuration is how long a disconnected socket's state
	// is kept (default 2 minutes).
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the namespace middlewares again on a successful
	// recovery. By default they are skipped, as with Node's
	// skipMiddlewares: true (the default there).
	RunMiddlewares bool
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Path == "" {
		c.Path = "/socket.io/"
	}
	if c.Path[len(c.Path)-1] != '/' {
		c.Path += "/"
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 45 * time.Second
	}
	if c.MaxAttachments <= 0 {
		c.MaxAttachments = 10
	}
	if c.EIO.Logger == nil {
		c.EIO.Logger = c.Logger
	}
	if c.EIO.OnPanic == nil {
		c.EIO.OnPanic = c.OnPanic
	}
	if c.EventRate > 0 && c.EventBurst <= 0 {
		c.EventBurst = max(1, int(c.EventRate))
	}
	if c.LowWaterMark <= 0 {
		max := c.EIO.MaxBufferedBytes
		if max <= 0 {
			max = 4 << 20 // eio's default
		}
		c.LowWaterMark = max / 4
	}
	if c.MaxNamespaces <= 0 {
		c.MaxNamespaces = 100
	}
	if c.Recovery != nil {
		r := *c.Recovery
		if r.MaxDisconnectionDuration <= 0 {
			r.MaxDisconnectionDuration = 2 * time.Minute
		}
		c.Recovery = &r
	}
	return c
}
