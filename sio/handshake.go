package sio

import (
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// The forms of Node's socket.handshake (headers, query, address, url,
// issued, xdomain, secure) and of socket.request, computed on each call
// from what the session keeps of its opening request (its raw query and
// header block), so that idle sockets hold no parsed copies.

// Query returns the opening request's parsed query (Node:
// handshake.query).
func (h *Handshake) Query() url.Values {
	v, _ := url.ParseQuery(h.eio.RawQuery)
	return v
}

// Headers returns the opening request's headers (Node: handshake.headers).
func (h *Handshake) Headers() http.Header {
	hdr := make(http.Header)
	raw := h.eio.RawHeaders
	for raw != "" {
		var line string
		line, raw, _ = strings.Cut(raw, "\r\n")
		if k, v, ok := strings.Cut(line, ":"); ok {
			hdr.Add(textproto.TrimString(k), textproto.TrimString(v))
		}
	}
	return hdr
}

// Address is the client's IP address, without the port (Node:
// handshake.address).
func (h *Handshake) Address() string {
	switch a := h.eio.RemoteAddr.(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case nil:
		return ""
	default:
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return a.String()
		}
		return host
	}
}

// URL is the opening request's target: path and query (Node:
// handshake.url).
func (h *Handshake) URL() string {
	if h.eio.RawQuery == "" {
		return h.eio.Path
	}
	return h.eio.Path + "?" + h.eio.RawQuery
}

// Issued is Time in milliseconds since the Unix epoch (Node:
// handshake.issued).
func (h *Handshake) Issued() int64 { return h.eio.Time.UnixMilli() }

// XDomain reports a cross-origin request: one with an Origin header (Node:
// handshake.xdomain).
func (h *Handshake) XDomain() bool { return h.Header("Origin") != "" }

// Secure reports a request that came over TLS (Node: handshake.secure).
func (h *Handshake) Secure() bool { return h.eio.Secure }

// Request rebuilds the opening request (Node: socket.request): method
// GET, URL, headers, Host and RemoteAddr; no body. A new value on each
// call: change it freely.
func (h *Handshake) Request() *http.Request {
	u, err := url.ParseRequestURI(h.URL())
	if err != nil {
		u = &url.URL{Path: h.eio.Path, RawQuery: h.eio.RawQuery}
	}
	hdr := h.Headers()
	r := &http.Request{Method: http.MethodGet, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: hdr, Host: hdr.Get("Host"), RequestURI: h.URL(), RemoteAddr: h.RemoteAddr()}
	hdr.Del("Host")
	return r
}
