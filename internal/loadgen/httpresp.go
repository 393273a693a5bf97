package loadgen

import (
	"bytes"
	"errors"
	"strconv"
)

// httpResp is a parsed HTTP/1.1 response (just what a Socket.IO client
// needs). Header values alias the parsed bytes.
type httpResp struct {
	status  int
	close   bool   // Connection: close, or HTTP/1.0 without keep-alive
	accept  []byte // Sec-WebSocket-Accept
	ctype   []byte // Content-Type
	body    []byte // the complete (de-chunked) body
	headLen int
}

var (
	errNeedMore = errors.New("loadgen: need more bytes")
	errBadResp  = errors.New("malformed HTTP response")
)

// maxRespHead bounds a response header block.
const maxRespHead = 16 << 10

// parseResp parses one complete response from b: it returns the response and
// the bytes it took, errNeedMore while b holds less, errBadResp for garbage.
// A 101 response ends with its header block. A body is delimited by
// Content-Length or chunked encoding; without either it runs to the end of
// the connection, so parseResp wants more until eof is set. A de-chunked body
// is a new slice; otherwise body aliases b.
func parseResp(b []byte, eof bool) (r httpResp, n int, err error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > maxRespHead {
			return r, 0, errBadResp
		}
		return r, 0, errNeedMore
	}
	head := b[:end+2]
	r.headLen = end + 4
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	// HTTP/1.x SP 3DIGIT SP reason
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return r, 0, errBadResp
	}
	st, err := strconv.Atoi(string(line[9:12]))
	if err != nil || st < 100 {
		return r, 0, errBadResp
	}
	r.status = st
	http10 := line[7] == '0'
	r.close = http10
	clen := -1
	chunked := false
	for len(rest) > 0 {
		var f []byte
		f, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, val, ok := bytes.Cut(f, []byte(":"))
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch {
		case asciiEq(name, "content-length"):
			v, err := strconv.Atoi(string(val))
			if err != nil || v < 0 {
				return r, 0, errBadResp
			}
			clen = v
		case asciiEq(name, "transfer-encoding"):
			chunked = bytes.Contains(bytes.ToLower(val), []byte("chunked"))
		case asciiEq(name, "connection"):
			lv := bytes.ToLower(val)
			if bytes.Contains(lv, []byte("close")) {
				r.close = true
			} else if bytes.Contains(lv, []byte("keep-alive")) {
				r.close = false
			}
		case asciiEq(name, "sec-websocket-accept"):
			r.accept = val
		case asciiEq(name, "content-type"):
			r.ctype = val
		}
	}
	if st == 101 || st == 204 || st == 304 || st < 200 {
		return r, r.headLen, nil
	}
	body := b[r.headLen:]
	switch {
	case chunked:
		out, used, err := dechunk(body)
		if err != nil {
			return r, 0, err
		}
		r.body = out
		return r, r.headLen + used, nil
	case clen >= 0:
		if len(body) < clen {
			return r, 0, errNeedMore
		}
		r.body = body[:clen]
		return r, r.headLen + clen, nil
	default:
		if !eof {
			return r, 0, errNeedMore
		}
		r.close = true
		r.body = body
		return r, len(b), nil
	}
}

// dechunk decodes a complete chunked body from b.
func dechunk(b []byte) (out []byte, n int, err error) {
	out = []byte{}
	for {
		i := bytes.Index(b[n:], []byte("\r\n"))
		if i < 0 {
			return nil, 0, errNeedMore
		}
		szs, _, _ := bytes.Cut(b[n:n+i], []byte(";"))
		sz, err := strconv.ParseInt(string(bytes.TrimSpace(szs)), 16, 32)
		if err != nil || sz < 0 {
			return nil, 0, errBadResp
		}
		n += i + 2
		if sz == 0 {
			// trailers end with an empty line
			j := bytes.Index(b[n:], []byte("\r\n"))
			for j > 0 {
				n += j + 2
				j = bytes.Index(b[n:], []byte("\r\n"))
			}
			if j < 0 {
				return nil, 0, errNeedMore
			}
			return out, n + 2, nil
		}
		if len(b)-n < int(sz)+2 {
			return nil, 0, errNeedMore
		}
		out = append(out, b[n:n+int(sz)]...)
		n += int(sz) + 2
	}
}

// asciiEq reports whether b equals the lower-case ASCII s, ignoring case.
func asciiEq(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// httpErrorKind names a refused handshake: the status, and for an Engine.IO
// error body ({"code":N,"message":"..."}) its message.
func httpErrorKind(r *httpResp) string {
	kind := "handshake: http " + strconv.Itoa(r.status)
	if code, msg, ok := eioErrorBody(r.body); ok {
		if code == 5 {
			return "handshake: unsupported protocol version (http " + strconv.Itoa(r.status) + ")"
		}
		return kind + " (" + msg + ")"
	}
	return kind
}

// eioErrorBody extracts code and message from an Engine.IO error body.
func eioErrorBody(b []byte) (code int, msg string, ok bool) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' {
		return 0, "", false
	}
	i := bytes.Index(b, []byte(`"code":`))
	if i < 0 {
		return 0, "", false
	}
	v, n := parseDigits(b[i+7:])
	if n == 0 {
		return 0, "", false
	}
	code = int(v)
	if j := bytes.Index(b, []byte(`"message":"`)); j >= 0 {
		m := b[j+11:]
		if k := bytes.IndexByte(m, '"'); k >= 0 {
			msg = string(m[:k])
		}
	}
	return code, msg, true
}
