package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// LoadScenario reads a scenario file.
func LoadScenario(path string) (*ScenarioFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, configErr("scenario file: %v", err)
	}
	return ParseScenario(b)
}

// ParseScenario parses a scenario file's JSON (unknown fields are errors)
// and checks it.
func ParseScenario(b []byte) (*ScenarioFile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f ScenarioFile
	if err := dec.Decode(&f); err != nil {
		return nil, configErr("scenario file: %v", err)
	}
	if err := f.validate(f.Rate); err != nil {
		return nil, err
	}
	return &f, nil
}

// reserved event names a client may not emit.
var reserved = map[string]bool{"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true}

// validate checks the mix for a run at the given rate.
func (f *ScenarioFile) validate(rate float64) error {
	if len(f.Events) == 0 {
		return configErr("scenario file: no events")
	}
	for i, e := range f.Events {
		switch {
		case e.Name == "" || strings.ContainsAny(e.Name, "\"\\"):
			return configErr("scenario file: event %d: bad name %q", i, e.Name)
		case reserved[e.Name]:
			return configErr("scenario file: event %d: %q is reserved", i, e.Name)
		case e.Weight < 0:
			return configErr("scenario file: event %q: negative weight", e.Name)
		case e.Payload < 0 || e.Payload > 16<<20:
			return configErr("scenario file: event %q: payload out of range", e.Name)
		case e.Ack && e.Reply != "":
			return configErr("scenario file: event %q: ack and reply both set", e.Name)
		case !e.Ack && e.Reply == "" && rate <= 0:
			return configErr("scenario file: event %q is fire-and-forget (no ack, no reply): the run needs a rate", e.Name)
		}
		for k := range e.Fields {
			if k == "t" || k == "c" || k == "p" || strings.ContainsAny(k, "\"\\") {
				return configErr("scenario file: event %q: field %q is reserved or invalid", e.Name, k)
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
