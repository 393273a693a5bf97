package client

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sioloop/sioloop/sio/parser"
)

// AckFunc, as the last argument of Emit, asks the server for an
// acknowledgement and receives it: res holds the server's answer (owned
// by the callback, see Args) and err is nil, or res is nil and err is
// ErrAckTimeout (no answer within the timeout) or ErrDisconnected (the
// connection was lost after the packet was sent). It runs on the
// Manager's callback goroutine, at most once. Unlike the official client,
// which drops callbacks without an error parameter on disconnection, it
// is called once the packet was sent, whatever happens; the callback of a
// packet still in the send buffer waits for the next connection (or for
// its timeout).
type AckFunc func(res *Args, err error)

type pendingAck struct {
	fn    AckFunc
	ch    chan ackResult // EmitWithAck: delivered without the callback goroutine
	timer *timer
}

type ackResult struct {
	args *Args
	err  error
}

// Emitter emits with flags: an acknowledgement timeout, volatile. Obtain
// one from Socket.Timeout or Socket.Volatile; it is a value, and its
// methods return modified copies. Safe from any goroutine.
type Emitter struct {
	s          *Socket
	timeout    time.Duration
	hasTimeout bool
	volatile   bool
}

// Timeout returns an Emitter whose acknowledgements fail with
// ErrAckTimeout after d (the official socket.timeout(d)).
func (s *Socket) Timeout(d time.Duration) Emitter {
	return Emitter{s: s, timeout: d, hasTimeout: true}
}

// Volatile returns an Emitter whose packets are dropped, instead of
// buffered, when they cannot be written at once (the official
// socket.volatile).
func (s *Socket) Volatile() Emitter { return Emitter{s: s, volatile: true} }

// Timeout returns a copy of e with the acknowledgement timeout d.
func (e Emitter) Timeout(d time.Duration) Emitter {
	e.timeout, e.hasTimeout = d, true
	return e
}

// Volatile returns a volatile copy of e.
func (e Emitter) Volatile() Emitter {
	e.volatile = true
	return e
}

// Emit is Socket.Emit with e's flags.
func (e Emitter) Emit(event string, args ...any) error {
	return e.s.emit(e, event, args)
}

// EmitWithAck is Socket.EmitWithAck with e's flags.
func (e Emitter) EmitWithAck(ctx context.Context, event string, args ...any) (*Args, error) {
	return e.s.emitWithAck(ctx, e, event, args)
}

// Emit sends event with args to the server. A trailing AckFunc (or
// func(*Args, error)) asks for an acknowledgement, with
// SocketOptions.AckTimeout as timeout (see Timeout).
//
// Arguments are encoded as JSON with JSON.stringify's rules (see
// parser.AppendEventArgs): []byte values, also nested in []any and maps,
// travel as binary attachments; parser.RawJSON is sent unchanged. Emit
// copies what it needs: the caller may reuse args, []byte included, as
// soon as it returns.
//
// While the socket is not connected the packet is buffered and sent on
// connection, as the official client does, unless
// SocketOptions.DropWhileDisconnected is set (ErrNotConnected). Emit
// returns an error for a reserved event name and for arguments that
// cannot be encoded; otherwise nil: it does not wait for the network.
func (s *Socket) Emit(event string, args ...any) error {
	return s.emit(Emitter{s: s}, event, args)
}

// EmitWithAck emits event with args and waits for the server's
// acknowledgement, ctx's end (ctx.Err()) or the timeout (ErrAckTimeout,
// with SocketOptions.AckTimeout or Timeout). The returned Args are owned
// by the caller. It may be called from a handler: the acknowledgement
// does not need the callback goroutine.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (*Args, error) {
	return s.emitWithAck(ctx, Emitter{s: s}, event, args)
}

