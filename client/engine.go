package client

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/sioloop/sioloop/eio"
)

// engine is the Engine.IO v4 client socket of one connection attempt,
// after the official engine.io-client Socket: handshake, heartbeat, the
// write buffer and its flushing, the polling → WebSocket upgrade and the
// close sequence. Every field and method is guarded by Manager.mu; its
// events go to the Manager (engineOpen, engineData, ...).
type engine struct {
	m     *Manager
	state engineState
	sid   string

	transport transport
	upgrades  []string
	probes    []*probe
	upgrading bool

	pingInterval time.Duration
	pingTimeout  time.Duration
	maxPayload   int
	pingTimer    *timer
	pingDeadline time.Time // zero until the handshake
	pingExpired  bool

	writeBuf   []eio.Packet // owned data
	prevBufLen int          // packets handed to the transport, dropped on drain

	onDrain   []func() // once: the write buffer is empty
	onUpgrade []func() // once: the upgrade succeeded or failed
}

type engineState uint8

const (
	engineOpening engineState = iota
	engineOpen
	engineClosing
	engineClosed
)

// handshake is the body of the open packet.
type handshake struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

// open starts the connection with the first transport.
func (e *engine) open() {
	ts := e.m.opts.Transports
	if len(ts) == 0 {
		e.m.after(0, func() { e.m.engineError(e, ErrNoTransports) })
		return
	}
	name := ts[0]
	if e.m.opts.RememberUpgrade && e.m.priorWebSocket && slices.Contains(ts, TransportWebSocket) {
		name = TransportWebSocket
	}
	e.state = engineOpening
	t := e.createTransport(name)
	t.open()
	e.setTransport(t)
}

func (e *engine) createTransport(name string) transport {
	q := cloneValues(e.m.opts.Query)
	q.Set("EIO", "4")
	q.Set("transport", name)
	if e.sid != "" {
		q.Set("sid", e.sid)
	}
	if name == TransportWebSocket {
		return newWebSocket(e.m, q)
	}
	return newPolling(e.m, q)
}

func (e *engine) setTransport(t transport) {
	if old := e.transport; old != nil {
		old.setSink(nil)
		if p, ok := old.(*polling); ok && p.state == tsPaused {
			p.finish()
			p.cancel()
		}
	}
	e.transport = t
	t.setSink(e)
}

// transportSink of the current transport.

func (e *engine) onTransportOpen(t transport) {}

func (e *engine) onTransportPacket(t transport, p eio.Packet) {
	if t != e.transport || e.state == engineClosed {
		return
	}
	switch p.Type {
	case eio.PacketOpen:
		e.onHandshake(p.Data)
	case eio.PacketPing:
		e.write(eio.Packet{Type: eio.PacketPong})
		e.m.enginePing(e)
		e.resetPingTimeout()
	case eio.PacketMessage:
		e.m.engineData(e, p.Data, p.Binary)
	}
}

func (e *engine) onTransportError(t transport, err error) {
	if t == e.transport {
		e.onError(err)
	}
}

func (e *engine) onTransportClose(t transport, err error) {
	if t == e.transport {
		e.onClose(ReasonTransportClose, err)
	}
}

func (e *engine) onTransportDrain(t transport) {
	if t == e.transport {
		e.drained()
	}
}

func (e *engine) onHandshake(data []byte) {
	var h handshake
	if err := json.Unmarshal(data, &h); err != nil || h.SID == "" {
		e.onError(&TransportError{Reason: "server error", Err: err})
		return
	}
	e.sid = h.SID
	e.transport.setSID(h.SID)
	e.upgrades = e.upgrades[:0]
	for _, u := range h.Upgrades {
		if slices.Contains(e.m.opts.Transports, u) {
			e.upgrades = append(e.upgrades, u)
		}
	}
	e.pingInterval = time.Duration(h.PingInterval) * time.Millisecond
	e.pingTimeout = time.Duration(h.PingTimeout) * time.Millisecond
	e.maxPayload = h.MaxPayload
	e.onOpen()
	if e.state == engineClosed {
		return
	}
	e.resetPingTimeout()
}

func (e *engine) onOpen() {
	e.state = engineOpen
	e.m.priorWebSocket = e.transport.name() == TransportWebSocket
	e.m.engineOpen(e)
	e.flush()
	if e.state != engineOpen || e.m.opts.NoUpgrade {
		return
	}
	for _, u := range e.upgrades {
		if u != e.transport.name() {
			e.probe(u)
		}
	}
}

