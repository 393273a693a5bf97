package parser

import (
	"errors"

	"github.com/bytedance/sonic"
)

// ErrNoArg is returned for an argument index past the end.
var ErrNoArg = errors.New("sio: no such argument")

// Args is a list of received arguments (an event's, or an
// acknowledgement's answer) as raw JSON values, with the binary
// attachments their placeholders ({"_placeholder":true,"num":N}) stand
// for. Who owns the bytes depends on who hands the Args out: the server
// (package sio) lends them until the handler returns; the Go client gives
// them to the handler for good. Clone makes an owned copy.
//
// An *Args is an ArgList: passed among the arguments of AppendEvent (and
// so of sio's and the client's Emit and Ack), it expands to its arguments,
// relayed unchanged.
type Args struct {
	raw   [][]byte
	atts  [][]byte
	small [6][]byte // backing of raw for short lists: no allocation
}

// Len is the number of arguments.
func (a *Args) Len() int { return len(a.raw) }

// Raw returns the JSON of argument i (nil past the end).
func (a *Args) Raw(i int) []byte {
	if i < 0 || i >= len(a.raw) {
		return nil
	}
	return a.raw[i]
}

// Member returns the raw JSON of member key of argument i, an object (nil
// when absent), without decoding the argument.
func (a *Args) Member(i int, key string) []byte {
	r, _ := Member(a.Raw(i), key)
	return r
}

// RawArgs returns the raw JSON of every argument (ArgList).
func (a *Args) RawArgs() [][]byte { return a.raw }

// Attachments returns the binary attachments, in placeholder order
// (ArgList).
func (a *Args) Attachments() [][]byte { return a.atts }

// Decode unmarshals argument i into v. Binary placeholders stay objects:
// use Bytes or Value for arguments that carry buffers.
func (a *Args) Decode(i int, v any) error {
	r := a.Raw(i)
	if r == nil {
		return ErrNoArg
	}
	return sonic.ConfigStd.Unmarshal(r, v)
}

// String returns argument i when it is a JSON string.
func (a *Args) String(i int) (string, bool) {
	r := a.Raw(i)
	if s, ok := Unquote(r); ok {
		return string(s), true
	}
	if len(r) < 2 || r[0] != '"' {
		return "", false
	}
	s, err := AppendUnquote(nil, r)
	return string(s), err == nil
}

// Bytes returns the binary attachment that argument i stands for, or nil
// when it is not a placeholder.
func (a *Args) Bytes(i int) []byte {
	n, ok := PlaceholderNum(a.Raw(i))
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
		return nil, ErrNoArg
	}
	return DecodeValue(r, a.atts)
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

// Reset empties a, keeping its storage.
func (a *Args) Reset() {
	clear(a.small[:])
	a.raw = a.small[:0]
	a.atts = nil
}

// Fill sets a to the elements of the JSON array arr (after the first skip
// ones: an event's name) and the attachments atts. The elements alias arr;
// nothing is copied. An empty arr gives no arguments.
func (a *Args) Fill(arr []byte, skip int, atts [][]byte) error {
	a.Reset()
	a.atts = atts
	if len(arr) == 0 {
		return nil
	}
	it, err := NewArrayIter(arr)
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
