package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// ScenarioFile is a custom event mix, read from a JSON file:
//
//	{
//	  "name": "chat",
//	  "conns": 200,                     // defaults for the flags; flags given win
//	  "rate": 2000,                     // ops/s over all connections; 0 = closed loop
//	  "duration": "10s", "warmup": "1s", "inflight": 1,
//	  "join": ["lobby"],                // rooms every connection joins first (join with ack)
//	  "events": [
//	    {"name": "echo",    "weight": 6, "payload": 100, "reply": "echo"},
//	    {"name": "echoack", "weight": 3, "payload": 100, "ack": true},
//	    {"name": "toroom",  "weight": 1, "payload": 50, "fields": {"room": "lobby"}}
//	  ]
//	}
//
// Each op picks an event by weight and emits it with one object argument:
// the event's fields, then "t" (the send time), "c" (the connection) and "p"
// (a string of payload bytes). An op with "ack" completes with its
// acknowledgement; one with "reply" completes when that event comes back to
// the sending connection carrying its "c"; others are fire-and-forget (they
// need a rate). Every event received that carries "t" counts as a delivery
// of its name, with its latency from "t".
type ScenarioFile struct {
	Name     string      `json:"name"`
	Conns    int         `json:"conns,omitempty"`
	Rate     float64     `json:"rate,omitempty"`
	Duration Duration    `json:"duration,omitempty"`
	Warmup   Duration    `json:"warmup,omitempty"`
	InFlight int         `json:"inflight,omitempty"`
	Join     []string    `json:"join,omitempty"`
	Events   []EventSpec `json:"events"`
}

// EventSpec is one event of a ScenarioFile mix.
type EventSpec struct {
	Name    string         `json:"name"`
	Weight  int            `json:"weight,omitempty"` // default 1
	Payload int            `json:"payload,omitempty"`
	Fields  map[string]any `json:"fields,omitempty"`
	Ack     bool           `json:"ack,omitempty"`
	Reply   string         `json:"reply,omitempty"`
	// Binary > 0 sends the event as a BINARY_EVENT whose object carries a
	// binary attachment of that many bytes as member "b".
	Binary int `json:"binary,omitempty"`
}

// Duration is a time.Duration written as a string ("10s") in JSON.
type Duration time.Duration

// UnmarshalJSON accepts "1.5s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		*d = Duration(v)
		return err
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("duration: want \"10s\" or seconds, got %s", b)
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadScenario reads a scenario file. Its errors name the file and the
// line ("mix.json:7: event 2 (\"x\"): negative weight"). Whether
// fire-and-forget events have the rate they need is checked with the run's
// configuration (Config.Validate), where --rate may give it.
func LoadScenario(path string) (*ScenarioFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, configErr("scenario file: %v", err)
	}
	f, err := parseScenario(b, math.Inf(1))
	if err != nil {
		return nil, configErr("%s:%s", path, err.Error())
	}
	return f, nil
}

// ParseScenario parses a scenario file's JSON (unknown fields are errors)
// and checks it. Its errors start with the line they are about.
func ParseScenario(b []byte) (*ScenarioFile, error) {
	f, err := parseScenario(b, -1)
	if err != nil {
		return nil, configErr("scenario file line %s", err.Error())
	}
	return f, nil
}

// posError is an error at a line of a scenario file.
type posError struct {
	line int
	msg  string
}

func (e *posError) Error() string { return fmt.Sprintf("%d: %s", e.line, e.msg) }

