package client

import (
	"context"
	"crypto/tls"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Transport names, for Options.Transports.
const (
	TransportPolling   = "polling"
	TransportWebSocket = "websocket"
)

// Options configures a Manager (one Engine.IO connection and its
// reconnection). The zero value is valid and gives the official client's
// defaults; NewManager works on a copy and never modifies the caller's
// value (nor the maps and slices it points to).
type Options struct {
	// Path of the Socket.IO endpoint (default "/socket.io/").
	Path string
	// Query holds extra query parameters sent with every request.
	Query url.Values
	// Header holds extra request headers, sent with the polling requests
	// and the WebSocket handshake (the official client's extraHeaders).
	Header http.Header
	// Transports to use, in order (default: polling, then websocket). The
	// connection opens with the first one; with polling first, the client
	// upgrades to WebSocket when the server offers it.
	Transports []string
	// NoUpgrade keeps the first transport (official option upgrade: false).
	NoUpgrade bool
	// RememberUpgrade opens the WebSocket directly on a reconnection once
	// one upgrade succeeded on this Manager.
	RememberUpgrade bool

	// Timeout bounds each connection attempt, from its start to the
	// Engine.IO handshake (default 20 s; negative: no limit). It also
	// bounds a WebSocket dial and an HTTP POST.
	Timeout time.Duration

	// NoReconnection turns automatic reconnection off.
	NoReconnection bool
	// ReconnectionAttempts limits the attempts of one series (0: no limit).
	ReconnectionAttempts int
	// ReconnectionDelay is the delay before the first attempt (default 1 s);
	// it doubles at every attempt, up to ReconnectionDelayMax (default 5 s).
	ReconnectionDelay    time.Duration
	ReconnectionDelayMax time.Duration
	// RandomizationFactor is the jitter of each delay, in [0, 1]: the delay
	// moves randomly by up to that fraction (default 0.5; negative: none).
	RandomizationFactor float64

	// TLSConfig is used for https:// and wss:// (nil: defaults).
	TLSConfig *tls.Config
	// DialContext opens the TCP connections of the WebSocket transport,
	// and of polling when HTTPClient is nil (nil: a net.Dialer).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// HTTPClient sends the polling requests (nil: a client of the
	// Manager's own, whose idle connections Manager.Close closes).
	HTTPClient *http.Client
	// MaxMessage bounds one message received from the server: a WebSocket
	// message or a polling response body (default 100 MiB, as the Node.js
	// ws client). The server's maxPayload, from the handshake, bounds what
	// the client sends in one polling request.
	MaxMessage int
	// Parser is the wire format of Socket.IO packets, which must be the
	// server's: ParserDefault, or ParserMsgpack for a server using
	// socket.io-msgpack-parser (the official client's parser option).
	Parser Parser
}

// SocketOptions configures one namespace's Socket. The zero value is valid.
type SocketOptions struct {
	// Auth is the CONNECT payload (official option auth): a value that
	// encodes to a JSON object, such as map[string]any or a struct. It is
	// encoded once, by Manager.Socket.
	Auth any
	// AuthFunc, if set, is called before every CONNECT (each connection
	// and reconnection) for the payload instead of Auth, on the Manager's
	// callback goroutine. It must not block for long.
	AuthFunc func() any
	// AckTimeout is the default acknowledgement timeout of every Emit
	// with an ack callback and of EmitWithAck (0: none; Timeout overrides
	// it per emit).
	AckTimeout time.Duration
	// DropWhileDisconnected makes Emit fail with ErrNotConnected while the
	// socket is disconnected. By default, as the official client, emits
	// are buffered and sent when the socket (re)connects.
	DropWhileDisconnected bool
}

const (
	defaultPath          = "/socket.io/"
	defaultTimeout       = 20 * time.Second
	defaultDelay         = time.Second
	defaultDelayMax      = 5 * time.Second
	defaultJitter        = 0.5
	defaultMaxMessage    = 100 << 20
	defaultWriteDeadline = 20 * time.Second
)

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Path == "" {
		c.Path = defaultPath
	}
	if c.Path[0] != '/' {
		c.Path = "/" + c.Path
	}
	if c.Path[len(c.Path)-1] != '/' {
		c.Path += "/"
	}
	c.Query = maps.Clone(c.Query)
	c.Header = c.Header.Clone()
	if c.Transports == nil {
		c.Transports = []string{TransportPolling, TransportWebSocket}
	} else {
		c.Transports = slices.DeleteFunc(slices.Clone(c.Transports), func(s string) bool {
			return s != TransportPolling && s != TransportWebSocket
		})
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.ReconnectionDelay <= 0 {
		c.ReconnectionDelay = defaultDelay
	}
	if c.ReconnectionDelayMax <= 0 {
		c.ReconnectionDelayMax = defaultDelayMax
	}
	switch {
	case c.RandomizationFactor == 0:
		c.RandomizationFactor = defaultJitter
	case c.RandomizationFactor < 0:
		c.RandomizationFactor = 0
	case c.RandomizationFactor > 1:
		c.RandomizationFactor = 1
	}
	if c.MaxMessage <= 0 {
		c.MaxMessage = defaultMaxMessage
	}
	return c
}

// writeDeadline bounds one write to a WebSocket connection.
func (o *Options) writeDeadline() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return defaultWriteDeadline
}
