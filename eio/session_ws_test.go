package eio

import (
	"net"
	"sync"
	"testing"

	"github.com/gobwas/ws"
)

type recWriter struct {
	mu     sync.Mutex
	status []int
	conn   *recConn
}

func (w *recWriter) Respond(r *Response) {
	w.mu.Lock()
	w.status = append(w.status, r.Status)
	w.mu.Unlock()
}
func (w *recWriter) NotifyAbort(PollAbortHandler) {}
func (w *recWriter) Drop()                        {}
func (w *recWriter) Upgrade(h WSHandler, _ []HeaderField) (WSConn, error) {
	w.conn = &recConn{h: h}
	return w.conn, nil
}

type recConn struct {
	h      WSHandler
	closed bool
	frames int
}

func (c *recConn) WriteFrame(ws.OpCode, []byte, []byte) { c.frames++ }
func (c *recConn) WriteRaw([]byte)                      { c.frames++ }
func (c *recConn) Buffered() int                        { return 0 }
func (c *recConn) Close(ws.StatusCode)                  { c.closed = true }
func (c *recConn) Writable() bool                       { return true }
func (c *recConn) SetHandler(h WSHandler)               { c.h = h }
func (c *recConn) RemoteAddr() net.Addr                 { return nil }

type hdrs map[string]string

func (h hdrs) Header(n string) []byte {
	if v, ok := h[n]; ok {
		return []byte(v)
	}
	return nil
}

// TestWebSocketSessionRefusesPolling: a session opened on WebSocket has
// no polling state; every polling or upgrade request naming it is
// refused cleanly, and it closes cleanly.
func TestWebSocketSessionRefusesPolling(t *testing.T) {
	srv := NewServer(nil)
	defer srv.Close()
	var sess *Session
	srv.OnConnection(func(s *Session) { sess = s })
	w := &recWriter{}
	srv.HandleRequest(&Request{Method: []byte("GET"), RawQuery: []byte("EIO=4&transport=websocket"), Headers: hdrs{}, Upgrade: true}, w)
	if sess == nil || w.conn == nil || sess.pollState != nil {
		t.Fatalf("session %v, conn %v: want a WebSocket session without polling state", sess, w.conn)
	}
	if sess.Direct() == nil {
		t.Fatal("Direct() is nil on an open v4 WebSocket session")
	}
	q := []byte("EIO=4&transport=polling&sid=" + sess.ID())
	for _, r := range []*Request{
		{Method: []byte("GET"), RawQuery: q, Headers: hdrs{}},
		{Method: []byte("POST"), RawQuery: q, Headers: hdrs{}, Body: []byte("4hello")},
		{Method: []byte("GET"), RawQuery: []byte("EIO=4&transport=websocket&sid=" + sess.ID()), Headers: hdrs{}, Upgrade: true},
	} {
		pw := &recWriter{}
		srv.RequestStarted(r, pw)
		srv.HandleRequest(r, pw)
		(*sessionAborts)(sess).PollAborted(pw)
		if pw.conn != nil && !pw.conn.closed {
			t.Errorf("%s %s: a second WebSocket was kept", r.Method, r.RawQuery)
		}
		if len(pw.status) > 0 && pw.status[0] != 400 && pw.status[0] != 101 {
			t.Errorf("%s %s: status %v", r.Method, r.RawQuery, pw.status)
		}
	}
	if err := sess.SendPacket([]byte("2[\"x\"]"), [][]byte{{1}}); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if !w.conn.closed || sess.Direct() != nil {
		t.Errorf("after Close: conn closed %v, Direct %v", w.conn.closed, sess.Direct())
	}
}
