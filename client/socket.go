package client

import (
	"encoding/json"
	"errors"
	"sync"

	"github.com/sioloop/sioloop/sio/parser"
)

// Socket is the client side of one namespace on a Manager's connection:
// the official client's Socket. Create it with New or Manager.Socket,
// register handlers, then Connect.
//
// All methods are safe to call from any goroutine, including from
// handlers. Handlers run on the Manager's callback goroutine (see
// Manager), one at a time, in the order of the events.
type Socket struct {
	m    *Manager
	nsp  string
	opts SocketOptions
	auth []byte // encoded Auth, nil for none

	hmu  sync.Mutex // handler lists (copied on write)
	on   map[string][]EventHandler
	any  []EventHandler
	hCon handlers[ConnectEvent]
	hErr handlers[ConnectError]
	hDis handlers[DisconnectEvent]

	// Guarded by m.mu.
	id         string
	pid        string // connection state recovery: the server's session
	lastOffset string // and the offset of the last event received
	connected  bool
	recovered  bool
	active     bool // subscribed to the Manager's events
	receiveBuf []*Event
	sendBuf    []outPacket
	ids        int64
	acks       map[int64]*pendingAck
	authSeq    uint64
}

// outPacket is an encoded packet waiting in the send buffer.
type outPacket struct {
	id   int64
	text []byte
	atts [][]byte
}

// Namespace is the socket's namespace ("/", "/admin").
func (s *Socket) Namespace() string { return s.nsp }

// Manager is the Manager that carries the socket.
func (s *Socket) Manager() *Manager { return s.m }

// ID is the socket id the server assigned, "" while not connected.
func (s *Socket) ID() string {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.id
}

// Connected reports whether the socket has joined its namespace.
func (s *Socket) Connected() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.connected
}

// Active reports whether the socket is connected or trying to (it
// reconnects with its Manager); false after Disconnect, a refusal by the
// server or a disconnection by the server.
func (s *Socket) Active() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.active
}

// Recovered reports whether the last connection restored the previous
// session (connection state recovery).
func (s *Socket) Recovered() bool {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.recovered
}

// On adds h to the handlers of event. Safe from any goroutine.
func (s *Socket) On(event string, h EventHandler) {
	if h == nil {
		return
	}
	s.hmu.Lock()
	defer s.hmu.Unlock()
	on := make(map[string][]EventHandler, len(s.on)+1)
	for k, v := range s.on {
		on[k] = v
	}
	on[event] = append(append([]EventHandler(nil), s.on[event]...), h)
	s.on = on
}

// Off removes every handler of event.
func (s *Socket) Off(event string) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	on := make(map[string][]EventHandler, len(s.on))
	for k, v := range s.on {
		if k != event {
			on[k] = v
		}
	}
	s.on = on
}

// OnAny adds h to the handlers of every event; they run before the
// handlers of the event's name.
func (s *Socket) OnAny(h EventHandler) {
	if h == nil {
		return
	}
	s.hmu.Lock()
	defer s.hmu.Unlock()
	s.any = append(append([]EventHandler(nil), s.any...), h)
}

// OffAny removes every OnAny handler.
func (s *Socket) OffAny() {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	s.any = nil
}

// OnConnect adds a handler of the connection to the namespace (also after
// each reconnection).
func (s *Socket) OnConnect(h func(*ConnectEvent)) { s.hCon.add(h) }

// OnConnectError adds a handler of failed connections: the server refused
// the namespace (the socket is then inactive and does not retry), or the
// connection failed while the socket was not connected.
func (s *Socket) OnConnectError(h func(*ConnectError)) { s.hErr.add(h) }

// OnDisconnect adds a handler of disconnections; Reason tells whether the
// Manager will reconnect (every reason but ReasonServerDisconnect and
// ReasonClientDisconnect, unless reconnection is off).
func (s *Socket) OnDisconnect(h func(*DisconnectEvent)) { s.hDis.add(h) }

