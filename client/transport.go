package client

import (
	"net/url"

	"github.com/sioloop/sioloop/eio"
)

// A transport carries Engine.IO packets over one kind of connection, like
// the official client's Transport classes. Every method is called with
// Manager.mu held; the transport's goroutines take Manager.mu before they
// report to the sink, and report nothing once the sink is nil (the
// official client's removeAllListeners).
type transport interface {
	name() string
	// open starts connecting; the sink hears open or error later.
	open()
	// send writes packets; the transport must be writable. It reports
	// whether they are gone already (WebSocket: framed into the output
	// buffer) or a drain will follow (polling: after the POST).
	send(pkts []eio.Packet) (drained bool)
	writable() bool
	// pause stops receiving before an upgrade and calls onPause once no
	// request is in flight (polling only).
	pause(onPause func())
	// close closes the transport (gracefully where it can) and reports
	// close to the sink, if it was opening or open.
	close()
	setSink(s transportSink)
	setSID(sid string)
}

// transportSink hears a transport's events, with Manager.mu held. The
// packet's Data aliases the transport's buffer: valid until the call
// returns.
type transportSink interface {
	onTransportOpen(t transport)
	onTransportPacket(t transport, p eio.Packet)
	onTransportError(t transport, err error)
	onTransportClose(t transport, err error)
	onTransportDrain(t transport)
}

// transportState is a transport's readyState.
type transportState uint8

const (
	tsNew transportState = iota
	tsOpening
	tsOpen
	tsPausing
	tsPaused
	tsClosed
)

// transportBase holds what both transports share. Fields are guarded by
// Manager.mu.
type transportBase struct {
	m     *Manager
	sink  transportSink
	state transportState
	query url.Values
}

func (t *transportBase) setSink(s transportSink) { t.sink = s }
func (t *transportBase) setSID(sid string)       { t.query.Set("sid", sid) }

// Reporting helpers, with Manager.mu held. Each re-reads the sink, as a
// sink's handler may detach it.

func (t *transportBase) reportOpen(self transport) {
	t.state = tsOpen
	if t.sink != nil {
		t.sink.onTransportOpen(self)
	}
}

func (t *transportBase) reportPacket(self transport, p eio.Packet) {
	if t.sink != nil {
		t.sink.onTransportPacket(self, p)
	}
}

func (t *transportBase) reportError(self transport, err error) {
	if t.sink != nil {
		t.sink.onTransportError(self, err)
	}
}

func (t *transportBase) reportClose(self transport, err error) {
	t.state = tsClosed
	if t.sink != nil {
		t.sink.onTransportClose(self, err)
	}
}

func (t *transportBase) reportDrain(self transport) {
	if t.sink != nil {
		t.sink.onTransportDrain(self)
	}
}

// endpoint returns the URL of a request of this transport: scheme
// (http/https or ws/wss), host and path from the Manager, the query with
// the given extra parameters.
func (t *transportBase) endpoint(ws bool, extra ...string) string {
	u := *t.m.base
	if ws {
		if u.Scheme == "https" {
			u.Scheme = "wss"
		} else {
			u.Scheme = "ws"
		}
	}
	q := t.query
	if len(extra) > 0 {
		q = cloneValues(q)
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v)+2)
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}
