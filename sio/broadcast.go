package sio

import (
	"context"
	"time"
)

// BroadcastOperator selects sockets of a namespace and emits to them.
// Every chaining method returns a new operator; the receiver is unchanged,
// so operators can be kept and reused. Safe from any goroutine.
type BroadcastOperator struct {
	nsp     *Namespace
	opts    BroadcastOptions
	timeout time.Duration
}

func (b *BroadcastOperator) clone() *BroadcastOperator {
	c := *b
	c.opts.Rooms = append([]string(nil), b.opts.Rooms...)
	c.opts.Except = append([]string(nil), b.opts.Except...)
	return &c
}

// To adds rooms (union).
func (b *BroadcastOperator) To(rooms ...string) *BroadcastOperator {
	c := b.clone()
	c.opts.Rooms = append(c.opts.Rooms, rooms...)
	return c
}

// In is To.
func (b *BroadcastOperator) In(rooms ...string) *BroadcastOperator { return b.To(rooms...) }

// Except excludes the sockets of rooms.
func (b *BroadcastOperator) Except(rooms ...string) *BroadcastOperator {
	c := b.clone()
	c.opts.Except = append(c.opts.Except, rooms...)
	return c
}

// Local restricts the broadcast to this node.
func (b *BroadcastOperator) Local() *BroadcastOperator {
	c := b.clone()
	c.opts.Local = true
	return c
}

// Volatile lets the packet be dropped for sockets not ready for it.
func (b *BroadcastOperator) Volatile() *BroadcastOperator {
	c := b.clone()
	c.opts.Volatile = true
	return c
}

// Compress is accepted for API parity; it changes nothing.
func (b *BroadcastOperator) Compress(bool) *BroadcastOperator { return b.clone() }

// Timeout sets how long an acknowledged broadcast waits for answers.
func (b *BroadcastOperator) Timeout(d time.Duration) *BroadcastOperator {
	c := b.clone()
	c.timeout = d
	return c
}

// MultiAckFunc, as the last argument of a broadcast Emit, collects the
// acknowledgements of every recipient. err is ErrAckTimeout when some did
// not answer within the Timeout; res then holds the answers received.
type MultiAckFunc func(res []*Args, err error)

// Emit sends an event to the selected sockets. The packet is encoded once
// and shared by every recipient. A trailing MultiAckFunc collects acks.
func (b *BroadcastOperator) Emit(event string, args ...any) error {
	if isReserved(event) {
		return errReserved(event)
	}
	if n := len(args); n > 0 {
		switch f := args[n-1].(type) {
		case MultiAckFunc:
			return b.emitWithAcks(event, args[:n-1], f)
		case func([]*Args, error):
			return b.emitWithAcks(event, args[:n-1], f)
		}
	}
	offset := b.nsp.srv.recordOffset(false)
	enc, err := b.nsp.srv.encodeEvent(b.nsp.name, -1, event, args, offset)
	if err != nil {
		return err
	}
	defer enc.release()
	opts := &b.opts
	if offset != "" {
		b.nsp.srv.recovery.log(b.nsp.name, offset, opts, enc)
	}
	b.nsp.adapter.Broadcast(enc, opts)
	return nil
}

// EmitWithAck broadcasts and waits for every recipient's answer (or the
// Timeout / ctx's end). From a handler on an event loop it returns
// ErrAckWouldBlock at once (see Socket.EmitWithAck).
func (b *BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]*Args, error) {
	if onDeliveringGoroutine() {
		return nil, ErrAckWouldBlock
	}
	type result struct {
		res []*Args
		err error
	}
	ch := make(chan result, 1)
	c := b
	if dl, ok := ctx.Deadline(); ok && (b.timeout == 0 || time.Until(dl) < b.timeout) {
		c = b.Timeout(time.Until(dl))
	}
	err := c.emitWithAcks(event, args, func(res []*Args, err error) { ch <- result{res, err} })
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.res, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// emitWithAcks: every recipient gets the same ack id; the callback gets
// all answers once every node counted its recipients and every one of
// them answered, or at the timeout.
func (b *BroadcastOperator) emitWithAcks(event string, args []any, fn MultiAckFunc) error {
	srv := b.nsp.srv
	enc, err := srv.encodeEvent(b.nsp.name, b.nsp.nextAckID(), event, args, "")
	if err != nil {
		return err
	}
	defer enc.release()
	col := newAckCollector(fn)
	if b.timeout > 0 {
		col.tm.Init(col)
		col.wheel = srv.wheel
		srv.wheel.Schedule(&col.tm, b.timeout)
	}
	b.nsp.adapter.BroadcastWithAck(enc, &b.opts, b.timeout, col)
	return nil
}

// FetchSockets describes the matching sockets, on every node of the
// cluster unless Local (see Adapter.FetchSockets). RemoteSocket.Local
// gives the *Socket of those connected here.
func (b *BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return b.nsp.adapter.FetchSockets(ctx, &b.opts)
}

// LocalSockets returns the matching sockets of this node.
func (b *BroadcastOperator) LocalSockets() []*Socket {
	var out []*Socket
	b.nsp.adapter.Apply(&b.opts, func(s *Socket) { out = append(out, s) })
	return out
}

// SocketsJoin makes the matching sockets join rooms (on every node
// unless Local).
func (b *BroadcastOperator) SocketsJoin(rooms ...string) { b.nsp.adapter.AddSockets(&b.opts, rooms) }

// SocketsLeave makes the matching sockets leave rooms (on every node
// unless Local).
func (b *BroadcastOperator) SocketsLeave(rooms ...string) { b.nsp.adapter.DelSockets(&b.opts, rooms) }

// DisconnectSockets disconnects the matching sockets (on every node
// unless Local).
func (b *BroadcastOperator) DisconnectSockets(close bool) {
	b.nsp.adapter.DisconnectSockets(&b.opts, close)
}
