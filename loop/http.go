package loop

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"

	"github.com/sioloop/sioloop/eio"
)

// serveHTTP parses and dispatches one request from b. Loop goroutine.
func (c *conn) serveHTTP(b []byte) (int, gnet.Action) {
	req := &c.l.req
	n, err := ParseRequest(b, req, &c.l.srv.lim)
	if err != nil {
		if errors.Is(err, ErrNeedMore) {
			if req.HeaderLen > 0 && !c.started && string(req.Method) == "POST" {
				c.started = true
				c.announce(b, req)
			}
			return 0, gnet.None
		}
		st := http.StatusBadRequest
		var he *HTTPError
		if errors.As(err, &he) {
			st = he.Status
		}
		c.mu.Lock()
		c.pending = true
		c.keepAlive = req.KeepAlive
		c.mu.Unlock()
		if st == http.StatusRequestEntityTooLarge && req.HeaderLen > 0 && req.ContentLength >= 0 {
			// Too large a body, known from its Content-Length: answer 413
			// like the reference (empty body, connection kept) and skip
			// the body's bytes as they arrive.
			c.Respond(&eio.Response{Status: st})
			c.skip = int64(req.HeaderLen) + req.ContentLength
			n := min(c.skip, int64(len(b)))
			c.skip -= n
			return int(n), gnet.None
		}
		c.Respond(&eio.Response{Status: st, ContentType: "text/plain; charset=utf-8", Body: []byte(http.StatusText(st)), Close: true})
		c.rstop = true
		return len(b), gnet.None
	}
	c.started = false
	c.l.srv.wheel.Stop(&c.tm)
	c.mu.Lock()
	c.pending = true
	c.keepAlive = req.KeepAlive
	c.dispatched = true
	c.mu.Unlock()

	route := c.l.srv.routeOf(req.Path)
	switch {
	case route != nil:
		c.route = route
		er := c.eioRequest(b, req)
		route.Server.HandleRequest(&er, c)
	case c.l.srv.cfg.Fallback != nil:
		c.fallback(req)
	default:
		c.Respond(&respNotFound)
	}

	c.mu.Lock()
	c.dispatched = false
	done := !c.pending
	c.mu.Unlock()
	if done && c.state == stHTTP {
		c.l.srv.wheel.Schedule(&c.tm, c.l.srv.cfg.IdleTimeout)
	}
	return n, gnet.None
}

func (s *Server) routeOf(path []byte) *Route {
	for i := range s.cfg.Routes {
		if r := &s.cfg.Routes[i]; bytes.HasPrefix(path, []byte(r.Prefix)) {
			return r
		}
	}
	return nil
}

func (c *conn) eioRequest(b []byte, req *Request) eio.Request {
	er := eio.Request{
		Method:     req.Method,
		Path:       req.Path,
		RawQuery:   req.RawQuery,
		RawHeaders: rawHeaders(b, req),
		Headers:    req,
		Body:       req.Body,
		Upgrade:    isWebSocketUpgrade(req),
		RemoteAddr: c.gc.RemoteAddr(),
	}
	if c.arrived > 0 {
		er.Arrived = time.Unix(0, c.arrived)
		c.arrived = 0
	}
	return er
}

// announce tells the route's server that a POST's body is on its way.
func (c *conn) announce(b []byte, req *Request) {
	route := c.l.srv.routeOf(req.Path)
	if route == nil {
		return
	}
	er := c.eioRequest(b, req)
	c.mu.Lock()
	c.pending = true // until the body arrives, the POST is this conn's request
	c.keepAlive = req.KeepAlive
	c.mu.Unlock()
	route.Server.RequestStarted(&er, c)
	c.mu.Lock()
	answered := !c.pending
	c.pending = false
	c.mu.Unlock()
	if answered {
		c.rstop = true // refused: its body is not worth reading
	}
}

// Drop implements eio.ResponseWriter: close without answering.
func (c *conn) Drop() {
	c.mu.Lock()
	c.pending = false
	c.abort = nil
	c.closing = true
	c.mu.Unlock()
	_ = c.gc.Close()
}

var respNotFound = eio.Response{Status: 404, ContentType: "text/plain", Body: []byte("not found")}

