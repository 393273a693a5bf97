package sio

import (
	"sync"

	"github.com/sioloop/sioloop/sio/parser"
)

// Args is a list of event arguments (or an acknowledgement's answer) as
// raw JSON values and binary attachments (see parser.Args). The server
// lends them: unless Cloned, the bytes are valid only until the handler or
// callback that received them returns. Passing &e.Args to Emit or Ack
// relays them unchanged.
type Args = parser.Args

// Event is one incoming event. It and its bytes are valid until the
// handler returns (in Workers mode they are owned copies).
type Event struct {
	Args
	// Socket is the socket that received the event.
	Socket *Socket
	name   string
	ackID  int64
	acked  bool
}

// Name is the event name.
func (e *Event) Name() string { return e.name }

// HasAck reports whether the client asked for an acknowledgement.
func (e *Event) HasAck() bool { return e.ackID >= 0 }

// Ack answers the client's acknowledgement request (once; later calls
// and calls without a request are no-ops). Arguments as for Emit.
func (e *Event) Ack(args ...any) error {
	if e.ackID < 0 || e.acked {
		return nil
	}
	e.acked = true
	return e.Socket.sendAck(e.ackID, args)
}

// Acker hands the acknowledgement over to a function that may answer
// after the handler returned, from any goroutine (Node: keeping the
// callback for later), once; Ack on e is a no-op afterwards. nil when the
// client asked for none or the answer was already given.
func (e *Event) Acker() func(args ...any) error {
	if e.ackID < 0 || e.acked {
		return nil
	}
	e.acked = true
	s, id := e.Socket, e.ackID
	var once sync.Once
	return func(args ...any) (err error) {
		once.Do(func() { err = s.sendAck(id, args) })
		return err
	}
}