// Connect connects the socket: it opens the Manager's connection if
// needed and joins the namespace, then keeps it joined across
// reconnections until Disconnect. It returns at once; OnConnect or
// OnConnectError handlers tell the outcome. Calling it on a connected or
// connecting socket does nothing.
func (s *Socket) Connect() {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.connected || (s.active && m.state != managerClosed) {
		return
	}
	s.active = true
	if !m.reconnecting {
		m.open(nil)
	}
	if m.state == managerOpen {
		s.onopen()
	}
}

// Disconnect leaves the namespace ("io client disconnect") and stops
// reconnecting it; the Manager's connection closes when no other socket
// uses it. Buffered emits are kept for a later Connect.
func (s *Socket) Disconnect() {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.connected {
		s.writeControl(parser.PacketDisconnect, nil)
	}
	s.destroy()
	if s.connected {
		s.onclose(ReasonClientDisconnect, nil)
	}
}

// --- with m.mu held ---

func (s *Socket) destroy() {
	if s.active {
		s.active = false
		s.m.destroy()
	}
}

func (s *Socket) writeControl(t parser.PacketType, data []byte) {
	p := parser.Packet{Type: t, Namespace: []byte(s.nsp), ID: parser.NoID, Data: data}
	s.m.writePacket(parser.AppendPacket(nil, &p), nil)
}

// onopen sends the CONNECT packet (the Manager's connection is open).
func (s *Socket) onopen() {
	if s.opts.AuthFunc == nil {
		s.sendConnect(s.auth)
		return
	}
	m, e := s.m, s.m.engine
	s.authSeq++
	seq := s.authSeq
	m.cb.post(func() {
		auth, err := encodeAuth(s.opts.AuthFunc())
		m.mu.Lock()
		defer m.mu.Unlock()
		if !s.active || m.engine != e || m.state != managerOpen || seq != s.authSeq {
			return
		}
		if err != nil {
			s.postConnectError(&ConnectError{Message: err.Error(), Err: err})
			return
		}
		s.sendConnect(auth)
	})
}

// sendConnect sends CONNECT with the auth object, plus pid and offset
// when the server offered connection state recovery (auth's own members
// come last, so they win, as with the official Object.assign).
func (s *Socket) sendConnect(auth []byte) {
	var data []byte
	switch {
	case s.pid != "":
		data = append(data, `{"pid":`...)
		data = appendJSONString(data, s.pid)
		if s.lastOffset != "" {
			data = append(data, `,"offset":`...)
			data = appendJSONString(data, s.lastOffset)
		}
		if inner := trimObject(auth); len(inner) > 0 {
			data = append(data, ',')
			data = append(data, inner...)
		}
		data = append(data, '}')
	case auth != nil:
		data = auth
	}
	s.writeControl(parser.PacketConnect, data)
}

// trimObject returns the members of a JSON object, without the braces.
func trimObject(obj []byte) []byte {
	if len(obj) < 2 {
		return nil
	}
	inner := obj[1 : len(obj)-1]
	for len(inner) > 0 && isSpace(inner[0]) {
		inner = inner[1:]
	}
	for len(inner) > 0 && isSpace(inner[len(inner)-1]) {
		inner = inner[:len(inner)-1]
	}
	return inner
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s)
	return append(dst, b...)
}

func (s *Socket) onerror(err error) {
	if !s.connected {
		s.postConnectError(&ConnectError{Message: errorMessage(err), Err: err})
	}
}

// errorMessage is the message of a connect_error caused by err, as the
// official client's Error objects have it.
func errorMessage(err error) string {
	var te *TransportError
	switch {
	case errors.As(err, &te):
		return te.Reason
	case errors.Is(err, ErrTimeout):
		return "timeout"
	}
	return err.Error()
}

func (s *Socket) postConnectError(ce *ConnectError) {
	s.m.cb.post(func() { s.hErr.call(ce) })
}

// onclose ends the connection of the socket. Unlike the official client,
// a socket that was not connected (still waiting for the server's answer)
// gets no disconnect event.
func (s *Socket) onclose(reason string, err error) {
	if !s.connected {
		return
	}
	s.connected = false
	s.id = ""
	ev := &DisconnectEvent{Reason: reason, Err: err}
	s.m.cb.post(func() { s.hDis.call(ev) })
	s.clearAcks()
}

