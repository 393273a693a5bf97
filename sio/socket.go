package sio

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/bytedance/sonic"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/httpx"
)

// Disconnect reasons, as the reference reports them.
const (
	ReasonTransportClose   = "transport close"
	ReasonTransportError   = "transport error"
	ReasonPingTimeout      = "ping timeout"
	ReasonParseError       = "parse error"
	ReasonForcedClose      = "forced close"
	ReasonServerShutdown   = "server shutting down"
	ReasonServerDisconnect = "server namespace disconnect"
	ReasonClientDisconnect = "client namespace disconnect"
)

// EventHandler handles one event. The Event and the bytes it exposes are
// valid until the handler returns.
type EventHandler func(e *Event)

// AnyHandler sees every incoming (OnAny) or outgoing (OnAnyOutgoing)
// event. args are raw JSON values, valid until it returns.
type AnyHandler func(event string, args [][]byte)

// AckFunc, as the last argument of an Emit, asks the client for an
// acknowledgement. res holds the client's answer; err is ErrAckTimeout
// when it did not answer in time. As with the reference, a socket that
// disconnects never calls its pending AckFuncs; only a timeout ends them.
// It runs on the event loop that read the answer, or on the timer
// goroutine for a timeout: keep it short.
type AckFunc func(res *Args, err error)

// Errors of acknowledgements.
var (
	ErrAckTimeout   = errors.New("sio: operation has timed out")
	ErrNotConnected = errors.New("sio: socket not connected")
)

// Handshake describes the request that opened the connection and the
// CONNECT that joined the namespace.
type Handshake struct {
	eio *eio.Handshake
	// Auth is the raw JSON of the CONNECT payload ({} when absent).
	Auth []byte
}

// DecodeAuth unmarshals the CONNECT payload (the client's auth) into v.
func (h *Handshake) DecodeAuth(v any) error { return sonic.ConfigStd.Unmarshal(h.Auth, v) }

// RawQuery returns the raw query string of the opening request.
func (h *Handshake) RawQuery() string { return h.eio.RawQuery }

// RawHeaders returns the opening request's header block ("Name: value"
// lines joined by CRLF).
func (h *Handshake) RawHeaders() string { return h.eio.RawHeaders }

// Header returns the first value of a request header (case-insensitive).
func (h *Handshake) Header(name string) string { return httpx.HeaderValue(h.eio.RawHeaders, name) }

// RemoteAddr is the client's address as seen by the server.
func (h *Handshake) RemoteAddr() string {
	if h.eio.RemoteAddr == nil {
		return ""
	}
	return h.eio.RemoteAddr.String()
}

// Time is when the Engine.IO session was opened.
func (h *Handshake) Time() time.Time { return h.eio.Time }

// Socket is one client connected to one namespace. Methods are safe from
// any goroutine.
type Socket struct {
	id        string
	nsp       *Namespace
	client    *client
	sess      *eio.Session // the client's: a broadcast reaches it in one hop
	handshake *Handshake
	rec       *socketRecovery // connection state recovery only
	work      *socketQueue    // Workers mode only

	mu           sync.Mutex
	connected    bool
	recovered    bool
	idx          int32          // in nsp.list; under nsp.mu
	handlers     []handlerEntry // in registration order; few per socket: smaller and faster than a map
	onDisconnect []func(reason string)
	acks         map[int64]*pendingAck
	hooks        *socketHooks // rarely used handlers, made on first use

	// Data is free for the application (like socket.data).
	Data any
}

// socketHooks are the handlers few applications set: kept apart, an idle
// socket stays small.
type socketHooks struct {
	anyIn        []AnyHandler
	anyOut       []AnyHandler
	onDisconning []func(reason string)
	packetMws    []func(e *Event) error
	onError      []func(err error)
	onDrain      []func()
	// onDisconnectDesc: OnDisconnectDescribed's handlers.
	onDisconnectDesc []func(reason string, description error)
	drain            *drainWatch // runs while a refused TryEmit waits for the output to drain
}

// hooksLocked returns s.hooks, made on first use. Under s.mu.
func (s *Socket) hooksLocked() *socketHooks {
	if s.hooks == nil {
		s.hooks = new(socketHooks)
	}
	return s.hooks
}

// socketRecovery is the socket's connection state recovery: its private
// id, and what a successful recovery restores once (finishConnect).
type socketRecovery struct {
	pid          string
	restoreRooms []string
	missed       []*Encoded
}

// handlerEntry is one registered handler. The slice is copied on every
// change, so runEvent reads a snapshot without the lock.
type handlerEntry struct {
	name string
	fn   EventHandler
}

// ID is the socket id (not the Engine.IO session id).
func (s *Socket) ID() string { return s.id }

// Namespace is the namespace the socket joined.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake describes how the socket connected.
func (s *Socket) Handshake() *Handshake { return s.handshake }

