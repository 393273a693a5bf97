package client

import (
	"sync/atomic"

	"github.com/sioloop/sioloop/sio/parser"
)

// Args is the list of arguments of an event, or of the answer to an
// acknowledgement, as raw JSON values and binary attachments (see
// parser.Args; Bytes and Value resolve binary placeholders).
//
// The client gives an Args to its receiver for good: it never reuses the
// bytes, so they stay valid after the handler returns. Methods are safe
// for concurrent use as long as nobody modifies those bytes.
type Args = parser.Args

// Event is one event received from the server. Its Args are owned by the
// handler (see Args).
type Event struct {
	Args
	name  string
	sock  *Socket
	ackID int64 // -1: no acknowledgement asked
	acked atomic.Bool
}

// EventHandler handles one event.
type EventHandler func(e *Event)

// Name is the event name.
func (e *Event) Name() string { return e.name }

// Socket is the socket that received the event.
func (e *Event) Socket() *Socket { return e.sock }

// HasAck reports whether the server asked for an acknowledgement.
func (e *Event) HasAck() bool { return e.ackID >= 0 }

// Ack answers the server's acknowledgement request with args (encoded as
// for Emit). Only the first call sends; later calls, and calls when no
// acknowledgement was asked, do nothing. It may be called after the
// handler returned, from any goroutine.
func (e *Event) Ack(args ...any) error {
	if e.ackID < 0 || !e.acked.CompareAndSwap(false, true) {
		return nil
	}
	text, atts, err := parser.AppendAck(nil, e.sock.nsp, e.ackID, args, nil)
	if err != nil {
		e.acked.Store(false)
		return err
	}
	atts = ownAttachments(atts)
	m := e.sock.m
	m.mu.Lock()
	m.writePacket(text, atts)
	m.mu.Unlock()
	return nil
}

// ownAttachments copies the attachments, which alias the caller's slices.
func ownAttachments(atts [][]byte) [][]byte {
	if len(atts) == 0 {
		return nil
	}
	out := make([][]byte, len(atts))
	for i, a := range atts {
		out[i] = append(make([]byte, 0, len(a)), a...)
	}
	return out
}
