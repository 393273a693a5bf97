package sio

import "errors"

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
