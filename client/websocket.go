package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/wsframe"
)

// websocket is the WebSocket transport: one Engine.IO packet per message,
// text frames for text packets, binary frames for binary messages.
type websocket struct {
	transportBase
	ctx    context.Context
	cancel context.CancelFunc
	c      *wsConn // nil until the handshake is done
}

func newWebSocket(m *Manager, query map[string][]string) *websocket {
	ctx, cancel := context.WithCancel(m.ctx)
	return &websocket{transportBase: transportBase{m: m, query: query}, ctx: ctx, cancel: cancel}
}

func (t *websocket) name() string         { return TransportWebSocket }
func (t *websocket) writable() bool       { return t.state == tsOpen }
func (t *websocket) pause(onPause func()) {}

func (t *websocket) open() {
	t.state = tsOpening
	u := t.endpoint(true)
	ctx, m := t.ctx, t.m
	m.spawn(func() {
		dctx := ctx
		if d := m.opts.Timeout; d > 0 {
			var cancel context.CancelFunc
			dctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		conn, rest, err := dialWebSocket(dctx, u, t.header(), &m.opts)
		m.mu.Lock()
		defer m.mu.Unlock()
		if t.state != tsOpening {
			if conn != nil {
				conn.Close()
			}
			return
		}
		if err != nil {
			t.reportError(t, transportErr("websocket error", err))
			return
		}
		t.c = newWSConn(conn, m.opts.writeDeadline())
		stop := context.AfterFunc(ctx, t.c.shutdown)
		m.spawn(func() { t.c.writeLoop() })
		m.spawn(func() { t.readLoop(t.c, rest); stop() })
		t.reportOpen(t)
	})
}

// header is the handshake's extra headers: Options.Header, and the
// cookies of the polling client's jar (sticky sessions), if it has one.
func (t *websocket) header() http.Header {
	h := t.m.opts.Header
	jar := t.m.httpClient.Jar
	if jar == nil {
		return h
	}
	cookies := jar.Cookies(&url.URL{Scheme: t.m.base.Scheme, Host: t.m.base.Host, Path: t.m.base.Path})
	if len(cookies) == 0 {
		return h
	}
	h = h.Clone()
	if h == nil {
		h = make(http.Header)
	}
	parts := h.Values("Cookie")
	for _, c := range cookies {
		parts = append(parts, c.String())
	}
	h.Set("Cookie", strings.Join(parts, "; "))
	return h
}

func (t *websocket) send(pkts []eio.Packet) bool {
	for _, p := range pkts {
		t.c.writePacket(p)
	}
	return true
}

func (t *websocket) close() {
	if t.state != tsOpening && t.state != tsOpen {
		return
	}
	if t.c != nil {
		t.c.closeGracefully()
	} else {
		t.cancel() // ends the dial
	}
	t.reportClose(t, nil)
}

// readLoop reads frames until the connection ends, on its own goroutine.
// Payloads alias buf and are handed to the sink under Manager.mu, so they
// are valid until the sink returns.
func (t *websocket) readLoop(c *wsConn, rest []byte) {
	defer c.shutdown()
	defer t.cancel()
	dec := wsframe.Decoder{Client: true, MaxMessage: t.m.opts.MaxMessage}
	buf := make([]byte, len(rest), max(len(rest), 16<<10))
	copy(buf, rest)
	for {
		off := 0
		for {
			msg, n, err := dec.Next(buf[off:])
			off += n
			if err == wsframe.ErrNeedMore {
				break
			}
			if err != nil {
				var ce *wsframe.CloseError
				if errors.As(err, &ce) {
					c.closeWith(ce.Code)
				}
				t.fail(&TransportError{Reason: "websocket error", Err: err})
				return
			}
			if !t.deliver(c, msg) {
				return
			}
		}
		buf = buf[:copy(buf, buf[off:])]
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, len(buf))...)[:len(buf)]
		}
		n, err := c.conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil && n == 0 {
			t.m.mu.Lock()
			if t.state == tsOpen {
				t.reportClose(t, err)
			}
			t.m.mu.Unlock()
			return
		}
	}
}

