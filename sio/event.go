package sio

import (
	"github.com/bytedance/sonic"
	"github.com/sioloop/sioloop/sio/parser"
)

// Args is a list of event arguments (or an acknowledgement's answer) as
// raw JSON values. Unless Cloned, the bytes are valid only until the
// handler or callback that received them returns.
type Args struct {
	raw   [][]byte
	atts  [][]byte // binary attachments, for placeholders
	small [6][]byte
}

// Len is the number of arguments.
func (a *Args) Len() int { return len(a.raw) }

// Raw returns the JSON of argument i (nil past the end). Re-emitting it as
// RawJSON costs no decode or encode.
func (a *Args) Raw(i int) []byte {
	if i < 0 || i >= len(a.raw) {
		return nil
	}
	return a.raw[i]
}

// Decode unmarshals argument i into v. Binary placeholders stay objects:
// use Value or Bytes for arguments that carry buffers.
func (a *Args) Decode(i int, v any) error {
	r := a.Raw(i)
	if r == nil {
		return errNoArg
	}
	return sonic.ConfigStd.Unmarshal(r, v)
}

// String returns argument i when it is a JSON string.
func (a *Args) String(i int) (string, bool) {
	r := a.Raw(i)
	if len(r) < 2 || r[0] != '"' {
		return "", false
	}
	b, err := parser.AppendUnquote(nil, r)
	return string(b), err == nil
}

// Bytes returns the binary attachment that argument i stands for, or nil.
func (a *Args) Bytes(i int) []byte {
	n, ok := parser.PlaceholderNum(a.Raw(i))
	if !ok || n >= len(a.atts) {
		return nil
	}
	return a.atts[n]
}

// Value decodes argument i into Go values (map[string]any, []any,
// float64, string, bool, nil), with []byte in place of binary
// placeholders at any depth.
func (a *Args) Value(i int) (any, error) {
	r := a.Raw(i)
	if r == nil {
		return nil, errNoArg
	}
	return parser.DecodeValue(r, a.atts)
}

// Attachments returns the binary attachments of the packet.
func (a *Args) Attachments() [][]byte { return a.atts }

// RawArgs returns the raw JSON of every argument; with Attachments it
// makes *Args a parser.ArgList, so that passing &e.Args to Emit or Ack
// relays the arguments unchanged.
func (a *Args) RawArgs() [][]byte { return a.raw }

// Clone returns a copy that owns its bytes.
func (a *Args) Clone() *Args {
	c := &Args{}
	for _, r := range a.raw {
		c.raw = append(c.raw, append([]byte(nil), r...))
	}
	for _, b := range a.atts {
		c.atts = append(c.atts, append([]byte(nil), b...))
	}
	return c
}

func (a *Args) reset() {
	for i := range a.small {
		a.small[i] = nil
	}
	a.raw = a.small[:0]
	a.atts = nil
}

// fill splits a raw JSON array into arguments, skipping the first skip
// elements (the event name).
func (a *Args) fill(arr []byte, skip int, atts [][]byte) error {
	a.reset()
	a.atts = atts
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
