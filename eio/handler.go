package eio

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/sioloop/sioloop/wsframe"
)

// ConnContext records when each connection was accepted, so that requests
// of one session sent on several connections at once are applied in the
// order they reached the server (see Request.Arrived). Set it as the
// ConnContext of the http.Server that serves this Server (or call it from
// yours); without it, a GET racing the client's close packet may be
// refused where the reference would release it.
//
//	hs := &http.Server{Handler: mux, ConnContext: eio.ConnContext}
func ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connInfoKey{}, &connInfo{opened: time.Now()})
}

type connInfoKey struct{}

type connInfo struct {
	opened time.Time
	first  atomic.Bool // the first request was served
}

// ServeHTTP makes the server an http.Handler, for mounting in an existing
// net/http server: polling requests are served by net/http's goroutines
// (a held GET blocks its goroutine) and WebSocket connections are hijacked
// and read by one goroutine each. Same protocol and semantics as the event
// loop path in package loop; slower and heavier per connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := Request{
		Method:     []byte(r.Method),
		Path:       []byte(r.URL.Path),
		RawQuery:   []byte(r.URL.RawQuery),
		RawHeaders: rawHeaderBlock(r.Host, r.Header),
		Headers:    httpHeaders(r.Header),
		Upgrade:    isUpgrade(r),
		RemoteAddr: parseAddr(r.RemoteAddr),
		Secure:     r.TLS != nil,
	}
	if ci, ok := r.Context().Value(connInfoKey{}).(*connInfo); ok && ci.first.CompareAndSwap(false, true) {
		req.Arrived = ci.opened
	}
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.opts.MaxPayload)+1))
		if err != nil {
			return
		}
		req.Body = body
	}
	hw := &httpWriter{w: w, r: r, done: make(chan struct{})}
	if !s.handle(&req, hw) {
		panic(http.ErrAbortHandler) // reported; net/http closes the connection quietly
	}
	if ws := hw.upgraded(); ws != nil {
		go ws.readLoop(s)
		return
	}
	for {
		select {
		case fn := <-hw.resume: // a late answer (Options.AllowRequestAsync), run here as HandleRequest would
			if !s.handleLate(fn, hw) {
				panic(http.ErrAbortHandler)
			}
			if ws := hw.upgraded(); ws != nil {
				go ws.readLoop(s)
				return
			}
			continue
		case <-hw.done:
			if hw.dropped {
				panic(http.ErrAbortHandler)
			}
		case <-r.Context().Done():
			hw.mu.Lock()
			p := hw.abort
			answered := hw.answered
			hw.answered = true
			hw.mu.Unlock()
			if !answered && p != nil {
				p.PollAborted(hw)
			}
		}
		return
	}
}

// handleLate runs a late answer with a panic recovered (see handle).
func (s *Server) handleLate(fn func(ResponseWriter), w ResponseWriter) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.ReportPanic(v, debug.Stack())
		}
	}()
	fn(w)
	return true
}

// handle is HandleRequest with a panic of application code (a hook, a
// handler run by the request) recovered and reported: false then, and the
// caller drops the connection.
func (s *Server) handle(r *Request, w ResponseWriter) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.ReportPanic(v, debug.Stack())
		}
	}()
	s.HandleRequest(r, w)
	return true
}

func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		headerHasToken(r.Header, "Connection", "upgrade") &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		r.Header.Get("Sec-WebSocket-Version") == "13" &&
		r.Header.Get("Sec-WebSocket-Key") != ""
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func parseAddr(s string) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		return nil
	}
	return a
}

// rawHeaderBlock is the header block of a net/http request, Host first.
func rawHeaderBlock(host string, h http.Header) []byte {
	var b bytes.Buffer
	if host != "" { // net/http moves it out of Header
		b.WriteString("Host: ")
		b.WriteString(host)
	}
	for k, vs := range h {
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteString("\r\n")
			}
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
		}
	}
	return b.Bytes()
}

type httpHeaders http.Header

func (h httpHeaders) Header(name string) []byte {
	v := http.Header(h).Get(name)
	if v == "" {
		return nil
	}
	return []byte(v)
}

// httpWriter adapts net/http to ResponseWriter.
type httpWriter struct {
	w    http.ResponseWriter
	r    *http.Request
	done chan struct{}
	ws   *netWSConn
	// resume carries a late answer to ServeHTTP's goroutine (Defer).
	resume chan func(ResponseWriter)

	mu       sync.Mutex
	answered bool
	dropped  bool
	abort    PollAbortHandler
}

