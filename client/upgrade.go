package client

import (
	"slices"

	"github.com/sioloop/sioloop/eio"
)

// probe tests a better transport (WebSocket) while the connection runs on
// polling, as the official client does: open it with the session id, send
// "2probe", expect "3probe", pause polling, switch, send "5".
type probe struct {
	e        *engine
	t        transport
	failed   bool
	waitPong bool
}

func (e *engine) probe(name string) {
	t := e.createTransport(name)
	p := &probe{e: e, t: t}
	e.m.priorWebSocket = false
	e.probes = append(e.probes, p)
	t.setSink(p)
	t.open()
}

func (p *probe) onTransportOpen(t transport) {
	if p.failed {
		return
	}
	t.send([]eio.Packet{{Type: eio.PacketPing, Data: []byte("probe")}})
	p.waitPong = true
}

func (p *probe) onTransportPacket(t transport, pk eio.Packet) {
	if p.failed || !p.waitPong {
		return
	}
	p.waitPong = false
	e := p.e
	if pk.Type != eio.PacketPong || string(pk.Data) != "probe" {
		p.freeze()
		e.upgraded()
		return
	}
	e.upgrading = true
	e.m.priorWebSocket = t.name() == TransportWebSocket
	e.transport.pause(func() {
		if p.failed || e.state == engineClosed {
			return
		}
		p.detach()
		e.setTransport(t)
		t.send([]eio.Packet{{Type: eio.PacketUpgrade}})
		e.m.engineUpgrade(e, t.name())
		e.upgrading = false
		e.upgraded()
		e.flush()
	})
}

func (p *probe) onTransportError(t transport, err error) { p.fail(err) }
func (p *probe) onTransportClose(t transport, err error) { p.fail("transport closed") }
func (p *probe) onTransportDrain(t transport)            {}

// fail abandons the probe (an error, or the connection closed). Unlike
// the official client, which then leaves a paused polling transport
// paused until the heartbeat gives up, polling resumes.
func (p *probe) fail(cause any) {
	if p.failed {
		return
	}
	p.freeze()
	_ = cause // the official client emits upgradeError with it
	e := p.e
	if e.upgrading && e.state != engineClosed {
		e.upgrading = false
		if pl, ok := e.transport.(*polling); ok {
			pl.resume()
		}
		e.flush()
	}
	e.upgraded()
}

// freeze stops listening to the probe transport and closes it.
func (p *probe) freeze() {
	if p.failed {
		return
	}
	p.failed = true
	p.detach()
	p.t.close()
}

func (p *probe) detach() {
	p.t.setSink(nil)
	p.e.probes = slices.DeleteFunc(p.e.probes, func(q *probe) bool { return q == p })
}
