package sio_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/sio/parser"
)

// mpConn is an eio.WSConn keeping the messages written to it.
type mpConn struct {
	mu     sync.Mutex
	h      eio.WSHandler
	msgs   []mpMsg
	closed bool
}

type mpMsg struct {
	op   ws.OpCode
	data []byte
}

func (c *mpConn) WriteFrame(op ws.OpCode, a, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, mpMsg{op, append(append([]byte(nil), a...), b...)})
}

// WriteRaw splits pre-encoded (unmasked, unfragmented) server frames.
func (c *mpConn) WriteRaw(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(b) > 0 {
		op, n, i := ws.OpCode(b[0]&0x0f), int(b[1]&0x7f), 2
		switch n {
		case 126:
			n, i = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			n, i = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		c.msgs = append(c.msgs, mpMsg{op, append([]byte(nil), b[i:i+n]...)})
		b = b[i+n:]
	}
}
func (c *mpConn) Close(ws.StatusCode)        { c.mu.Lock(); c.closed = true; c.mu.Unlock() }
func (c *mpConn) Writable() bool             { return true }
func (c *mpConn) Buffered() int              { return 0 }
func (c *mpConn) SetHandler(h eio.WSHandler) { c.h = h }
func (c *mpConn) RemoteAddr() net.Addr       { return nil }

type mpWriter struct{ conn *mpConn }

func (w *mpWriter) Respond(*eio.Response)            {}
func (w *mpWriter) NotifyAbort(eio.PollAbortHandler) {}
func (w *mpWriter) Drop()                            {}
func (w *mpWriter) Upgrade(h eio.WSHandler, _ []eio.HeaderField) (eio.WSConn, error) {
	w.conn.h = h
	return w.conn, nil
}

type mpNoHeaders struct{}

func (mpNoHeaders) Header(string) []byte { return nil }

func mpOpen(t *testing.T, srv *sio.Server) *mpConn {
	t.Helper()
	c := &mpConn{}
	srv.Engine().HandleRequest(&eio.Request{Method: []byte("GET"), RawQuery: []byte("EIO=4&transport=websocket"),
		Headers: mpNoHeaders{}, Upgrade: true}, &mpWriter{conn: c})
	if c.h == nil {
		t.Fatal("no WebSocket session")
	}
	return c
}

// send writes a text-form packet as the msgpack parser's binary message.
func (c *mpConn) send(t *testing.T, text string, atts ...[]byte) {
	t.Helper()
	p, err := parser.ParsePacket([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	m, err := parser.AppendMsgpackPacket(nil, &p, atts)
	if err != nil {
		t.Fatal(err)
	}
	c.h.OnMessage(c, true, m)
}

// packets decodes the msgpack packets written since the last call (the
// Engine.IO open packet aside) into the text form sioloop reads them as
// (EVENT and ACK, binary values as placeholders), attachments in hex.
func (c *mpConn) packets(t *testing.T) []string {
	t.Helper()
	c.mu.Lock()
	msgs := c.msgs
	c.msgs = nil
	c.mu.Unlock()
	var out []string
	for _, m := range msgs {
		if m.op == ws.OpText {
			if m.data[0] == '0' || m.data[0] == '3' { // open, pong
				continue
			}
			t.Fatalf("a text message with the msgpack parser: %q", m.data)
		}
		p, _, atts, err := parser.ParseMsgpackPacket(m.data, nil, nil)
		if err != nil {
			t.Fatalf("%x: %v", m.data, err)
		}
		var b strings.Builder
		b.Write(parser.AppendPacket(nil, &p))
		for _, a := range atts {
			b.WriteString(" ")
			for _, x := range a {
				b.WriteString(string("0123456789abcdef"[x>>4]) + string("0123456789abcdef"[x&15]))
			}
		}
		out = append(out, b.String())
	}
	return out
}

func TestMsgpackParserServer(t *testing.T) {
	srv := sio.NewServer(&sio.Options{Parser: sio.ParserMsgpack})
	defer srv.Close()
	var sid string
	srv.OnConnection(func(s *sio.Socket) {
		sid = s.ID()
		s.On("echo", func(e *sio.Event) {
			if e.HasAck() {
				_ = e.Ack(&e.Args)
				return
			}
			_ = s.Emit("echo", &e.Args)
		})
		s.On("all", func(e *sio.Event) { _ = srv.Emit("news", []byte{7, 8}, "x") })
		s.On("bye", func(*sio.Event) { s.Disconnect(false) })
	})
	srv.Of("/guarded").Use(func(s *sio.Socket, next func(error)) { next(errors.New("no")) })

	c := mpOpen(t, srv)
	c.send(t, "0")
	got := c.packets(t)
	if len(got) != 1 || got[0] != `0{"sid":"`+sid+`"}` {
		t.Fatalf("CONNECT answer %q (sid %s)", got, sid)
	}
	// Nested binary in, echoed inline; with an ack id, acknowledged.
	c.send(t, `51-["echo",{"b":{"_placeholder":true,"num":0}},[1.5,null]]`, []byte{1, 2})
	c.send(t, `51-4["echo",{"_placeholder":true,"num":0}]`, []byte{})
	c.send(t, `2["all"]`)
	c.send(t, "0/guarded,")
	want := []string{
		`2["echo",{"b":{"_placeholder":true,"num":0}},[1.5,null]] 0102`,
		`34[{"_placeholder":true,"num":0}] `,
		`2["news",{"_placeholder":true,"num":0},"x"] 0708`,
		`4/guarded,{"message":"no"}`,
	}
	if got := c.packets(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c.send(t, `2["bye"]`)
	if got := c.packets(t); len(got) != 1 || got[0] != "1" {
		t.Fatalf("server disconnect: %q", got)
	}

	// A text packet, or bytes that are no msgpack packet, close the session.
	for _, bad := range []func(c *mpConn){
		func(c *mpConn) { c.h.OnMessage(c, false, []byte("40")) },
		func(c *mpConn) { c.h.OnMessage(c, true, []byte{0x93, 1, 2, 3}) },
		func(c *mpConn) { c.h.OnMessage(c, true, bytes.Repeat([]byte{0x91}, 2000)) },
	} {
		c := mpOpen(t, srv)
		bad(c)
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if !closed {
			t.Errorf("session not closed after a bad message")
		}
	}
}