// parseScenario parses b; fire-and-forget events need rate > 0 (-1: the
// file's rate).
func parseScenario(b []byte, rate float64) (*ScenarioFile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f ScenarioFile
	if err := dec.Decode(&f); err != nil {
		off := dec.InputOffset()
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		msg := strings.TrimPrefix(err.Error(), "json: ")
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
			msg = fmt.Sprintf("%s: want %s, got %s", te.Field, te.Type, te.Value)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			off, msg = int64(len(b)), "the JSON ends early"
		case strings.HasPrefix(msg, "unknown field "):
			// the decoder is past the value by now: find the key
			key := strings.TrimPrefix(msg, "unknown field ")
			if i := keyAt(b, key, off); i >= 0 {
				off = int64(i)
			}
		}
		return nil, &posError{lineAt(b, off), msg}
	}
	if dec.More() {
		return nil, &posError{lineAt(b, dec.InputOffset()), "more after the scenario's object"}
	}
	if rate < 0 {
		rate = f.Rate
	}
	if err := f.check(rate); err != nil {
		line := 1
		if err.event >= 0 {
			if ls := eventLines(b); err.event < len(ls) {
				line = ls[err.event]
			}
		}
		return nil, &posError{line, err.msg}
	}
	return &f, nil
}

// keyAt returns the offset of the last object key quoted (a JSON string,
// quotes included) before off, or -1.
func keyAt(b []byte, quoted string, off int64) int {
	off = min(max(off, 0), int64(len(b)))
	for i := bytes.LastIndex(b[:off], []byte(quoted)); i >= 0; i = bytes.LastIndex(b[:i], []byte(quoted)) {
		rest := bytes.TrimLeft(b[i+len(quoted):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			return i
		}
	}
	return -1
}

// lineAt returns the 1-based line of byte offset off in b.
func lineAt(b []byte, off int64) int {
	off = min(max(off, 0), int64(len(b)))
	return 1 + bytes.Count(b[:off], []byte{'\n'})
}

// eventLines returns the line where each element of the top-level
// "events" array starts.
func eventLines(b []byte) []int {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil
		}
		if key != "events" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil
		}
		var lines []int
		for dec.More() {
			// the offset after the previous value: skip the separator
			off := dec.InputOffset()
			for off < int64(len(b)) && strings.IndexByte(" \t\r\n,", b[off]) >= 0 {
				off++
			}
			lines = append(lines, lineAt(b, off))
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return lines
			}
		}
		return lines
	}
	return nil
}

// reserved event names a client may not emit.
var reserved = map[string]bool{"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true}

// checkError is a mix error; event is the index of the event it is about
// (-1: the file).
type checkError struct {
	event int
	msg   string
}

// validate checks the mix for a run at the given rate.
func (f *ScenarioFile) validate(rate float64) error {
	if err := f.check(rate); err != nil {
		return configErr("scenario file: %s", err.msg)
	}
	return nil
}

func (f *ScenarioFile) check(rate float64) *checkError {
	if len(f.Events) == 0 {
		return &checkError{-1, "no events"}
	}
	for i, e := range f.Events {
		bad := func(format string, a ...any) *checkError {
			return &checkError{i, fmt.Sprintf("event %d (%q): ", i+1, e.Name) + fmt.Sprintf(format, a...)}
		}
		switch {
		case e.Name == "" || strings.ContainsAny(e.Name, "\"\\"):
			return bad("bad name")
		case reserved[e.Name]:
			return bad("the name is reserved by Socket.IO")
		case e.Weight < 0:
			return bad("negative weight")
		case e.Payload < 0 || e.Payload > 16<<20:
			return bad("payload out of range (0 to 16 MiB)")
		case e.Binary < 0 || e.Binary > 16<<20:
			return bad("binary out of range (0 to 16 MiB)")
		case e.Ack && e.Reply != "":
			return bad("ack and reply both set")
		case !e.Ack && e.Reply == "" && rate <= 0:
			return bad("fire-and-forget (no ack, no reply): the run needs a rate")
		}
		for k := range e.Fields {
			if k == "t" || k == "c" || k == "p" || k == "b" || strings.ContainsAny(k, "\"\\") {
				return bad("field %q is reserved (t, c, p, b) or invalid", k)
			}
		}
	}
	return nil
}

// fieldsJSON returns the event's fields as JSON object members followed by a
// comma (sorted by name), or "".
func (e *EventSpec) fieldsJSON() (string, error) {
	if len(e.Fields) == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, err := json.Marshal(e.Fields[k])
		if err != nil {
			return "", configErr("scenario file: event %q field %q: %v", e.Name, k, err)
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
		b.WriteByte(',')
	}
	return b.String(), nil
}