// deliver handles one message; false ends the read loop.
func (t *websocket) deliver(c *wsConn, msg wsframe.Message) bool {
	switch msg.Op {
	case ws.OpPing:
		c.writeFrame(ws.OpPong, msg.Payload)
		return true
	case ws.OpPong:
		return true
	case ws.OpClose:
		code, _, _ := wsframe.ParseClose(msg.Payload)
		c.closeWith(code)
		t.m.mu.Lock()
		if t.state == tsOpen {
			t.reportClose(t, errors.New("websocket connection closed"))
		}
		t.m.mu.Unlock()
		return false
	}
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if t.state != tsOpen {
		return false
	}
	p, err := eio.ParsePacket(msg.Payload, msg.Op == ws.OpBinary)
	if err != nil {
		t.reportError(t, &TransportError{Reason: "server error", Err: err})
		return t.state == tsOpen
	}
	t.reportPacket(t, p)
	return t.state == tsOpen
}

func (t *websocket) fail(err error) {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if t.state == tsOpen {
		t.reportError(t, err)
	}
}

// wsConn is the I/O side of a WebSocket connection: a writer goroutine
// drains an output buffer that the Manager fills under wsConn.mu, so no
// writer ever blocks on the network with Manager.mu held.
type wsConn struct {
	conn     net.Conn
	deadline time.Duration

	mu      sync.Mutex
	out     []byte
	spare   []byte
	scratch []byte
	closing bool          // send a close frame after out, then end
	code    ws.StatusCode // its status code (0: none)
	wake    chan struct{} // cap 1
	done    chan struct{} // closed by shutdown
	once    sync.Once
}

func newWSConn(conn net.Conn, deadline time.Duration) *wsConn {
	return &wsConn{conn: conn, deadline: deadline, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func mask() [4]byte {
	var k [4]byte
	r := rand.Uint32()
	k[0], k[1], k[2], k[3] = byte(r), byte(r>>8), byte(r>>16), byte(r>>24)
	return k
}

// writePacket frames one Engine.IO packet. p.Data is copied.
func (c *wsConn) writePacket(p eio.Packet) {
	c.mu.Lock()
	if !c.closing {
		op := ws.OpText
		if p.Binary {
			op = ws.OpBinary
		}
		c.scratch = eio.AppendPacket(c.scratch[:0], p)
		c.out = wsframe.AppendClientFrame(c.out, op, c.scratch, mask())
	}
	c.mu.Unlock()
	c.signal()
}

// writeFrame queues one frame (a pong). payload is copied.
func (c *wsConn) writeFrame(op ws.OpCode, payload []byte) {
	c.mu.Lock()
	if !c.closing {
		c.out = wsframe.AppendClientFrame(c.out, op, payload, mask())
	}
	c.mu.Unlock()
	c.signal()
}

// closeGracefully sends what is queued, then a close frame, then closes.
func (c *wsConn) closeGracefully() { c.closeWith(0) }

func (c *wsConn) closeWith(code ws.StatusCode) {
	c.mu.Lock()
	if !c.closing {
		c.closing, c.code = true, code
	}
	c.mu.Unlock()
	c.signal()
}

func (c *wsConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// shutdown closes the connection now; both loops end.
func (c *wsConn) shutdown() {
	c.once.Do(func() {
		close(c.done)
		c.conn.Close()
	})
}

func (c *wsConn) writeLoop() {
	defer c.shutdown()
	for {
		c.mu.Lock()
		buf := c.out
		c.out = c.spare[:0]
		closing, code := c.closing, c.code
		c.mu.Unlock()
		if len(buf) > 0 {
			_ = c.conn.SetWriteDeadline(time.Now().Add(c.deadline))
			if _, err := c.conn.Write(buf); err != nil {
				return
			}
		}
		c.mu.Lock()
		c.spare = buf[:0]
		more := len(c.out) > 0
		c.mu.Unlock()
		if more {
			continue
		}
		if closing {
			var reply []byte
			if code == 0 {
				reply = wsframe.AppendClientFrame(nil, ws.OpClose, nil, mask())
			} else {
				reply = wsframe.AppendClientFrame(nil, ws.OpClose, []byte{byte(code >> 8), byte(code)}, mask())
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(c.deadline))
			_, _ = c.conn.Write(reply)
			return
		}
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
	}
}