// rawHeaders returns the header lines of req inside b (no final CRLF).
func rawHeaders(b []byte, req *Request) []byte {
	if req.HeaderLen < req.FieldsStart+2 {
		return nil
	}
	return b[req.FieldsStart : req.HeaderLen-2]
}

func isWebSocketUpgrade(req *Request) bool {
	return req.Upgrade && string(req.Method) == "GET" &&
		string(req.SecWebSocketVersion) == "13" && len(req.SecWebSocketKey) > 0
}

// Respond implements eio.ResponseWriter. Any goroutine.
func (c *conn) Respond(r *eio.Response) {
	c.mu.Lock()
	if !c.pending || c.closing {
		c.mu.Unlock()
		return
	}
	c.pending = false
	c.abort = nil
	keep := c.keepAlive && !r.Close
	if c.out == nil {
		c.out = bytebufferpoolGet()
	}
	c.out.B = appendResponse(c.out.B, r, keep, *c.l.srv.date.Load())
	if !keep {
		c.closing = true
	}
	c.markLocked()
	wake := !c.dispatched
	c.mu.Unlock()
	if wake {
		// A held request was answered: resume parsing pipelined input and
		// re-arm the idle timer.
		c.l.srv.wheel.Schedule(&c.tm, c.l.srv.cfg.IdleTimeout)
		_ = c.gc.Wake(nil)
	}
}

// Defer implements eio.Deferrer (eio.Options.AllowRequestAsync): resume
// runs the late answer on this connection's event loop. Loop goroutine,
// during HandleRequest.
func (c *conn) Defer() func(fn func(eio.ResponseWriter)) {
	lc := &lateConn{c: c}
	if isWebSocketUpgrade(&c.l.req) {
		lc.key = append([]byte(nil), c.l.req.SecWebSocketKey...)
	}
	return func(fn func(eio.ResponseWriter)) {
		_ = c.gc.EventLoop().Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
			c.l.inPass.Store(true)
			defer func() {
				if v := recover(); v != nil {
					c.l.srv.recovered(c.route, v)
					_ = c.gc.Close()
				}
				c.l.endPass()
			}()
			fn(lc)
			return nil
		}))
	}
}

// lateConn is the writer of a request answered late, on the connection's
// loop (see Defer): the parse state of the request is gone by then, so
// the WebSocket key was saved.
type lateConn struct {
	c   *conn
	key []byte // the Sec-WebSocket-Key of an upgrade request
}

func (lc *lateConn) Respond(r *eio.Response)            { lc.c.Respond(r) }
func (lc *lateConn) NotifyAbort(p eio.PollAbortHandler) { lc.c.NotifyAbort(p) }
func (lc *lateConn) Drop()                              { lc.c.Drop() }

func (lc *lateConn) Upgrade(h eio.WSHandler, extra []eio.HeaderField) (eio.WSConn, error) {
	if lc.key == nil {
		return nil, errNotUpgrade
	}
	return lc.c.upgradeKey(lc.key, h, extra)
}

// NotifyAbort implements eio.ResponseWriter.
func (c *conn) NotifyAbort(p eio.PollAbortHandler) {
	c.mu.Lock()
	if c.pending {
		c.abort = p
	}
	c.mu.Unlock()
}

var errNotUpgrade = errors.New("loop: not a WebSocket upgrade request")

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Upgrade implements eio.ResponseWriter. Loop goroutine, during dispatch.
func (c *conn) Upgrade(h eio.WSHandler, extra []eio.HeaderField) (eio.WSConn, error) {
	req := &c.l.req
	if !isWebSocketUpgrade(req) {
		return nil, errNotUpgrade
	}
	return c.upgradeKey(req.SecWebSocketKey, h, extra)
}

// upgradeKey answers 101 for the Sec-WebSocket-Key key and switches the
// connection to WebSocket. Loop goroutine.
func (c *conn) upgradeKey(key []byte, h eio.WSHandler, extra []eio.HeaderField) (eio.WSConn, error) {
	var sum [sha1.Size]byte
	hs := sha1.New()
	hs.Write(key)
	hs.Write([]byte(wsGUID))
	hs.Sum(sum[:0])
	var acc [28]byte
	base64.StdEncoding.Encode(acc[:], sum[:])

	c.mu.Lock()
	if !c.pending {
		c.mu.Unlock()
		return nil, errNotUpgrade
	}
	c.pending = false
	if c.out == nil {
		c.out = bytebufferpoolGet()
	}
	b := c.out.B
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = append(b, acc[:]...)
	b = append(b, "\r\n"...)
	b = appendFields(b, extra)
	b = append(b, "\r\n"...)
	c.out.B = b
	c.markLocked()
	c.mu.Unlock()

	c.state = stWS
	c.wsh = h
	c.dec.MaxMessage = c.route.Server.Options().MaxPayload
	c.dec.Pool = &c.l.srv.frags
	c.l.srv.wheel.Stop(&c.tm)
	return c, nil
}

