// Package client is a Socket.IO v4 client (Socket.IO protocol 5 over
// Engine.IO protocol 4) that behaves like the official socket.io-client
// 4.8: HTTP long-polling and WebSocket with the polling → WebSocket
// upgrade, the heartbeat, namespaces multiplexed on one connection,
// events and acknowledgements both ways with binary attachments,
// connect_error with the server's data, automatic reconnection with
// exponential backoff and jitter, buffering of emits while disconnected,
// connection state recovery, and the socket.io-msgpack-parser wire format
// for servers that use it (Options.Parser).
//
// # Shape
//
// A Manager is one Engine.IO connection and its reconnection; a Socket is
// one namespace on it. New makes both for the namespace of a URL:
//
//	s, _ := client.New("http://localhost:3000/admin", nil, &client.SocketOptions{
//		Auth: map[string]any{"token": "abc"},
//	})
//	s.On("chat", func(e *client.Event) { msg, _ := e.String(0); fmt.Println(msg) })
//	s.OnConnect(func(e *client.ConnectEvent) { s.Emit("chat", "hello") })
//	s.Connect()
//
// Unlike the JavaScript client nothing connects before Connect, so that
// no event can reach a Socket before its handlers are registered.
//
// # Goroutines
//
// Every exported method may be called from any goroutine, including from
// handlers. Handlers (of a Manager and all its Sockets, and AckFunc
// callbacks) run one at a time, in the order of the events, on a
// goroutine of the Manager's that exists only while there are callbacks
// to run; a blocked handler delays the later ones, not the connection.
// EmitWithAck does not need that goroutine, so a handler may call it.
// Network I/O runs on goroutines of its own: a WebSocket has a reader and
// a writer; polling has at most one GET and one POST in flight.
// Manager.Close waits for them.
//
// # Bytes
//
// Emit, EmitWithAck and Event.Ack copy their arguments, []byte included:
// the caller may reuse them when the call returns. What the client hands
// out (an Event's or an acknowledgement's Args, ConnectError.Data) is
// owned by the receiver and never reused by the client.
//
// # Differences from the official client
//
// Options are Go structs whose zero value gives the official defaults
// (NoReconnection instead of reconnection: false, and so on). An AckFunc
// is always called, with ErrDisconnected when the connection is lost. The
// retries option and the outgoing-event listeners are not implemented.
// With connection state recovery the server appends an offset to the
// events it can replay; as with the official client, handlers see it as
// the last argument.
package client
