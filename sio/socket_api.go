package sio

import "unsafe"

// Once registers h for the next event named event only (Node:
// socket.once).
func (s *Socket) Once(event string, h EventHandler) {
	var self EventHandler
	self = func(e *Event) {
		if s.offHandler(event, self) {
			h(e)
		}
	}
	s.On(event, self)
}

// offHandler removes the entry of event whose handler is h (the same
// func value), and reports whether it was still there: a Once handler
// runs once even when events of one socket are handled concurrently.
func (s *Socket) offHandler(event string, h EventHandler) bool {
	id := funcID(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.handlers {
		if e.name == event && funcID(e.fn) == id {
			hs := make([]handlerEntry, 0, len(s.handlers)-1)
			s.handlers = append(append(hs, s.handlers[:i]...), s.handlers[i+1:]...)
			return true
		}
	}
	return false
}

// funcID is the identity of a func value (the closure it points to).
func funcID(f EventHandler) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&f)) }

// Compress is accepted for Node compatibility (socket.compress): the
// server does not compress WebSocket messages (no permessage-deflate), so
// it returns the socket's plain emitter.
func (s *Socket) Compress(bool) *Emitter { return &Emitter{s: s} }

// OnError registers fn, called with the error of a packet middleware
// (Socket.Use) that refused an incoming event (Node: the socket's "error"
// event). The event is dropped, the socket stays connected.
func (s *Socket) OnError(fn func(err error)) {
	s.mu.Lock()
	x := s.hooksLocked()
	x.onError = append(x.onError, fn)
	s.mu.Unlock()
}

// reportError hands err to the OnError listeners.
func (s *Socket) reportError(err error) {
	s.mu.Lock()
	var fns []func(error)
	if s.hooks != nil {
		fns = s.hooks.onError
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn(err)
	}
}
