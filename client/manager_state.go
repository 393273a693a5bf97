package client

import (
	"bytes"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio/parser"
)

// --- the official Manager's state machine; every method below runs with
// m.mu held ---

// open starts a connection unless one is open or opening. fn, if not nil,
// hears the outcome (reconnection attempts); without it a failure starts
// the reconnection.
func (m *Manager) open(fn func(err error)) {
	if m.state == managerOpen || m.state == managerOpening {
		return
	}
	e := &engine{m: m}
	m.engine = e
	m.state = managerOpening
	m.skipReconnect = false
	m.phase = subsOpening
	m.openFn = fn
	if d := m.opts.Timeout; d > 0 {
		m.connectTimer = m.after(d, func() {
			if m.engine != e || m.phase != subsOpening {
				return
			}
			m.openFailed(ErrTimeout)
			e.close()
		})
	}
	e.open()
}

func (m *Manager) openFailed(err error) {
	fn := m.openFn
	m.cleanup()
	m.state = managerClosed
	m.emitError(err)
	if fn != nil {
		fn(err)
	} else {
		m.maybeReconnectOnOpen()
	}
}

func (m *Manager) maybeReconnectOnOpen() {
	if !m.reconnecting && !m.opts.NoReconnection && m.backoff.attempts == 0 {
		m.reconnect()
	}
}

func (m *Manager) onopen() {
	e := m.engine
	m.cleanup()
	m.state = managerOpen
	ev := &OpenEvent{SID: e.sid, Transport: e.transport.name()}
	m.cb.post(func() { m.hOpen.call(ev) })
	m.phase = subsOpen
	for _, s := range m.activeSockets() {
		s.onopen()
	}
}

// cleanup drops the engine subscriptions and the pending timers.
func (m *Manager) cleanup() {
	m.phase = subsNone
	m.openFn = nil
	m.connectTimer.stop()
	m.reconnectTimer.stop()
	m.connectTimer, m.reconnectTimer = nil, nil
	m.asm.Reset()
}

func (m *Manager) emitError(err error) {
	ev := &ErrorEvent{Err: err}
	m.cb.post(func() { m.hError.call(ev) })
	for _, s := range m.activeSockets() {
		s.onerror(err)
	}
}

// closeForced is the official _close: no reconnection, "forced close".
func (m *Manager) closeForced() {
	m.skipReconnect = true
	m.reconnecting = false
	m.onclose(ReasonForcedClose, nil)
}

func (m *Manager) onclose(reason string, err error) {
	m.cleanup()
	if m.engine != nil {
		m.engine.close()
	}
	m.backoff.reset()
	if m.state != managerClosed {
		ev := &DisconnectEvent{Reason: reason, Err: err}
		m.cb.post(func() { m.hClose.call(ev) })
	}
	m.state = managerClosed
	for _, s := range m.activeSockets() {
		s.onclose(reason, err)
	}
	if !m.opts.NoReconnection && !m.skipReconnect {
		m.reconnect()
	}
}

func (m *Manager) reconnect() {
	if m.reconnecting || m.skipReconnect {
		return
	}
	if n := m.opts.ReconnectionAttempts; n > 0 && m.backoff.attempts >= n {
		m.backoff.reset()
		m.cb.post(func() { m.hReconnectFailed.call(&ReconnectEvent{}) })
		m.reconnecting = false
		return
	}
	d := m.backoff.duration()
	m.reconnecting = true
	m.reconnectTimer = m.after(d, func() {
		if m.skipReconnect {
			return
		}
		attempt := m.backoff.attempts
		m.cb.post(func() { m.hReconnectAttempt.call(&ReconnectEvent{Attempt: attempt}) })
		m.open(func(err error) {
			if err != nil {
				m.reconnecting = false
				m.reconnect()
				ev := &ReconnectEvent{Attempt: attempt, Err: err}
				m.cb.post(func() { m.hReconnectError.call(ev) })
				return
			}
			m.onreconnect()
		})
	})
}