func isReserved(event string) bool {
	switch event {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}

func splitAck(args []any) ([]any, AckFunc) {
	if n := len(args); n > 0 {
		switch f := args[n-1].(type) {
		case AckFunc:
			return args[:n-1], f
		case func(*Args, error):
			return args[:n-1], f
		}
	}
	return args, nil
}

func (s *Socket) emit(e Emitter, event string, args []any) error {
	args, ack := splitAck(args)
	payload, atts, err := s.encode(event, args)
	if err != nil {
		return err
	}
	_, err = s.send(e, payload, atts, ack, nil)
	return err
}

func (s *Socket) emitWithAck(ctx context.Context, e Emitter, event string, args []any) (*Args, error) {
	payload, atts, err := s.encode(event, args)
	if err != nil {
		return nil, err
	}
	ch := make(chan ackResult, 1)
	id, err := s.send(e, payload, atts, nil, ch)
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.args, r.err
	case <-ctx.Done():
		m := s.m
		m.mu.Lock()
		if a := s.acks[id]; a != nil && a.ch == ch {
			delete(s.acks, id)
			a.timer.stop()
		}
		m.mu.Unlock()
		return nil, ctx.Err()
	}
}

// encode encodes ["event", args...] and owns the attachments.
func (s *Socket) encode(event string, args []any) ([]byte, [][]byte, error) {
	if isReserved(event) {
		return nil, nil, fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	all := make([]any, 0, 1+len(args))
	all = append(append(all, event), args...)
	payload, atts, err := parser.AppendEventArgs(nil, all, nil)
	if err != nil {
		return nil, nil, err
	}
	return payload, ownAttachments(atts), nil
}

// send numbers, registers and sends (or buffers) an encoded event.
func (s *Socket) send(e Emitter, payload []byte, atts [][]byte, fn AckFunc, ch chan ackResult) (int64, error) {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	id := parser.NoID
	withAck := fn != nil || ch != nil
	if withAck {
		id = s.ids
		s.ids++
	}
	t := parser.PacketEvent
	if len(atts) > 0 {
		t = parser.PacketBinaryEvent
	}
	hdr := parser.Packet{Type: t, Namespace: []byte(s.nsp), ID: id, Attachments: len(atts)}
	text := parser.AppendPacketHeader(make([]byte, 0, len(s.nsp)+24+len(payload)), &hdr)
	text = append(text, payload...)

	connected := s.connected && m.engine != nil && !m.engine.hasPingExpired()
	if !connected && !e.volatile && s.opts.DropWhileDisconnected {
		return id, ErrNotConnected
	}
	if withAck {
		s.registerAck(id, e, &pendingAck{fn: fn, ch: ch})
	}
	writable := m.engine != nil && m.engine.state == engineOpen && m.engine.transport.writable()
	switch {
	case e.volatile && !writable:
		// dropped, as the official client does
	case connected:
		m.writePacket(text, atts)
	default:
		s.sendBuf = append(s.sendBuf, outPacket{id: id, text: text, atts: atts})
	}
	return id, nil
}

func (s *Socket) registerAck(id int64, e Emitter, a *pendingAck) {
	d, has := e.timeout, e.hasTimeout
	if !has && s.opts.AckTimeout > 0 {
		d, has = s.opts.AckTimeout, true
	}
	if has {
		a.timer = s.m.after(max(d, 0), func() {
			if s.acks[id] != a {
				return
			}
			delete(s.acks, id)
			s.sendBuf = slices.DeleteFunc(s.sendBuf, func(p outPacket) bool { return p.id == id })
			s.deliverAck(a, nil, ErrAckTimeout)
		})
	}
	if s.acks == nil {
		s.acks = make(map[int64]*pendingAck)
	}
	s.acks[id] = a
}

// deliverAck hands an acknowledgement's outcome to its waiter. With m.mu
// held.
func (s *Socket) deliverAck(a *pendingAck, args *Args, err error) {
	if a.ch != nil {
		a.ch <- ackResult{args, err} // buffered; one send per ack
		return
	}
	s.m.cb.post(func() { a.fn(args, err) })
}
