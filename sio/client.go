package sio

import (
	"runtime/debug"
	"slices"
	"sync"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/timer"
	"github.com/sioloop/sioloop/sio/parser"
)

// client is one Engine.IO session seen by Socket.IO: it multiplexes the
// sockets of every namespace the client joined. It implements
// eio.SessionHandler. Messages of one session arrive one at a time (the
// transports deliver them in order), so the packet-assembly state needs no
// lock; the socket table does (emits and closes come from anywhere).
type client struct {
	srv  *Server
	sess *eio.Session
	tm   timer.Node // connect timeout

	mu      sync.Mutex
	sockets []*Socket       // connected namespaces, in connection order (few: a slice beats a map)
	joining map[string]bool // CONNECTs waiting for middlewares
	closed  bool

	bin *parser.Assembler // BINARY_* packet waiting for its attachments (made on first use)

	// Options.EventRate's token bucket (flood.go); floodAt 0: full.
	floodTokens float32
	floodAt     int64
}

func (s *Server) onEngineConnection(sess *eio.Session) {
	c := &client{srv: s, sess: sess}
	c.tm.Init(c)
	s.wheel.Schedule(&c.tm, s.opts.ConnectTimeout)
	sess.SetHandler(c)
	if o := s.obs.list.Load(); o != nil {
		for _, x := range o.all {
			x.SessionOpened(sess)
		}
	}
}

// OnTimer implements timer.Handler: the connect timeout.
func (c *client) OnTimer(*timer.Node) {
	c.mu.Lock()
	idle := len(c.sockets) == 0 && len(c.joining) == 0 && !c.closed
	c.mu.Unlock()
	if idle {
		c.sess.Close()
	}
}

// forceClose ends the session the way the reference does for packets it
// cannot accept: no packet, reason "forced close".
func (c *client) forceClose() { c.sess.Close() }

// OnMessage implements eio.SessionHandler.
func (c *client) OnMessage(sess *eio.Session, data []byte, binary bool) {
	c.srv.countIn(sess, len(data))
	if c.srv.msgpack {
		c.onMsgpackMessage(data, binary)
		return
	}
	if binary {
		if c.bin == nil {
			c.violation("an attachment nobody announced")
			return
		}
		done, err := c.bin.Add(data)
		if err != nil {
			c.violation("attachment: " + err.Error())
			return
		}
		if done {
			p, atts, _ := c.bin.Packet()
			c.dispatch(&p, atts)
		}
		return
	}
	p, err := parser.ParsePacket(data)
	if err != nil || c.bin != nil && c.bin.Pending() {
		if c.bin != nil {
			c.bin.Reset()
		}
		if err != nil {
			c.violation("bad packet: " + err.Error())
		} else {
			c.violation("a packet while attachments were awaited")
		}
		return
	}
	if p.Type.Binary() {
		if c.bin == nil {
			c.bin = &parser.Assembler{MaxAttachments: c.srv.opts.MaxAttachments, MaxBytes: c.srv.eio.Options().MaxPayload}
		}
		if err := c.bin.Start(&p); err != nil {
			c.violation("binary packet: " + err.Error())
		}
		return
	}
	c.dispatch(&p, nil)
}

func (c *client) socket(nsp []byte) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sockets {
		if s.nsp.name == string(nsp) {
			return s
		}
	}
	return nil
}

func (c *client) dispatch(p *Packet, atts [][]byte) {
	// Handlers, middlewares and callbacks of the application run from
	// here (on the event loop, or on net/http's goroutines): a panic costs
	// the socket of the packet's namespace only.
	defer func() {
		if v := recover(); v != nil {
			c.srv.eio.ReportPanic(v, debug.Stack())
			c.contain(string(p.Namespace))
		}
	}()
	switch p.Type {
	case PacketConnect:
		c.connect(string(p.Namespace), p.Data)
	case PacketDisconnect:
		if s := c.socket(p.Namespace); s != nil {
			s.onClose(ReasonClientDisconnect)
		}
	case PacketEvent, PacketBinaryEvent:
		s := c.socket(p.Namespace)
		if s == nil {
			c.violation("an event for a namespace not joined")
			return
		}
		if c.srv.opts.EventRate > 0 && !c.allowEvent() {
			name, _ := parser.EventName(p.Data)
			c.flood(s, string(name))
			return
		}
		s.onEvent(p, atts)
	case PacketAck, PacketBinaryAck:
		s := c.socket(p.Namespace)
		if s == nil {
			c.violation("an ack for a namespace not joined")
			return
		}
		s.onAck(p, atts)
	default: // CONNECT_ERROR from a client
		c.violation("a CONNECT_ERROR from the client")
	}
}

// OnClose implements eio.SessionHandler.
func (c *client) OnClose(sess *eio.Session, reason string) { c.OnCloseDescribed(sess, reason, nil) }

// OnCloseDescribed implements eio.CloseDescriber: the sockets' disconnect
// handlers get the description (Socket.OnDisconnectDescribed).
func (c *client) OnCloseDescribed(_ *eio.Session, reason string, desc error) {
	c.srv.wheel.Stop(&c.tm)
	if o := c.srv.obs.list.Load(); o != nil {
		for _, x := range o.all {
			x.SessionClosed(c.sess, reason)
		}
	}
	c.mu.Lock()
	c.closed = true
	list := append([]*Socket(nil), c.sockets...)
	c.mu.Unlock()
	for _, s := range list {
		s.onCloseDescribed(reason, desc)
	}
}

// closeAll disconnects every socket of the client with DISCONNECT packets,
// then closes the session.
func (c *client) closeAll(reason string) {
	c.mu.Lock()
	list := append([]*Socket(nil), c.sockets...)
	c.mu.Unlock()
	for _, s := range list {
		if s.Connected() {
			s.sendControl(PacketDisconnect, nil)
			s.onClose(reason)
		}
	}
	c.sess.Close()
}

func (c *client) remove(s *Socket) {
	c.mu.Lock()
	if i := slices.Index(c.sockets, s); i >= 0 {
		c.sockets = slices.Delete(c.sockets, i, i+1)
	}
	c.mu.Unlock()
}