// Session is the underlying Engine.IO session.
func (s *Socket) Session() *eio.Session { return s.client.sess }

// Connected reports whether the socket is connected.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// Recovered reports whether the connection state was recovered.
func (s *Socket) Recovered() bool { return s.recovered }

// On registers a handler for event.
func (s *Socket) On(event string, h EventHandler) {
	s.mu.Lock()
	// Grown one entry at a time: a socket's few handlers then take the
	// smallest block (5 entries: 128 bytes, not 192 with doubling), and
	// the slice is never written in place.
	hs := s.handlers
	s.handlers = append(hs[:len(hs):len(hs)], handlerEntry{name: event, fn: h})
	s.mu.Unlock()
}

// Off removes every handler of event.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	s.handlers = slices.DeleteFunc(slices.Clone(s.handlers), func(e handlerEntry) bool { return e.name == event })
	s.mu.Unlock()
}

// OnAny registers a catch-all listener for incoming events.
func (s *Socket) OnAny(h AnyHandler) {
	s.mu.Lock()
	x := s.hooksLocked()
	x.anyIn = append(x.anyIn, h)
	s.mu.Unlock()
}

// PrependAny registers a catch-all listener that runs before the others.
func (s *Socket) PrependAny(h AnyHandler) {
	s.mu.Lock()
	x := s.hooksLocked()
	x.anyIn = append([]AnyHandler{h}, x.anyIn...)
	s.mu.Unlock()
}

// OffAny removes every catch-all listener.
func (s *Socket) OffAny() {
	s.mu.Lock()
	if s.hooks != nil {
		s.hooks.anyIn = nil
	}
	s.mu.Unlock()
}

// OnAnyOutgoing registers a catch-all listener for outgoing events.
func (s *Socket) OnAnyOutgoing(h AnyHandler) {
	s.mu.Lock()
	x := s.hooksLocked()
	x.anyOut = append(x.anyOut, h)
	s.mu.Unlock()
}

// OffAnyOutgoing removes every outgoing catch-all listener.
func (s *Socket) OffAnyOutgoing() {
	s.mu.Lock()
	if s.hooks != nil {
		s.hooks.anyOut = nil
	}
	s.mu.Unlock()
}

// Use adds a packet middleware: it sees every incoming event before the
// handlers; a non-nil error drops the event and goes to the OnError
// listeners.
func (s *Socket) Use(mw func(e *Event) error) {
	s.mu.Lock()
	x := s.hooksLocked()
	x.packetMws = append(x.packetMws, mw)
	s.mu.Unlock()
}

// OnDisconnect registers fn, called with the reason once the socket is
// disconnected (rooms already left).
func (s *Socket) OnDisconnect(fn func(reason string)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, fn)
	s.mu.Unlock()
}

// OnDisconnectDescribed registers fn, called after the OnDisconnect
// handlers with the reason and its description (Node's second argument
// of "disconnect"): the error behind a "transport error" (a WebSocket
// protocol violation, a read error) or a "slow consumer"
// (eio.ErrSlowConsumer); nil for every other reason.
func (s *Socket) OnDisconnectDescribed(fn func(reason string, description error)) {
	s.mu.Lock()
	x := s.hooksLocked()
	x.onDisconnectDesc = append(x.onDisconnectDesc, fn)
	s.mu.Unlock()
}

// OnDisconnecting registers fn, called with the reason just before the
// socket leaves its rooms.
func (s *Socket) OnDisconnecting(fn func(reason string)) {
	s.mu.Lock()
	x := s.hooksLocked()
	x.onDisconning = append(x.onDisconning, fn)
	s.mu.Unlock()
}

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...string) { s.nsp.adapter.AddAll(s, rooms) }

// Leave removes the socket from room.
func (s *Socket) Leave(room string) { s.nsp.adapter.Del(s, room) }

// Rooms lists the socket's rooms (its own id included).
func (s *Socket) Rooms() []string { return s.nsp.adapter.Rooms(s) }

// InRoom reports whether the socket is in room.
func (s *Socket) InRoom(room string) bool { return s.nsp.adapter.Has(s, room) }

// Emit sends an event to this socket. A trailing AckFunc asks for an
// acknowledgement (without a timeout; see Timeout). Arguments are encoded
// as JSON; []byte values travel as binary attachments; RawJSON is sent
// unchanged.
func (s *Socket) Emit(event string, args ...any) error { return s.emit(0, event, args) }

// TryEmit emits like Emit unless the packet would take the socket's
// buffered output (Buffered) past EIO.MaxBufferedBytes: then it sends
// nothing and returns ErrBufferFull, and the socket stays connected (Emit
// would queue it and, past the cap, disconnect the socket as a slow
// consumer). After a refusal the OnDrain handlers run once the output has
// fallen to Options.LowWaterMark. Backpressure for producers that can
// wait: a feed, a file transfer, a replay.
func (s *Socket) TryEmit(event string, args ...any) error {
	return s.emitTry(event, args)
}