// clearAcks fails the acknowledgements of packets already sent; those of
// buffered packets wait for the next connection.
func (s *Socket) clearAcks() {
	for id, a := range s.acks {
		if s.buffered(id) {
			continue
		}
		delete(s.acks, id)
		a.timer.stop()
		s.deliverAck(a, nil, ErrDisconnected)
	}
}

func (s *Socket) buffered(id int64) bool {
	for i := range s.sendBuf {
		if s.sendBuf[i].id == id {
			return true
		}
	}
	return false
}

// onpacket handles a packet of this namespace; its bytes are owned.
func (s *Socket) onpacket(p *parser.Packet, atts [][]byte) {
	switch p.Type {
	case parser.PacketConnect:
		var c struct {
			SID string `json:"sid"`
			PID string `json:"pid"`
		}
		if len(p.Data) > 0 {
			_ = json.Unmarshal(p.Data, &c)
		}
		if c.SID == "" {
			msg := "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)"
			s.postConnectError(&ConnectError{Message: msg})
			return
		}
		s.onconnect(c.SID, c.PID)
	case parser.PacketEvent, parser.PacketBinaryEvent:
		s.onevent(p, atts)
	case parser.PacketAck, parser.PacketBinaryAck:
		s.onack(p, atts)
	case parser.PacketDisconnect:
		s.destroy()
		s.onclose(ReasonServerDisconnect, nil)
	case parser.PacketConnectError:
		s.destroy()
		ce := &ConnectError{}
		if len(p.Data) > 0 && p.Data[0] == '{' {
			var body struct {
				Message string          `json:"message"`
				Data    json.RawMessage `json:"data"`
			}
			_ = json.Unmarshal(p.Data, &body)
			ce.Message, ce.Data = body.Message, body.Data
		}
		s.postConnectError(ce)
	}
}

func (s *Socket) onconnect(id, pid string) {
	s.id = id
	s.recovered = pid != "" && s.pid == pid
	s.pid = pid
	s.connected = true
	for _, ev := range s.receiveBuf {
		s.emitEvent(ev)
	}
	s.receiveBuf = nil
	for _, p := range s.sendBuf {
		s.m.writePacket(p.text, p.atts)
	}
	s.sendBuf = nil
	ev := &ConnectEvent{ID: id, Recovered: s.recovered}
	s.m.cb.post(func() { s.hCon.call(ev) })
}

func (s *Socket) onevent(p *parser.Packet, atts [][]byte) {
	if len(p.Data) == 0 {
		return // no name: nothing to call
	}
	name, err := parser.EventName(p.Data)
	if err != nil {
		return
	}
	ev := &Event{name: string(name), sock: s, ackID: p.ID}
	if err := ev.Fill(p.Data, 1, atts); err != nil {
		return
	}
	if s.connected {
		s.emitEvent(ev)
	} else {
		s.receiveBuf = append(s.receiveBuf, ev)
	}
}

// emitEvent queues the handlers of ev and, with connection state
// recovery, records its offset (the last argument, a string the server
// appends to every event it can replay).
func (s *Socket) emitEvent(ev *Event) {
	if s.pid != "" && ev.ackID < 0 && ev.Len() > 0 {
		if off, ok := ev.String(ev.Len() - 1); ok {
			s.lastOffset = off
		}
	}
	s.m.cb.post(func() { s.runHandlers(ev) })
}

// runHandlers runs on the callback goroutine.
func (s *Socket) runHandlers(ev *Event) {
	s.hmu.Lock()
	anys, hs := s.any, s.on[ev.name]
	s.hmu.Unlock()
	for _, h := range anys {
		h(ev)
	}
	for _, h := range hs {
		h(ev)
	}
}

func (s *Socket) onack(p *parser.Packet, atts [][]byte) {
	a := s.acks[p.ID]
	if a == nil {
		return
	}
	delete(s.acks, p.ID)
	a.timer.stop()
	args := &Args{}
	if err := args.Fill(p.Data, 0, atts); err != nil {
		s.deliverAck(a, nil, err)
		return
	}
	s.deliverAck(a, args, nil)
}