// resetPingTimeout arms the heartbeat watchdog: without a ping within
// pingInterval + pingTimeout the server is considered gone.
func (e *engine) resetPingTimeout() {
	e.pingTimer.stop()
	d := e.pingInterval + e.pingTimeout
	e.pingDeadline = time.Now().Add(d)
	e.pingTimer = e.m.after(d, func() { e.onClose(ReasonPingTimeout, nil) })
}

// hasPingExpired catches a watchdog that did not fire in time (a
// suspended process): the connection is then treated as gone.
func (e *engine) hasPingExpired() bool {
	if e.pingExpired {
		return true
	}
	if e.pingDeadline.IsZero() || !time.Now().After(e.pingDeadline) {
		return false
	}
	e.pingExpired = true
	e.m.after(0, func() { e.onClose(ReasonPingTimeout, nil) })
	return true
}

// write queues packets (their Data must be owned) and flushes.
func (e *engine) write(pkts ...eio.Packet) {
	if e.state == engineClosing || e.state == engineClosed {
		return
	}
	e.writeBuf = append(e.writeBuf, pkts...)
	e.flush()
}

func (e *engine) flush() {
	if e.state == engineClosed || e.upgrading || len(e.writeBuf) == 0 || e.transport == nil || !e.transport.writable() {
		return
	}
	pkts := e.writablePackets()
	e.prevBufLen = len(pkts)
	if e.transport.send(pkts) {
		e.drained()
	}
}

// writablePackets returns the packets of the next polling request: as many
// as fit in the server's maxPayload (at least one), as the official
// client counts them.
func (e *engine) writablePackets() []eio.Packet {
	if e.maxPayload <= 0 || e.transport.name() != TransportPolling || len(e.writeBuf) < 2 {
		return e.writeBuf
	}
	size := 1
	for i, p := range e.writeBuf {
		size += len(p.Data)
		if p.Binary {
			size += (len(p.Data)+2)/3*4 - len(p.Data) // base64
		}
		if i > 0 && size > e.maxPayload {
			return e.writeBuf[:i]
		}
		size += 2
	}
	return e.writeBuf
}

// drained drops the packets the transport has sent.
func (e *engine) drained() {
	n := copy(e.writeBuf, e.writeBuf[e.prevBufLen:])
	clear(e.writeBuf[n:])
	e.writeBuf = e.writeBuf[:n]
	e.prevBufLen = 0
	if n > 0 {
		e.flush()
		return
	}
	waiters := e.onDrain
	e.onDrain = nil
	for _, w := range waiters {
		w()
	}
}

// close closes the connection like the official client: after the write
// buffer is sent and any upgrade in progress ended.
func (e *engine) close() {
	if e.state != engineOpening && e.state != engineOpen {
		return
	}
	e.state = engineClosing
	closeNow := func() {
		e.onClose(ReasonForcedClose, nil)
		e.transport.close()
	}
	afterUpgrade := func() {
		e.onUpgrade = append(e.onUpgrade, closeNow)
	}
	switch {
	case len(e.writeBuf) > 0:
		e.onDrain = append(e.onDrain, func() {
			if e.upgrading {
				afterUpgrade()
			} else {
				closeNow()
			}
		})
	case e.upgrading:
		afterUpgrade()
	default:
		closeNow()
	}
}

func (e *engine) onError(err error) {
	e.m.priorWebSocket = false
	e.m.engineError(e, err)
	e.onClose(ReasonTransportError, err)
}

func (e *engine) onClose(reason string, err error) {
	if e.state == engineClosed {
		return
	}
	e.pingTimer.stop()
	t := e.transport
	t.setSink(nil)
	t.close()
	e.state = engineClosed
	e.sid = ""
	e.m.engineClose(e, reason, err)
	for _, p := range slices.Clone(e.probes) {
		p.fail("socket closed")
	}
	e.writeBuf, e.prevBufLen = nil, 0
	e.onDrain, e.onUpgrade = nil, nil
}

// upgraded runs the waiters of the end of an upgrade.
func (e *engine) upgraded() {
	waiters := e.onUpgrade
	e.onUpgrade = nil
	for _, w := range waiters {
		w()
	}
}
