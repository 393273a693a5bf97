package client

// Event values passed to the handlers of a Socket and a Manager. They are
// owned by the handler: they may be kept after it returns.

// ConnectEvent: the socket joined its namespace.
type ConnectEvent struct {
	// ID is the socket id the server assigned (Socket.ID).
	ID string
	// Recovered reports that the server restored the previous session
	// (connection state recovery): same id, rooms, and the missed events,
	// which were delivered before this event.
	Recovered bool
}

// DisconnectEvent: the socket left its namespace, or the Manager's
// connection closed.
type DisconnectEvent struct {
	// Reason is one of the Reason constants.
	Reason string
	// Err is the cause of a transport error, when there is one.
	Err error
}

// OpenEvent: the Manager's Engine.IO connection opened (handshake done).
type OpenEvent struct {
	// SID is the Engine.IO session id.
	SID string
	// Transport is "polling" or "websocket".
	Transport string
}

// ErrorEvent: the Manager's connection failed (an attempt, or later).
type ErrorEvent struct {
	Err error
}

// ReconnectEvent describes a reconnection attempt (OnReconnectAttempt,
// OnReconnectError), its success (OnReconnect) or the end of the attempts
// (OnReconnectFailed).
type ReconnectEvent struct {
	// Attempt counts the attempts of the current series, from 1.
	Attempt int
	// Err is why the attempt failed (OnReconnectError only).
	Err error
}

// PingEvent: the server sent a heartbeat ping (answered automatically).
type PingEvent struct{}

// UpgradeEvent: the connection moved from HTTP long-polling to WebSocket.
type UpgradeEvent struct {
	// Transport is the new transport ("websocket").
	Transport string
}
