package eio

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"

	"github.com/sioloop/sioloop/internal/httpx"
)

// Error is a refused request, with the reference server's code and message.
type Error struct {
	Code    int
	Message string
	Status  int // HTTP status; 400 when zero
}

func (e *Error) Error() string { return "eio: " + e.Message }

// The reference server's request errors.
var (
	ErrTransportUnknown    = &Error{Code: 0, Message: "Transport unknown"}
	ErrUnknownSID          = &Error{Code: 1, Message: "Session ID unknown"}
	ErrBadHandshakeMethod  = &Error{Code: 2, Message: "Bad handshake method"}
	ErrBadRequest          = &Error{Code: 3, Message: "Bad request"}
	ErrForbidden           = &Error{Code: 4, Message: "Forbidden", Status: 403}
	ErrUnsupportedProtocol = &Error{Code: 5, Message: "Unsupported protocol version"}
)

const (
	ctPayload = "text/plain; charset=UTF-8"
	ctBinary  = "application/octet-stream"
	ctJSON    = "application/json"
	ctHTML    = "text/html"
)

var (
	hdrNoStore = HeaderField{"cache-control", "no-store"}
	bodyOK     = []byte("ok")
)

// HandleRequest serves one request for the Engine.IO path. It runs on the
// goroutine of the connection that carried r (an event loop). See
// ResponseWriter for how pending requests work.
func (s *Server) HandleRequest(r *Request, w ResponseWriter) {
	var hdr []HeaderField // CORS headers (they outlive the call: no stack array)
	if s.opts.CORS != nil {
		hdr = s.corsHeaders(make([]HeaderField, 0, 4), r, false)
	}
	method := r.Method

	if s.opts.CORS != nil && bytes.Equal(method, []byte("OPTIONS")) {
		s.preflight(r, w)
		return
	}
	q := r.RawQuery
	transport, _ := httpx.QueryValue(q, "transport")
	if !s.transportAllowed(transport) {
		if s.opts.Fallback != nil && len(transport) == 0 {
			if resp := s.opts.Fallback(r); resp != nil {
				if len(hdr) > 0 {
					rc := *resp
					rc.Header = append(hdr, resp.Header...)
					resp = &rc
				}
				w.Respond(resp)
				return
			}
		}
		s.refuse(r, w, ErrTransportUnknown, hdr)
		return
	}
	sid, hasSID := httpx.QueryValue(q, "sid")
	if hasSID {
		ss := s.sessionBytes(sid)
		if ss == nil {
			if ls := s.lingeringBytes(sid); ls != nil && string(method) == "GET" &&
				string(transport) == "polling" && !r.Upgrade && ls.overtook(r) {
				// A GET that arrived before the client's close was applied
				// (see lingerLocked).
				var buf [8]byte
				ls.mu.Lock()
				ls.respondPoll(w, ls.appendPollPacket(buf[:0], Packet{Type: PacketNoop}, false))
				ls.mu.Unlock()
				return
			}
			s.refuse(r, w, ErrUnknownSID, hdr)
			return
		}
		ss.serve(r, w, transport, hdr)
		return
	}
	if !bytes.Equal(method, []byte("GET")) {
		s.refuse(r, w, ErrBadHandshakeMethod, hdr)
		return
	}
	isWS := string(transport) == "websocket"
	if isWS && !r.Upgrade {
		s.refuse(r, w, ErrBadRequest, hdr)
		return
	}
	if r.Upgrade && !isWS {
		// A WebSocket upgrade for the polling transport: the reference
		// accepts it and closes it at once.
		acceptAndClose(w, hdr)
		return
	}
	protocol := requestProtocol(r)
	if protocol == 3 && !s.opts.AllowEIO3 {
		s.refuse(r, w, ErrUnsupportedProtocol, hdr)
		return
	}
	if s.closed.Load() {
		s.refuse(r, w, ErrForbidden, hdr)
		return
	}
	if fn := s.opts.AllowRequest; fn != nil {
		rc := *r // the hook may keep it: only this path pays the copy
		if err := fn(&rc); err != nil {
			e, ok := err.(*Error)
			if !ok {
				e = ErrForbidden
			}
			s.refuse(r, w, e, hdr)
			return
		}
	}
	if s.opts.AllowRequestAsync != nil {
		s.allowAsync(r, w, protocol, isWS, hdr)
		return
	}
	s.handshake(r, w, protocol, isWS, hdr)
}

// requestProtocol is the Engine.IO revision a request asks for: 4 for
// EIO=4, else 3 (as the reference computes it).
func requestProtocol(r *Request) uint8 {
	if v, _ := httpx.QueryValue(r.RawQuery, "EIO"); string(v) == "4" {
		return 4
	}
	return 3
}

