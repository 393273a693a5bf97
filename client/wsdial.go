package client

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// websocketGUID is the constant of the Sec-WebSocket-Accept computation
// (RFC 6455, section 1.3).
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// errBadHandshake wraps every refused WebSocket opening handshake.
var errBadHandshake = errors.New("bad WebSocket handshake")

// dialWebSocket opens a WebSocket connection to rawURL (ws:// or wss://)
// on a net.Conn: TCP (and TLS) dial, then the HTTP/1.1 Upgrade handshake.
// It returns the connection and the bytes the server sent after its 101
// response (the start of the first frames), owned by the caller. ctx
// bounds the dial and the handshake.
func dialWebSocket(ctx context.Context, rawURL string, header http.Header, o *Options) (net.Conn, []byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	secure := u.Scheme == "wss"
	host := u.Host
	if u.Port() == "" {
		if secure {
			host = net.JoinHostPort(u.Hostname(), "443")
		} else {
			host = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	dial := o.DialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	conn, err := dial(ctx, "tcp", host)
	if err != nil {
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()
	// The deadline of ctx bounds the handshake; a cancel closes the conn.
	if dl, has := ctx.Deadline(); has {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if secure {
		cfg := o.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, nil, err
		}
		conn = tc
	}

	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	var req strings.Builder
	req.WriteString("GET ")
	req.WriteString(u.RequestURI())
	req.WriteString(" HTTP/1.1\r\nHost: ")
	req.WriteString(u.Host)
	req.WriteString("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ")
	req.WriteString(key)
	req.WriteString("\r\nSec-WebSocket-Version: 13\r\n")
	for k, vs := range header {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions":
			continue
		}
		for _, v := range vs {
			req.WriteString(k)
			req.WriteString(": ")
			req.WriteString(strings.NewReplacer("\r", "", "\n", "").Replace(v))
			req.WriteString("\r\n")
		}
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		return nil, nil, err
	}

	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, nil, &httpStatusError{code: resp.StatusCode, body: body}
	}
	if !headerHasToken(resp.Header, "Upgrade", "websocket") || !headerHasToken(resp.Header, "Connection", "upgrade") {
		return nil, nil, fmt.Errorf("%w: missing Upgrade/Connection", errBadHandshake)
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, nil, fmt.Errorf("%w: wrong Sec-WebSocket-Accept", errBadHandshake)
	}
	if resp.Header.Get("Sec-WebSocket-Extensions") != "" {
		return nil, nil, fmt.Errorf("%w: unrequested extension", errBadHandshake)
	}
	var rest []byte
	if n := br.Buffered(); n > 0 {
		rest = make([]byte, n)
		_, _ = io.ReadFull(br, rest)
	}
	if !stop() {
		return nil, nil, context.Cause(ctx)
	}
	_ = conn.SetDeadline(time.Time{})
	ok = true
	return conn, rest, nil
}

// headerHasToken reports whether a comma-separated header holds token
// (case-insensitive).
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), token) {
				return true
			}
		}
	}
	return false
}