func (m *Manager) onreconnect() {
	attempt := m.backoff.attempts
	m.reconnecting = false
	m.backoff.reset()
	m.cb.post(func() { m.hReconnect.call(&ReconnectEvent{Attempt: attempt}) })
}

// destroy is called when s stops being active: the connection closes once
// no Socket uses it.
func (m *Manager) destroy() {
	for _, s := range m.sockets {
		if s.active {
			return
		}
	}
	m.closeForced()
}

func (m *Manager) activeSockets() []*Socket {
	var out []*Socket
	for _, s := range m.sockets {
		if s.active {
			out = append(out, s)
		}
	}
	return out
}

// writePacket sends one encoded Socket.IO packet and its attachments,
// whose bytes the engine now owns.
func (m *Manager) writePacket(text []byte, atts [][]byte) {
	if m.engine == nil {
		return
	}
	if m.opts.Parser == ParserMsgpack {
		if p, err := msgpackPacket(text, atts); err == nil {
			m.engine.write(p)
		}
		return
	}
	pkts := make([]eio.Packet, 0, 1+len(atts))
	pkts = append(pkts, eio.Packet{Type: eio.PacketMessage, Data: text})
	for _, a := range atts {
		pkts = append(pkts, eio.Packet{Type: eio.PacketMessage, Binary: true, Data: a})
	}
	m.engine.write(pkts...)
}

// --- engine events ---

func (m *Manager) engineOpen(e *engine) {
	if e != m.engine || m.phase != subsOpening {
		return
	}
	fn := m.openFn
	m.onopen()
	if fn != nil {
		fn(nil)
	}
}

func (m *Manager) engineError(e *engine, err error) {
	if e != m.engine {
		return
	}
	switch m.phase {
	case subsOpening:
		m.openFailed(err)
	case subsOpen:
		m.emitError(err)
	}
}

func (m *Manager) engineClose(e *engine, reason string, err error) {
	if e == m.engine && m.phase == subsOpen {
		m.onclose(reason, err)
	}
}

func (m *Manager) enginePing(e *engine) {
	if e == m.engine && m.phase == subsOpen {
		m.cb.post(func() { m.hPing.call(&PingEvent{}) })
	}
}

func (m *Manager) engineUpgrade(e *engine, name string) {
	if e == m.engine {
		ev := &UpgradeEvent{Transport: name}
		m.cb.post(func() { m.hUpgrade.call(ev) })
	}
}

// engineData decodes one Engine.IO message into Socket.IO packets. data
// aliases the transport's buffer; whatever outlives the call is copied.
func (m *Manager) engineData(e *engine, data []byte, binary bool) {
	if e != m.engine || m.phase != subsOpen {
		return
	}
	if m.opts.Parser == ParserMsgpack {
		m.msgpackData(data, binary)
		return
	}
	if binary {
		done, err := m.asm.Add(data)
		if err != nil {
			m.onclose(ReasonParseError, err)
			return
		}
		if done {
			p, atts, _ := m.asm.Packet()
			m.dispatch(&p, atts)
		}
		return
	}
	p, err := parser.ParsePacket(data)
	if err == nil && m.asm.Pending() {
		m.asm.Reset()
		err = parser.ErrUnexpectedText
	}
	if err != nil {
		m.onclose(ReasonParseError, err)
		return
	}
	if p.Type.Binary() {
		if err := m.asm.Start(&p); err != nil {
			m.onclose(ReasonParseError, err)
		}
		return
	}
	p.Data = bytes.Clone(p.Data)
	m.dispatch(&p, nil)
}

// dispatch hands a decoded packet (owned bytes) to its namespace's Socket.
func (m *Manager) dispatch(p *parser.Packet, atts [][]byte) {
	for _, s := range m.sockets {
		if s.active && s.nsp == string(p.Namespace) {
			s.onpacket(p, atts)
			return
		}
	}
}