// RequestStarted tells the server that a POST's headers have arrived and
// its body is on its way (network layers that can tell call it; it is
// optional). Like the reference, a second POST on a session while one is
// uploading is an error that ends the session.
func (s *Server) RequestStarted(r *Request, w ResponseWriter) {
	if string(r.Method) != "POST" {
		return
	}
	sid, ok := httpx.QueryValue(r.RawQuery, "sid")
	if !ok {
		return
	}
	if ss := s.sessionBytes(sid); ss != nil {
		ss.postStarted(w)
	}
}

func (s *Server) transportAllowed(t []byte) bool {
	switch string(t) {
	case "polling", "websocket":
		return s.opts.allows(string(t))
	}
	return false
}

func (s *Server) handshake(r *Request, w ResponseWriter, protocol uint8, isWS bool, hdr []HeaderField) {
	ss := s.newSession(r, protocol, isWS)
	if !isWS {
		ss.pollState = &pollState{extra: s.sessionHeaders(hdr)}
	}
	if isWS {
		c, err := w.Upgrade(wsTransport{ss}, s.answerHeaders(r, hdr, true))
		if err != nil {
			return
		}
		ss.ws = c
	}
	s.add(ss)
	ss.startHeartbeat()
	if s.trace {
		s.logger().Debug("eio: session opened", "sid", ss.id, "websocket", isWS, "protocol", int(ss.protocol))
	}
	if fn := s.hooks.Open; fn != nil {
		fn(ss)
	}
	ob := bytebufferpool.Get()
	defer bytebufferpool.Put(ob)
	ob.B = s.appendOpen(ob.B, ss.id, isWS)
	open := ob.B // copied by WriteFrame and Respond
	if isWS {
		// The open packet goes first, then whatever the connection
		// callback sends (as the reference).
		ss.mu.Lock()
		ss.ws.WriteFrame(ws.OpText, typeDigits[PacketOpen], open)
		if p := s.opts.InitialPacket; p != nil {
			ss.sendLocked(Packet{Type: PacketMessage, Data: p})
		}
		ss.setWSLocked(ss.ws) // from now on broadcasts may write directly
		ss.mu.Unlock()
		if fn := s.onConn; fn != nil {
			fn(ss)
		}
		return
	}
	if fn := s.onConn; fn != nil {
		fn(ss)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.state != stateOpen {
		return // closed by the connection callback
	}
	bb := bytebufferpool.Get()
	defer bytebufferpool.Put(bb)
	body := ss.appendPollPacket(bb.B, Packet{Type: PacketOpen, Data: open}, false)
	if p := s.opts.InitialPacket; p != nil {
		body = ss.appendPollPacket(body, Packet{Type: PacketMessage, Data: p}, true)
	}
	// Packets the connection callback queued go out with the open packet.
	if ss.queued > 0 {
		body = append(body, '\x1e')
		body = append(body, ss.queue.B...)
		ss.queue.Reset()
		ss.queued = 0
	}
	h := s.answerHeaders(r, ss.extra, true)
	if ck := s.opts.Cookie; ck != nil {
		h = append(h[:len(h):len(h)], HeaderField{"Set-Cookie", cookieValue(ck, ss.id)})
	}
	ct := ctPayload
	if protocol == 3 {
		ct = "text/plain; charset=UTF-8"
	}
	w.Respond(&Response{Status: 200, ContentType: ct, Header: h, Body: body})
	bb.B = body
}

// answerHeaders returns base plus what the Headers hook (and with
// initial, the InitialHeaders hook) adds for r; base itself when no hook
// is set (no allocation).
func (s *Server) answerHeaders(r *Request, base []HeaderField, initial bool) []HeaderField {
	hi, h := s.hooks.InitialHeaders, s.hooks.Headers
	if h == nil && (hi == nil || !initial) {
		return base
	}
	out := slices.Clip(base)
	if initial && hi != nil {
		out = append(out, hi(r)...)
	}
	if h != nil {
		out = append(out, h(r)...)
	}
	return out
}

// sessionHeaders returns the headers of a session's polling answers
// (cache-control and the CORS headers of its handshake). Sessions whose
// headers are the same share one read-only slice: no allocation.
func (s *Server) sessionHeaders(cors []HeaderField) []HeaderField {
	if len(cors) == 0 {
		return extraNoStore
	}
	if p := s.sharedExtra.Load(); p != nil && slices.Equal((*p)[:len(*p)-1], cors) {
		return *p
	}
	h := append(append(make([]HeaderField, 0, len(cors)+1), cors...), hdrNoStore)
	if c := s.opts.CORS; c != nil && len(c.Origins) == 1 && c.Origins[0] == "*" {
		s.sharedExtra.Store(&h) // the same for every request
	}
	return h
}

var extraNoStore = []HeaderField{hdrNoStore}

func cookieValue(ck *CookieOptions, sid string) string {
	v := ck.Name + "=" + sid + "; Path=" + ck.Path
	if ck.HTTPOnly {
		v += "; HttpOnly"
	}
	switch ck.SameSite {
	case 2: // http.SameSiteLaxMode
		v += "; SameSite=Lax"
	case 3:
		v += "; SameSite=Strict"
	case 4:
		v += "; SameSite=None"
	}
	return v
}

// refuse answers with the reference's JSON error body.
func (s *Server) refuse(r *Request, w ResponseWriter, e *Error, hdr []HeaderField) {
	s.countRefusal(e)
	if s.trace {
		s.logRefused(r, e)
	}
	if fn := s.hooks.ConnectionError; fn != nil {
		rc := *r // the hook may keep it: only this path pays the copy
		fn(&rc, e)
	}
	st := e.Status
	if st == 0 {
		st = 400
	}
	if r.Upgrade {
		// A refused WebSocket upgrade gets a plain-text 400 and a close.
		w.Respond(&Response{Status: st, ContentType: ctHTML, Body: []byte(e.Message), Close: true})
		return
	}
	w.Respond(&Response{Status: st, ContentType: ctJSON, Header: hdr, Body: appendErrorJSON(make([]byte, 0, 64), e)})
}

// appendErrorJSON appends the reference's JSON body for e.
func appendErrorJSON(dst []byte, e *Error) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(e.Code), 10)
	dst = append(dst, `,"message":"`...)
	dst = append(dst, e.Message...)
	return append(dst, `"}`...)
}

