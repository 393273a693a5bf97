package sio

import (
	"errors"
	"strings"
)

var errNoArg = errors.New("sio: no such argument")

// reserved event names: a client may not send them, the server may not emit them.
func isReserved(name string) bool {
	switch name {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}

func errReserved(name string) error {
	return errors.New("sio: \"" + name + "\" is a reserved event name")
}

// headerValue finds name in a raw header block (case-insensitive).
func headerValue(raw, name string) string {
	for len(raw) > 0 {
		line := raw
		if i := strings.Index(raw, "\r\n"); i >= 0 {
			line, raw = raw[:i], raw[i+2:]
		} else {
			raw = ""
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
