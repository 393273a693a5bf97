package client

import (
	"errors"
	"strconv"
)

// Disconnect reasons, as the official client reports them in its
// "disconnect" event (DisconnectEvent.Reason) and the Manager's "close"
// event.
const (
	// The server disconnected the socket from its namespace
	// (socket.disconnect() on the server). The client does not reconnect.
	ReasonServerDisconnect = "io server disconnect"
	// Socket.Disconnect was called. The client does not reconnect.
	ReasonClientDisconnect = "io client disconnect"
	// No ping arrived within pingInterval + pingTimeout.
	ReasonPingTimeout = "ping timeout"
	// The connection was closed (the server went away, or a close packet).
	ReasonTransportClose = "transport close"
	// The connection failed (an HTTP request or the WebSocket failed).
	ReasonTransportError = "transport error"
	// The server sent a packet the client could not decode.
	ReasonParseError = "parse error"
	// Manager.Close was called, or the last socket disconnected.
	ReasonForcedClose = "forced close"
)

// Errors reported to acknowledgement callbacks, EmitWithAck and Emit.
var (
	// ErrAckTimeout: the server did not acknowledge within the timeout
	// (the official client's "operation has timed out").
	ErrAckTimeout = errors.New("client: operation has timed out")
	// ErrDisconnected: the socket disconnected before the acknowledgement
	// arrived ("socket has been disconnected").
	ErrDisconnected = errors.New("client: socket has been disconnected")
	// ErrNotConnected: Emit on a disconnected socket whose
	// SocketOptions.DropWhileDisconnected is set.
	ErrNotConnected = errors.New("client: socket is not connected")
	// ErrReservedEvent: Emit of connect, connect_error, disconnect,
	// disconnecting, newListener or removeListener.
	ErrReservedEvent = errors.New("client: reserved event name")
	// ErrTimeout: a connection attempt did not complete within
	// Options.Timeout (the official client's "timeout").
	ErrTimeout = errors.New("client: timeout")
	// ErrNoTransports: Options.Transports names no known transport.
	ErrNoTransports = errors.New("client: no transports available")
	// ErrAuth: SocketOptions.Auth does not encode to a JSON object.
	ErrAuth = errors.New("client: auth is not a JSON object")
)

// TransportError is a failure of the Engine.IO transport. Reason is the
// official client's description: "xhr poll error", "xhr post error",
// "websocket error", "server error" (a packet that does not decode),
// "probe error". StatusCode is the HTTP status when the server answered a
// request with an error (Body then holds the start of its body, owned by
// the error); Err is the underlying error, if any.
type TransportError struct {
	Reason     string
	StatusCode int
	Body       []byte
	Err        error
}

// Error implements error.
func (e *TransportError) Error() string {
	s := "client: " + e.Reason
	if e.StatusCode != 0 {
		s += ": HTTP " + strconv.Itoa(e.StatusCode)
		if len(e.Body) > 0 {
			s += " " + string(e.Body)
		}
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Err.
func (e *TransportError) Unwrap() error { return e.Err }

// ConnectError is what a socket's OnConnectError handlers receive: either
// the server refused the namespace (a CONNECT_ERROR packet: Message and
// Data are the server's, Err is nil), or the connection failed before the
// socket was connected (Err is the cause, Message its text).
type ConnectError struct {
	// Message is the server's message ("Invalid namespace", the error a
	// middleware refused with) or Err's text.
	Message string
	// Data is the raw JSON of the server's "data" field, nil when absent.
	// It is owned by the ConnectError.
	Data []byte
	// Err is the transport-level cause (*TransportError, ErrTimeout...),
	// nil for a refusal by the server.
	Err error
}

// Error implements error.
func (e *ConnectError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return "client: connect error: " + e.Message
}

// Unwrap returns Err.
func (e *ConnectError) Unwrap() error { return e.Err }
