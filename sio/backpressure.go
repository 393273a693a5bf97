package sio

import (
	"time"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/timer"
)

// Backpressure.
//
// Every socket's output is bounded by EIO.MaxBufferedBytes (4 MiB): what
// waits for a polling GET, or what the WebSocket connection has not yet
// handed to the kernel. The policy at the bound:
//   - volatile packets are dropped whenever the transport is not writable
//     (long before the bound);
//   - Emit past the bound disconnects the socket's connection with reason
//     "slow consumer" (eio.ReasonSlowConsumer): the server never grows
//     without bound for a client that does not read;
//   - TryEmit refuses the packet with ErrBufferFull instead, and OnDrain
//     tells the producer when Buffered has fallen to Options.LowWaterMark.

// ErrBufferFull is returned by TryEmit for a packet that would take the
// socket's buffered output past EIO.MaxBufferedBytes.
var ErrBufferFull = eio.ErrBufferFull

// drainPoll is how often a socket waiting for its output to drain checks.
const drainPoll = 10 * time.Millisecond

// Buffered is how many bytes of output wait for this socket's connection on
// the server (all its namespaces together): see eio.Session.Buffered.
func (s *Socket) Buffered() int { return s.sess.Buffered() }

// OnDrain registers fn to run, once per refusal, when the output of a
// socket whose TryEmit returned ErrBufferFull has fallen to
// Options.LowWaterMark (on the server's timer goroutine: keep it short, or
// hand the work over).
func (s *Socket) OnDrain(fn func()) {
	s.mu.Lock()
	x := s.hooksLocked()
	x.onDrain = append(x.onDrain, fn)
	s.mu.Unlock()
}

// fits reports whether enc can be sent without passing the output cap.
func (s *Socket) fits(enc *Encoded) bool {
	n := len(enc.Packet) + 8
	for _, a := range enc.Attachments {
		n += len(a) + 8
	}
	return s.sess.Buffered()+n <= s.client.srv.eio.Options().MaxBufferedBytes
}

// drainWatch polls a socket's buffered output after a refused TryEmit.
type drainWatch struct {
	s  *Socket
	tm timer.Node
	on bool // armed (under s.mu)
}

// watchDrain starts watching for the drain (once per wait).
func (s *Socket) watchDrain() {
	s.mu.Lock()
	x := s.hooksLocked()
	if x.drain == nil {
		x.drain = &drainWatch{s: s}
		x.drain.tm.Init(x.drain)
	}
	w := x.drain
	start := !w.on
	w.on = true
	s.mu.Unlock()
	if start {
		s.client.srv.wheel.Schedule(&w.tm, drainPoll)
	}
}

// OnTimer implements timer.Handler.
func (w *drainWatch) OnTimer(*timer.Node) {
	s := w.s
	if !s.Connected() {
		s.mu.Lock()
		w.on = false
		s.mu.Unlock()
		return
	}
	if s.Buffered() > s.client.srv.opts.LowWaterMark {
		s.sess.Writable() // has the network layer re-read its backlog at its next flush
		s.client.srv.wheel.Schedule(&w.tm, drainPoll)
		return
	}
	s.mu.Lock()
	w.on = false
	fns := s.hooks.onDrain
	s.mu.Unlock()
	for _, fn := range fns {
		func() {
			defer s.client.srv.recoverReport()
			fn()
		}()
	}
}
