package eio

import (
	"fmt"
	"runtime/debug"
)

// ReportPanic reports a panic of application code that a layer of the
// server recovered (this package, package loop, package sio): it is logged
// with its stack through Options.Logger (slog.Default when nil) at Error
// level, counted (Panics), and handed to Options.OnPanic. stack nil: the
// caller's stack is taken. The caller has contained the damage (closed
// the connection or socket whose handler panicked); the server goes on.
func (s *Server) ReportPanic(v any, stack []byte) {
	if stack == nil {
		stack = debug.Stack()
	}
	s.panics.Add(1)
	s.logger().Error("sioloop: recovered a panic in application code", "panic", fmt.Sprint(v), "stack", string(stack))
	if fn := s.opts.OnPanic; fn != nil {
		fn(v, stack)
	}
}

// Panics is how many panics of application code the server recovered.
func (s *Server) Panics() int64 { return s.panics.Load() }

// recoverTo is deferred where eio calls application code on its own
// goroutines: it reports a panic and runs contain (may be nil).
func (s *Server) recoverTo(contain func()) {
	if v := recover(); v != nil {
		s.ReportPanic(v, debug.Stack())
		if contain != nil {
			contain()
		}
	}
}
