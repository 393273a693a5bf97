package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/sioloop/sioloop/sio"
)

// reporter writes what the server observes as lines in the notation of the
// golden captures' "# server:" lines (without the "# "):
//
//	server: connection nsp="/" id="…" sid="…" recovered=false auth={} rooms=["…"]
//
// Every value is JSON. Lines are written whole, one Write each, under a
// lock, so their order is the order in which the server reported them.
type reporter struct {
	mu sync.Mutex
	w  io.Writer
}

// kv is one key=value pair of a report line; the value is JSON-encoded.
type kv struct {
	key string
	val any
}

func (r *reporter) report(event string, fields ...kv) {
	var b bytes.Buffer
	b.WriteString("server: ")
	b.WriteString(event)
	for _, f := range fields {
		b.WriteByte(' ')
		b.WriteString(f.key)
		b.WriteByte('=')
		b.Write(jsonText(f.val))
	}
	b.WriteByte('\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(b.Bytes())
}

// jsonText encodes v without HTML escaping; raw JSON (sio.RawJSON,
// json.RawMessage) is written as is, an invalid one as a string.
func jsonText(v any) []byte {
	switch x := v.(type) {
	case sio.RawJSON:
		if json.Valid(x) {
			return x
		}
		v = string(x)
	case json.RawMessage:
		if json.Valid(x) {
			return x
		}
		v = string(x)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(fmt.Sprintf("%q", fmt.Sprint(v)))
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

// argValues renders arguments the way the capture shows them: JSON values,
// binary attachments as "<Buffer hex>" at any depth.
func argValues(a *sio.Args) []any {
	out := make([]any, 0, a.Len()+1)
	for i := 0; i < a.Len(); i++ {
		v, err := a.Value(i)
		if err != nil {
			v = "<undecodable: " + err.Error() + ">"
		}
		out = append(out, bufferNotation(v))
	}
	return out
}

func bufferNotation(v any) any {
	switch x := v.(type) {
	case []byte:
		return "<Buffer " + hex.EncodeToString(x) + ">"
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = bufferNotation(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = bufferNotation(e)
		}
		return out
	}
	return v
}

// errValue is how the capture shows a callback's error: null, or an object
// with the message.
func errValue(err error) any {
	if err == nil {
		return nil
	}
	return map[string]string{"error": err.Error()}
}

// rawAuth is the CONNECT payload as the handlers see it ({} when absent).
func rawAuth(s *sio.Socket) sio.RawJSON {
	a := s.Handshake().Auth
	if len(strings.TrimSpace(string(a))) == 0 {
		return sio.RawJSON("{}")
	}
	return sio.RawJSON(a)
}