func (hw *httpWriter) Respond(r *Response) {
	hw.mu.Lock()
	if hw.answered {
		hw.mu.Unlock()
		return
	}
	hw.answered = true
	hw.mu.Unlock()
	h := hw.w.Header()
	for _, f := range r.Header {
		h.Add(f.Name, f.Value)
	}
	if r.ContentType != "" {
		h.Set("Content-Type", r.ContentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	if r.Close {
		h.Set("Connection", "close")
	}
	hw.w.WriteHeader(r.Status)
	_, _ = hw.w.Write(r.Body)
	close(hw.done)
}

// Drop implements ResponseWriter: the handler aborts, net/http closes the
// connection without a response.
func (hw *httpWriter) Drop() {
	hw.mu.Lock()
	hw.answered = true
	hw.mu.Unlock()
	hw.dropped = true
	close(hw.done)
}

func (hw *httpWriter) NotifyAbort(p PollAbortHandler) {
	hw.mu.Lock()
	hw.abort = p
	hw.mu.Unlock()
}

func (hw *httpWriter) Upgrade(h WSHandler, extra []HeaderField) (WSConn, error) {
	hj, ok := hw.w.(http.Hijacker)
	if !ok {
		return nil, errors.New("eio: response writer cannot hijack")
	}
	hw.mu.Lock()
	if hw.answered {
		hw.mu.Unlock()
		return nil, errors.New("eio: request answered")
	}
	hw.answered = true
	hw.mu.Unlock()
	nc, rw, err := hj.Hijack()
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum([]byte(hw.r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	var b []byte
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = append(b, base64.StdEncoding.EncodeToString(sum[:])...)
	b = append(b, "\r\n"...)
	for _, f := range extra {
		b = append(b, f.Name+": "+f.Value+"\r\n"...)
	}
	b = append(b, "\r\n"...)
	if _, err := nc.Write(b); err != nil {
		nc.Close()
		return nil, err
	}
	c := &netWSConn{nc: nc, br: rw.Reader, h: h}
	c.dec.MaxMessage = maxPayloadOf(h)
	hw.mu.Lock()
	hw.ws = c
	hw.mu.Unlock()
	return c, nil
}

// upgraded returns the WebSocket the request was upgraded to, if any.
func (hw *httpWriter) upgraded() *netWSConn {
	hw.mu.Lock()
	defer hw.mu.Unlock()
	return hw.ws
}

// Defer implements Deferrer: the late answer runs on ServeHTTP's goroutine,
// which waits for it.
func (hw *httpWriter) Defer() func(fn func(ResponseWriter)) {
	hw.resume = make(chan func(ResponseWriter), 1)
	return func(fn func(ResponseWriter)) { hw.resume <- fn }
}

// errHandlerPanic ends a connection whose message handler panicked.
var errHandlerPanic = errors.New("eio: handler panic")

// maxPayloadOf finds the session's limit through the handler.
func maxPayloadOf(h WSHandler) int {
	switch t := h.(type) {
	case wsTransport:
		return t.s.srv.opts.MaxPayload
	case probeTransport:
		return t.s.srv.opts.MaxPayload
	}
	return 0
}

// netWSConn is a WebSocket over a hijacked net.Conn: one reader goroutine,
// writes under a mutex.
type netWSConn struct {
	nc  net.Conn
	br  *bufio.Reader
	dec wsframe.Decoder

	mu     sync.Mutex
	h      WSHandler
	closed bool
}

func (c *netWSConn) WriteFrame(op ws.OpCode, a, b []byte) {
	buf := wsframe.AppendHeader(make([]byte, 0, 14+len(a)+len(b)), wsframe.Header{Fin: true, OpCode: op, Length: int64(len(a) + len(b))})
	buf = append(append(buf, a...), b...)
	c.WriteRaw(buf)
}

func (c *netWSConn) WriteRaw(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if _, err := c.nc.Write(b); err != nil {
		c.closed = true
		c.nc.Close()
	}
}

func (c *netWSConn) Close(code ws.StatusCode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	_, _ = c.nc.Write(wsframe.AppendClose(nil, code, ""))
	// A lingering close: half-close, and let the reader goroutine drain
	// what the peer still sends until it closes (or a second passes), so
	// that unread input does not turn the close into a reset that loses
	// the frames just written.
	if tc, ok := c.nc.(interface{ CloseWrite() error }); ok && tc.CloseWrite() == nil {
		_ = c.nc.SetReadDeadline(time.Now().Add(time.Second))
		return
	}
	c.nc.Close()
}

// Writable implements WSConn: writes are synchronous here.
func (c *netWSConn) Writable() bool { return true }

// Buffered implements WSConn: writes here block until the kernel took them.
func (c *netWSConn) Buffered() int { return 0 }

func (c *netWSConn) SetHandler(h WSHandler) {
	c.mu.Lock()
	c.h = h
	c.mu.Unlock()
}

func (c *netWSConn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

func (c *netWSConn) handler() WSHandler {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h
}

// readLoop reads the connection's frames until it closes. A panic of
// application code in a message handler is reported to srv and closes this
// connection only.
func (c *netWSConn) readLoop(srv *Server) {
	buf := make([]byte, 0, 16<<10)
	var closeErr error
	defer func() {
		c.dec.Reset()
		c.nc.Close()
		defer srv.recoverTo(nil) // in OnClose's handlers
		c.handler().OnClose(c, closeErr)
	}()
	defer srv.recoverTo(func() { closeErr = errHandlerPanic })
	for {
		off := 0
		for {
			m, n, err := c.dec.Next(buf[off:])
			off += n
			if errors.Is(err, wsframe.ErrNeedMore) {
				break
			}
			if err != nil {
				var ce *wsframe.CloseError
				code := ws.StatusProtocolError
				if errors.As(err, &ce) {
					code = ce.Code
				}
				c.Close(code)
				closeErr = err
				return
			}
			switch m.Op {
			case ws.OpText, ws.OpBinary:
				c.handler().OnMessage(c, m.Op == ws.OpBinary, m.Payload)
			case ws.OpPing:
				c.WriteFrame(ws.OpPong, nil, m.Payload)
			case ws.OpClose:
				code, _, _ := wsframe.ParseClose(m.Payload)
				c.Close(code)
				return
			}
		}
		// Keep the unconsumed bytes at the front, make room, read more.
		buf = buf[:copy(buf, buf[off:])]
		if cap(buf)-len(buf) < 4<<10 {
			buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
		}
		n, err := c.br.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return
		}
	}
}
