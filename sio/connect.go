package sio

import (
	"crypto/rand"
	"encoding/base64"
	"runtime/debug"

	"github.com/sioloop/sioloop/sio/parser"
)

func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

var emptyAuth = []byte("{}")

// connect handles a CONNECT for namespace name with the raw auth payload.
func (c *client) connect(name string, auth []byte) {
	if c.socket([]byte(name)) != nil || c.isJoining(name) {
		c.violation("a second CONNECT to " + name)
		return
	}
	c.mu.Lock()
	n := len(c.sockets) + len(c.joining)
	c.mu.Unlock()
	if n >= c.srv.opts.MaxNamespaces {
		// Each namespace joined holds a socket (and a dynamic one a
		// namespace) for a CONNECT of a few bytes: bounded per connection.
		c.sendConnectError(name, "Too many namespaces", nil)
		return
	}
	nsp := c.srv.lookup(name, auth)
	if nsp == nil {
		c.sendConnectError(name, "Invalid namespace", nil)
		return
	}
	if len(auth) == 0 {
		auth = emptyAuth
	} else {
		auth = append([]byte(nil), auth...) // outlives the packet
	}
	s := &Socket{
		nsp:       nsp,
		client:    c,
		sess:      c.sess,
		handshake: &Handshake{eio: c.sess.Handshake(), Auth: auth},
	}
	if c.srv.pool != nil {
		s.work = new(socketQueue)
	}
	if c.srv.recovery != nil && c.srv.recovery.restore(s, auth) {
		s.recovered = true
		if !c.srv.opts.Recovery.RunMiddlewares {
			c.finishConnect(s)
			return
		}
	}
	if s.id == "" {
		s.id = newID()
	}
	mws, _ := nsp.handlers()
	if len(mws) == 0 {
		c.finishConnect(s)
		return
	}
	c.mu.Lock()
	if c.joining == nil {
		c.joining = make(map[string]bool, 1)
	}
	c.joining[name] = true
	c.mu.Unlock()
	c.runMiddlewares(s, mws, 0)
}

func (c *client) runMiddlewares(s *Socket, mws []Middleware, i int) {
	// A middleware may call next from a goroutine of its own: the rest of
	// the CONNECT (later middlewares, the connection handlers) then runs
	// there, out of dispatch's reach, so panics are contained here too.
	defer func() {
		if v := recover(); v != nil {
			c.srv.eio.ReportPanic(v, debug.Stack())
			c.contain(s.nsp.name)
		}
	}()
	if i == len(mws) {
		c.mu.Lock()
		delete(c.joining, s.nsp.name)
		c.mu.Unlock()
		c.finishConnect(s)
		return
	}
	called := false
	mws[i](s, func(err error) {
		if called {
			return
		}
		called = true
		if err != nil {
			c.mu.Lock()
			delete(c.joining, s.nsp.name)
			c.mu.Unlock()
			var data any
			hasData := false
			if ed, ok := err.(ErrorData); ok {
				data, hasData = ed.Data(), ed.Data() != nil
			}
			c.sendConnectError(s.nsp.name, err.Error(), dataOrNil(hasData, data))
			return
		}
		c.runMiddlewares(s, mws, i+1)
	})
}

func dataOrNil(ok bool, v any) *any {
	if !ok {
		return nil
	}
	return &v
}

// finishConnect joins the socket to its namespace and answers CONNECT.
func (c *client) finishConnect(s *Socket) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.sockets = append(c.sockets, s)
	c.mu.Unlock()
	c.srv.wheel.Stop(&c.tm)

	s.mu.Lock()
	s.connected = true
	s.mu.Unlock()
	s.nsp.add(s)
	s.nsp.adapter.AddAll(s, []string{s.id})
	if s.recovered {
		s.nsp.srv.recovery.replay(s)
	}

	// 0[/nsp,]{"sid":"…"[,"pid":"…"]}
	b := c.srv.getBuf()
	b.B = append(b.B, `{"sid":"`...)
	b.B = append(b.B, s.id...)
	if s.rec != nil {
		b.B = append(b.B, `","pid":"`...)
		b.B = append(b.B, s.rec.pid...)
	}
	b.B = append(b.B, `"}`...)
	s.sendControl(PacketConnect, b.B)
	c.srv.putBuf(b)

	if c.srv.trace {
		c.srv.logger().Debug("sio: socket connected", "nsp", s.nsp.name, "id", s.id, "sid", c.sess.ID(), "recovered", s.recovered)
	}
	for _, x := range c.srv.detailed() {
		x.SocketConnected(s)
	}
	_, onConn := s.nsp.handlers()
	for _, fn := range onConn {
		fn(s)
	}
}

// sendConnectError answers a refused CONNECT:
// 4[/nsp,]{"message":"…"[,"data":…]}.
func (c *client) sendConnectError(nsp, msg string, data *any) {
	if c.srv.trace {
		c.srv.logger().Debug("sio: CONNECT refused", "nsp", nsp, "sid", c.sess.ID(), "message", msg)
	}
	b := c.srv.getBuf()
	defer c.srv.putBuf(b)
	b.B = append(b.B, `{"message":`...)
	b.B = parser.AppendJSONString(b.B, msg)
	if data != nil {
		b.B = append(b.B, `,"data":`...)
		var err error
		if b.B, err = parser.AppendJSON(b.B, *data); err != nil {
			b.B = append(b.B, "null"...)
		}
	}
	b.B = append(b.B, '}')
	p := Packet{Type: PacketConnectError, Namespace: []byte(nsp), ID: -1, Data: b.B}
	c.sendPacket(&p)
}

func (c *client) isJoining(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joining[name]
}