// refuseLate answers a held polling GET with e's JSON error, with the
// session's CORS headers (extra: the CORS headers, then cache-control).
func (s *Server) refuseLate(w ResponseWriter, e *Error, extra []HeaderField) {
	s.countRefusal(e)
	st := e.Status
	if st == 0 {
		st = 400
	}
	var body [64]byte
	w.Respond(&Response{Status: st, ContentType: ctJSON, Header: extra[:len(extra)-1], Body: appendErrorJSON(body[:0], e)})
}

// corsHeaders appends the CORS headers for r (none when CORS is off).
func (s *Server) corsHeaders(dst []HeaderField, r *Request, preflight bool) []HeaderField {
	c := s.opts.CORS
	if c == nil {
		return dst
	}
	origin := r.Headers.Header("Origin")
	if len(c.Origins) == 1 && c.Origins[0] == "*" {
		dst = append(dst, HeaderField{"Access-Control-Allow-Origin", "*"})
	} else {
		for _, o := range c.Origins {
			if o == string(origin) {
				dst = append(dst, HeaderField{"Access-Control-Allow-Origin", o})
				break
			}
		}
		if preflight {
			dst = append(dst, HeaderField{"Vary", "Origin, Access-Control-Request-Headers"})
		} else {
			dst = append(dst, HeaderField{"Vary", "Origin"})
		}
	}
	if c.Credentials {
		dst = append(dst, HeaderField{"Access-Control-Allow-Credentials", "true"})
	}
	if c.ExposedHeaders != "" && !preflight {
		dst = append(dst, HeaderField{"Access-Control-Expose-Headers", c.ExposedHeaders})
	}
	return dst
}

func (s *Server) preflight(r *Request, w ResponseWriter) {
	c := s.opts.CORS
	h := s.corsHeaders(make([]HeaderField, 0, 8), r, true)
	h = append(h, HeaderField{"Access-Control-Allow-Methods", c.Methods})
	allowed := c.AllowedHeaders
	if allowed == "" {
		allowed = string(r.Headers.Header("Access-Control-Request-Headers"))
		if len(c.Origins) == 1 && c.Origins[0] == "*" {
			// The cors package varies on the reflected request headers
			// (with an origin list, corsHeaders already wrote both).
			h = append(h, HeaderField{"Vary", "Access-Control-Request-Headers"})
		}
	}
	if allowed != "" {
		h = append(h, HeaderField{"Access-Control-Allow-Headers", allowed})
	}
	if c.MaxAge > 0 {
		h = append(h, HeaderField{"Access-Control-Max-Age", strconv.Itoa(c.MaxAge)})
	}
	w.Respond(&Response{Status: 204, Header: h})
}

// respondPoll answers a polling GET with a payload body, compressed when
// it is large and the GET allows it.
func (s *Session) respondPoll(w ResponseWriter, body []byte) {
	hdr := s.extra
	if s.pollHdr != nil {
		hdr, s.pollHdr = s.pollHdr, nil
	}
	th := s.srv.opts.CompressionThreshold
	if s.pollEnc == encIdentity || th < 0 || len(body) < th {
		w.Respond(&Response{Status: 200, ContentType: ctPayload, Header: hdr, Body: body})
		return
	}
	buf := s.srv.compress(s.pollEnc, body)
	defer compressPool.Put(buf)
	h := make([]HeaderField, 0, len(hdr)+1)
	h = append(append(h, hdr...), HeaderField{"Content-Encoding", s.pollEnc.String()})
	w.Respond(&Response{Status: 200, ContentType: ctPayload, Header: h, Body: buf.B})
}