func appendFields(b []byte, h []eio.HeaderField) []byte {
	for _, f := range h {
		b = append(b, f.Name...)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, "\r\n"...)
	}
	return b
}

// appendResponse serialises a complete HTTP/1.1 response.
func appendResponse(b []byte, r *eio.Response, keepAlive bool, date []byte) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, ' ')
	b = append(b, statusText(r.Status)...)
	b = append(b, "\r\n"...)
	if r.ContentType != "" {
		b = append(b, "Content-Type: "...)
		b = append(b, r.ContentType...)
		b = append(b, "\r\n"...)
	}
	b = appendFields(b, r.Header)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(r.Body)), 10)
	b = append(b, "\r\nDate: "...)
	b = append(b, date...)
	if keepAlive {
		b = append(b, "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n"...)
	} else {
		b = append(b, "\r\nConnection: close\r\n\r\n"...)
	}
	return append(b, r.Body...)
}

// fallback runs the user's http.Handler on its own goroutine; the
// connection reads nothing more until it answers.
func (c *conn) fallback(req *Request) {
	hr, err := toHTTPRequest(req, c)
	if err != nil {
		c.Respond(&eio.Response{Status: 400, ContentType: "text/plain", Body: []byte("bad request"), Close: true})
		return
	}
	h := c.l.srv.cfg.Fallback
	go func() {
		rec := &recorder{header: make(http.Header)}
		func() {
			defer func() {
				if p := recover(); p != nil && p != http.ErrAbortHandler {
					c.l.srv.recovered(nil, p)
					rec = &recorder{header: make(http.Header), status: 500}
				}
			}()
			h.ServeHTTP(rec, hr)
		}()
		c.Respond(rec.response())
	}()
}

func toHTTPRequest(req *Request, c *conn) (*http.Request, error) {
	u, err := url.ParseRequestURI(string(req.Target))
	if err != nil {
		return nil, err
	}
	h := make(http.Header, len(req.Headers))
	for _, f := range req.Headers {
		h.Add(string(f.Name), string(f.Value))
	}
	body := append([]byte(nil), req.Body...)
	hr := &http.Request{
		Method:        string(req.Method),
		URL:           u,
		Proto:         "HTTP/" + strconv.Itoa(req.Major) + "." + strconv.Itoa(req.Minor),
		ProtoMajor:    req.Major,
		ProtoMinor:    req.Minor,
		Header:        h,
		Body:          http.NoBody,
		ContentLength: int64(len(body)),
		Host:          h.Get("Host"),
		RemoteAddr:    c.gc.RemoteAddr().String(),
		RequestURI:    string(req.Target),
	}
	if len(body) > 0 {
		hr.Body = nopCloser{bytes.NewReader(body)}
	}
	return hr, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// recorder buffers a fallback handler's response.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(p)
}

func (r *recorder) response() *eio.Response {
	if r.status == 0 {
		r.status = 200
	}
	resp := &eio.Response{Status: r.status, Body: r.body.Bytes()}
	ct := r.header.Get("Content-Type")
	if ct == "" && r.body.Len() > 0 {
		ct = http.DetectContentType(r.body.Bytes())
	}
	resp.ContentType = ct
	for k, vs := range r.header {
		switch strings.ToLower(k) {
		case "content-type", "content-length", "connection", "date", "transfer-encoding":
			continue
		}
		for _, v := range vs {
			resp.Header = append(resp.Header, eio.HeaderField{Name: k, Value: v})
		}
	}
	return resp
}

var _ = ws.OpText

// statusText is http.StatusText with RFC 9110's current reason phrases
// where they changed (Node sends those).
func statusText(code int) string {
	switch code {
	case http.StatusRequestEntityTooLarge:
		return "Payload Too Large"
	}
	return http.StatusText(code)
}
