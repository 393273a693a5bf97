package sio

// The argument accessors of Event. They are Args's, restated here so that
// the documentation of Event lists them (promoted methods of an embedded
// type from another package do not show in go doc); each is inlined.

// Len is the number of arguments.
func (e *Event) Len() int { return e.Args.Len() }

// String returns argument i when it is a JSON string, unquoted.
func (e *Event) String(i int) (string, bool) { return e.Args.String(i) }

// Decode unmarshals argument i into v. Binary placeholders stay objects:
// use Bytes or Value for arguments that carry buffers.
func (e *Event) Decode(i int, v any) error { return e.Args.Decode(i, v) }

// Value decodes argument i into Go values (map[string]any, []any,
// float64, string, bool, nil), with []byte in place of binary
// placeholders at any depth.
func (e *Event) Value(i int) (any, error) { return e.Args.Value(i) }

// Values decodes every argument as Value does.
func (e *Event) Values() ([]any, error) { return e.Args.Values() }

// Raw returns argument i as raw JSON (a placeholder for an attachment);
// valid until the handler returns.
func (e *Event) Raw(i int) []byte { return e.Args.Raw(i) }

// RawArgs returns every argument as raw JSON.
func (e *Event) RawArgs() [][]byte { return e.Args.RawArgs() }

// Bytes returns the binary attachment argument i stands for, or nil when
// it is not a placeholder.
func (e *Event) Bytes(i int) []byte { return e.Args.Bytes(i) }

// Member returns the raw JSON of member key of argument i, an object (nil
// when absent), without decoding the argument.
func (e *Event) Member(i int, key string) []byte { return e.Args.Member(i, key) }

// Attachments returns the binary attachments of the event.
func (e *Event) Attachments() [][]byte { return e.Args.Attachments() }

// Clone returns an owned copy of the arguments, valid after the handler
// returns.
func (e *Event) Clone() *Args { return e.Args.Clone() }
