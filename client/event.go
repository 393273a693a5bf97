package client

import (
	"encoding/json"
	"errors"
	"sync/atomic"

	"github.com/sioloop/sioloop/sio/parser"
)

var errNoArg = errors.New("client: no such argument")

// Args is the list of arguments of an event, or of the answer to an
// acknowledgement, as raw JSON values. A binary argument (a Buffer on the
// Node side) is a placeholder object in its JSON ({"_placeholder":true,
// "num":N}) standing for attachment N; Bytes and Value resolve it.
//
// The bytes of an Args (Raw, Bytes, Attachments, and what Value returns)
// are owned by the receiver: the client never reuses them, so they stay
// valid after the handler returns. They are not copied for each call, so
// a caller that modifies them sees the change in later calls. Methods are
// safe for concurrent use as long as nobody modifies those bytes.
type Args struct {
	raw  [][]byte
	atts [][]byte
}

// Len is the number of arguments.
func (a *Args) Len() int { return len(a.raw) }

// Raw returns the JSON of argument i, or nil past the end. It can be
// re-emitted unchanged as parser.RawJSON.
func (a *Args) Raw(i int) []byte {
	if i < 0 || i >= len(a.raw) {
		return nil
	}
	return a.raw[i]
}

// Decode unmarshals argument i into v with encoding/json. Binary
// placeholders stay objects: use Bytes or Value for those.
func (a *Args) Decode(i int, v any) error {
	r := a.Raw(i)
	if r == nil {
		return errNoArg
	}
	return json.Unmarshal(r, v)
}

// String returns argument i if it is a JSON string.
func (a *Args) String(i int) (string, bool) {
	r := a.Raw(i)
	if s, ok := parser.Unquote(r); ok {
		return string(s), true
	}
	if len(r) == 0 || r[0] != '"' {
		return "", false
	}
	s, err := parser.AppendUnquote(nil, r)
	return string(s), err == nil
}

// Bytes returns the binary attachment argument i stands for, or nil when
// it is not a binary argument.
func (a *Args) Bytes(i int) []byte {
	if len(a.atts) == 0 {
		return nil
	}
	v, err := a.Value(i)
	if err != nil {
		return nil
	}
	b, _ := v.([]byte)
	return b
}

// Value decodes argument i into Go values (map[string]any, []any, float64,
// string, bool, nil) with the attachments ([]byte) in place of binary
// placeholders, at any depth.
func (a *Args) Value(i int) (any, error) {
	r := a.Raw(i)
	if r == nil {
		return nil, errNoArg
	}
	arr := make([]byte, 0, len(r)+2)
	arr = append(append(append(arr, '['), r...), ']')
	vs, err := parser.DecodeArgs(arr, a.atts)
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// Values decodes every argument as Value does.
func (a *Args) Values() ([]any, error) {
	out := make([]any, len(a.raw))
	for i := range a.raw {
		v, err := a.Value(i)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Attachments returns the packet's binary attachments, in placeholder
// order.
func (a *Args) Attachments() [][]byte { return a.atts }

// fill splits the JSON array arr (owned) into arguments, skipping the
// first skip elements (an event's name).
func (a *Args) fill(arr []byte, skip int, atts [][]byte) error {
	a.atts = atts
	a.raw = nil
	if len(arr) == 0 {
		return nil
	}
	it, err := parser.NewArrayIter(arr)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		raw, ok := it.Next()
		if !ok {
			break
		}
		if i >= skip {
			a.raw = append(a.raw, raw)
		}
	}
	return it.Err()
}

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