// Send emits a "message" event (Node's socket.send and socket.write).
func (s *Socket) Send(args ...any) error { return s.emit(0, "message", args) }

// EmitWithAck emits and waits for the acknowledgement or ctx's end. From
// a handler running on an event loop (the default) it returns
// ErrAckWouldBlock at once, as the answer would arrive on the loop it
// blocks: use Emit with an AckFunc there, a goroutine, or Options.Workers.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (*Args, error) {
	return s.emitWait(ctx, 0, event, args)
}

// Timeout returns an emitter whose acknowledgements fail with
// ErrAckTimeout after d.
func (s *Socket) Timeout(d time.Duration) *Emitter { return &Emitter{s: s, timeout: d} }

// Emitter emits to one socket with an ack timeout (see Socket.Timeout).
type Emitter struct {
	s       *Socket
	timeout time.Duration
}

// Emit is Socket.Emit with the emitter's ack timeout.
func (e *Emitter) Emit(event string, args ...any) error { return e.s.emit(e.timeout, event, args) }

// EmitWithAck is Socket.EmitWithAck with the emitter's ack timeout.
func (e *Emitter) EmitWithAck(ctx context.Context, event string, args ...any) (*Args, error) {
	return e.s.emitWait(ctx, e.timeout, event, args)
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

func (s *Socket) emit(timeout time.Duration, event string, args []any) error {
	return s.emitOpt(timeout, event, args, false)
}

func (s *Socket) emitTry(event string, args []any) error {
	err := s.emitOpt(0, event, args, true)
	if err == ErrBufferFull {
		s.watchDrain()
	}
	return err
}

// emitOpt encodes and sends an event; try: refuse it with ErrBufferFull
// rather than pass the session's output cap.
func (s *Socket) emitOpt(timeout time.Duration, event string, args []any, try bool) error {
	if isReserved(event) {
		return errReserved(event)
	}
	args, ack := splitAck(args)
	id := int64(-1)
	if ack != nil {
		id = s.nsp.nextAckID()
	}
	offset := s.client.srv.recordOffset(ack != nil)
	enc, err := s.client.srv.encodeEvent(s.nsp.name, id, event, args, offset)
	if err != nil {
		return err
	}
	defer enc.release()
	if !s.Connected() {
		return ErrNotConnected
	}
	if try && !s.fits(enc) {
		return ErrBufferFull
	}
	if offset != "" {
		s.client.srv.recovery.log(s.nsp.name, offset, &BroadcastOptions{Rooms: []string{s.id}}, enc)
	}
	if ack != nil {
		s.addAck(id, ack, timeout)
	}
	s.notifyOutgoing(event, enc)
	s.sendEncoded(enc, false)
	return nil
}

func (s *Socket) emitWait(ctx context.Context, timeout time.Duration, event string, args []any) (*Args, error) {
	if onDeliveringGoroutine() {
		return nil, ErrAckWouldBlock
	}
	type result struct {
		res *Args
		err error
	}
	ch := make(chan result, 1)
	if dl, ok := ctx.Deadline(); ok && (timeout == 0 || time.Until(dl) < timeout) {
		timeout = time.Until(dl)
	}
	all := append(append(make([]any, 0, len(args)+1), args...), AckFunc(func(res *Args, err error) {
		if res != nil {
			res = res.Clone()
		}
		ch <- result{res, err}
	}))
	if err := s.emit(timeout, event, all); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.res, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Broadcast returns an operator sending to every socket of the namespace
// but this one.
func (s *Socket) Broadcast() *BroadcastOperator {
	return &BroadcastOperator{nsp: s.nsp, opts: BroadcastOptions{Except: []string{s.id}}}
}

// To returns an operator sending to rooms, without this socket.
func (s *Socket) To(rooms ...string) *BroadcastOperator { return s.Broadcast().To(rooms...) }

// In is To.
func (s *Socket) In(rooms ...string) *BroadcastOperator { return s.To(rooms...) }

// Except returns an operator sending to everyone but this socket and rooms.
func (s *Socket) Except(rooms ...string) *BroadcastOperator { return s.Broadcast().Except(rooms...) }

// Volatile returns an emitter whose packets may be dropped.
func (s *Socket) Volatile() *BroadcastOperator {
	return &BroadcastOperator{nsp: s.nsp, opts: BroadcastOptions{Rooms: []string{s.id}, Volatile: true}}
}

// Disconnect disconnects the socket from its namespace ("server namespace
// disconnect"). With close, the whole Engine.IO session is closed too.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.client.closeAll(ReasonServerDisconnect)
		return
	}
	if !s.Connected() {
		return
	}
	s.sendControl(PacketDisconnect, nil)
	s.onClose(ReasonServerDisconnect)
}
