package loop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"strconv"
)

// This file is the HTTP/1.1 request parser of the event loop: pure
// functions over the bytes a connection has buffered so far. It never
// allocates and never copies: every []byte it returns is a sub-slice of the
// caller's buffer. It keeps no state between calls: after ErrNeedMore the
// caller calls again with the grown buffer and the request is parsed from
// its first byte. Re-parsing the header section is cheap next to a read
// syscall and it is bounded by Limits, so no resumable state machine is
// worth its complexity here.
//
// Line endings: only CRLF is accepted. A bare LF or a bare CR anywhere in
// the request line, the header section, chunk framing or trailers is
// rejected with 400, as Node's llhttp does by default: two parsers that
// disagree on where a header ends are a request-smuggling vector.
// Empty lines (CRLF) before the request line are skipped (RFC 9112 §2.2).

// ErrNeedMore is returned by ParseRequest when b holds an incomplete request
// that is valid so far. The caller keeps the bytes, waits for more and calls
// ParseRequest again with the grown buffer.
var ErrNeedMore = errors.New("loop: need more data")

// HTTPError is a request the parser refuses. Status is the HTTP status code
// to answer with (400, 413, 431, 501 or 505) and Msg a short reason. After
// an HTTPError the framing of the connection is lost (except for a 413, see
// ParseRequest): the caller answers Status and closes the connection.
//
// The parser returns shared values; treat them as read-only.
type HTTPError struct {
	Status int
	Msg    string
}

func (e *HTTPError) Error() string {
	return "loop: http " + strconv.Itoa(e.Status) + ": " + e.Msg
}

var (
	errLeadingLine   = &HTTPError{400, "malformed empty line before request line"}
	errRequestLine   = &HTTPError{400, "malformed request line"}
	errVersion       = &HTTPError{400, "malformed HTTP version"}
	errLineEnd       = &HTTPError{400, "line not terminated by CRLF"}
	errFieldName     = &HTTPError{400, "malformed header field name"}
	errFieldValue    = &HTTPError{400, "invalid character in header field value"}
	errObsFold       = &HTTPError{400, "obsolete line folding"}
	errNoHost        = &HTTPError{400, "missing Host header"}
	errDupHost       = &HTTPError{400, "duplicate Host header"}
	errContentLength = &HTTPError{400, "invalid Content-Length"}
	errDupLength     = &HTTPError{400, "conflicting Content-Length values"}
	errLengthAndTE   = &HTTPError{400, "Content-Length with Transfer-Encoding"}
	errTE10          = &HTTPError{400, "Transfer-Encoding in an HTTP/1.0 request"}
	errChunkedLast   = &HTTPError{400, "chunked must be the final transfer coding, applied once"}
	errChunk         = &HTTPError{400, "malformed chunked body"}
	errTECoding      = &HTTPError{501, "unsupported transfer coding"}
	errBodyTooLarge  = &HTTPError{413, "request body too large"}
	errHeaderTooBig  = &HTTPError{431, "request header section too large"}
	errTooManyFields = &HTTPError{431, "too many header fields"}
	errHTTPVersion   = &HTTPError{505, "HTTP version not supported"}
)

const (
	// HeaderCap is the number of header fields a Request holds: the length
	// of the array behind Request.Headers and the upper bound of
	// Limits.MaxHeaders.
	HeaderCap = 32

	// DefaultMaxHeaderBytes bounds the request line plus the header section,
	// final CRLF included. Node's default is 16 KiB; a Socket.IO request is
	// a few hundred bytes, but a browser sends its cookies for the host
	// too: the default is Node's (16 KiB), so that a request Node takes
	// is not refused here.
	DefaultMaxHeaderBytes = 16 << 10
	// DefaultMaxHeaders is the default number of header fields allowed.
	DefaultMaxHeaders = HeaderCap
	// DefaultMaxBody is Engine.IO's default maxHttpBufferSize.
	DefaultMaxBody = 1_000_000
)

// Limits bounds what ParseRequest accepts. The zero value, and a nil
// *Limits, mean the defaults; each zero or negative field takes its own
// default. ParseRequest only reads the value.
type Limits struct {
	// MaxHeaderBytes bounds the request line and the header section
	// (leading empty lines and the final CRLF included), else 431.
	// Default DefaultMaxHeaderBytes (16 KiB).
	MaxHeaderBytes int
	// MaxHeaders bounds the number of header fields, else 431. Default
	// and upper bound HeaderCap (32); larger values are clamped.
	MaxHeaders int
	// MaxBody bounds the body, else 413: a Content-Length over it is
	// refused as soon as the header section is complete, a chunked body as
	// soon as its sizes add up past it. The chunked framing (size lines,
	// extensions, CRLFs, trailers) is bounded too: the whole chunked body
	// on the wire may not exceed 2*MaxBody+MaxHeaderBytes bytes, else 413.
	// Default DefaultMaxBody (1,000,000 bytes, Engine.IO's
	// maxHttpBufferSize).
	MaxBody int64
}

// resolve applies the defaults to copies of the fields. maxBody is clamped
// so that position arithmetic on it cannot overflow.
func (l *Limits) resolve() (maxHdrBytes, maxHdrs, maxBody int) {
	maxHdrBytes, maxHdrs, maxBody = DefaultMaxHeaderBytes, DefaultMaxHeaders, DefaultMaxBody
	if l == nil {
		return
	}
	if l.MaxHeaderBytes > 0 {
		maxHdrBytes = min(l.MaxHeaderBytes, math.MaxInt/8)
	}
	if l.MaxHeaders > 0 {
		maxHdrs = min(l.MaxHeaders, HeaderCap)
	}
	if l.MaxBody > 0 {
		maxBody = int(min(l.MaxBody, int64(math.MaxInt/8)))
	}
	return
}

// MaxBuffered is the most bytes a caller has to buffer for one request
// under l: ParseRequest never returns ErrNeedMore for a buffer this long
// (2*MaxHeaderBytes + 2*MaxBody, the worst case being a chunked body).
func (l *Limits) MaxBuffered() int {
	h, _, body := l.resolve()
	return 2*h + 2*body
}

// Header is one header field line. Name is as sent (any letter case);
// Value has surrounding spaces and tabs removed. Both alias the buffer
// given to ParseRequest.
type Header struct{ Name, Value []byte }

// Request is one parsed HTTP/1.x request.
//
// Ownership: every []byte field is a sub-slice of the buffer given to
// ParseRequest, capped at its own length (appending to one never writes
// into the buffer). They are valid until the caller discards or overwrites
// those bytes: in the event loop, until the bytes are discarded from the
// connection's inbound buffer, normally when the handler returns. Copy what
// must outlive that.
//
// A Request is reused by calling ParseRequest (which resets it) or Reset.
// Headers points into the Request itself, so do not copy a Request by
// value; pass *Request. A Request is touched only by the goroutine that
// parses into it (the connection's event loop).
type Request struct {
	_ noCopy

	// Method is the request method as sent (case-sensitive, a token).
	Method []byte
	// Target is the request-target as sent: origin-form "/path?query"
	// normally; absolute-form, authority-form and "*" are returned as is.
	Target []byte
	// Path is Target before the first '?', RawQuery what follows it (nil
	// if there is no '?'). Neither is percent-decoded; see httpx.QueryValue.
	Path, RawQuery []byte
	// Major and Minor are the HTTP version: 1.0 or 1.1.
	Major, Minor int

	// Headers lists the header fields in the order sent, backed by an
	// array inside the Request (at most HeaderCap, never grown).
	Headers []Header

	// FieldsStart is the index in b of the first header field line, just
	// after the request line: the raw field lines, each with its CRLF, are
	// b[FieldsStart:HeaderLen-2]. (The slices are capped, so their offsets
	// cannot be recovered from cap(b)-cap(s).)
	FieldsStart int
	// HeaderLen is the length of the request line and header section,
	// leading empty lines and the final CRLF included: the body starts at
	// b[HeaderLen]. See ParseRequest for when it is set on ErrNeedMore.
	HeaderLen int
	// ContentLength is the Content-Length value, -1 if absent (always -1
	// for a chunked request: see Body).
	ContentLength int64
	// Body is the complete body: the Content-Length bytes, or a chunked
	// body de-chunked in place. nil if there is none or it is empty.
	Body []byte

	// Cached values of common header fields: the first occurrence, nil if
	// absent (non-nil and empty if present with an empty value). Use
	// Header or Headers for any other field and for repeated fields.
	Host, Origin, Cookie, AcceptEncoding, ContentType []byte
	SecWebSocketKey, SecWebSocketVersion              []byte

	// Chunked: "Transfer-Encoding: chunked" (the only coding accepted).
	Chunked bool
	// KeepAlive: the connection stays open after this request. HTTP/1.1:
	// unless a "close" Connection option; HTTP/1.0: only with a
	// "keep-alive" option and no "close".
	KeepAlive bool
	// Upgrade: a Connection "upgrade" option and "websocket" among the
	// Upgrade protocols (both case-insensitive, comma lists, repeated
	// fields combined). Method and version are not checked: a WebSocket
	// handshake also needs GET and HTTP/1.1.
	Upgrade bool
	// ExpectContinue: "Expect: 100-continue". The client may wait for a
	// "100 Continue" before it sends the body: see ParseRequest.
	ExpectContinue bool

	hdrs [HeaderCap]Header
}

// noCopy makes go vet's copylocks check report copies of a Request.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// Reset clears r, dropping every reference to the buffers it was parsed
// from (so they can be collected). ParseRequest resets the fields it sets
// by itself; Reset is for releasing a buffer early.
func (r *Request) Reset() {
	clear(r.hdrs[:])
	r.reset()
}

// reset clears every field but the header array, which ParseRequest
// overwrites as far as it uses it.
func (r *Request) reset() {
	r.Method, r.Target, r.Path, r.RawQuery = nil, nil, nil, nil
	r.Major, r.Minor = 0, 0
	r.Headers = r.hdrs[:0]
	r.FieldsStart, r.HeaderLen = 0, 0
	r.ContentLength = -1
	r.Body = nil
	r.Host, r.Origin, r.Cookie, r.AcceptEncoding, r.ContentType = nil, nil, nil, nil, nil
	r.SecWebSocketKey, r.SecWebSocketVersion = nil, nil
	r.Chunked, r.KeepAlive, r.Upgrade, r.ExpectContinue = false, false, false, false
}

// Header returns the value of the first header field called name (ASCII
// case-insensitive), or nil if there is none; an empty field gives a
// non-nil empty slice. The result aliases the parsed buffer like every
// field of r. It does not allocate.
func (r *Request) Header(name string) []byte {
	for i := range r.Headers {
		h := &r.Headers[i]
		if len(h.Name) == len(name) && equalFold(h.Name, name) {
			return h.Value
		}
	}
	return nil
}

// equalFold reports whether a and s are equal under ASCII case folding.
func equalFold(a []byte, s string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// isLower reports whether a equals lower, a lower-case string of letters,
// digits and '-', ignoring ASCII case. Only valid when a holds no control
// characters (a validated name or value): then c|0x20 maps only the
// upper-case letter to its lower case and no other byte onto a letter,
// digit or '-'.
func isLower(a []byte, lower string) bool {
	if len(a) != len(lower) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// ParseRequest parses one complete HTTP/1.0 or HTTP/1.1 request, header
// section and body, from the start of b into req (which it resets first),
// and returns the number of bytes it takes: the next pipelined request (or,
// after an Upgrade, the first WebSocket frame) starts at b[n].
//
// It does not allocate or copy: req's slices alias b (see Request). It
// writes to b only for a chunked body, which is de-chunked in place once
// all of it is present: then b[req.HeaderLen:n] is rewritten and must not
// be parsed again. lim may be nil for the defaults.
//
// Errors:
//   - ErrNeedMore: b holds a valid but incomplete request; n is 0. Call
//     again with the grown buffer (never more than lim.MaxBuffered() bytes).
//     If req.HeaderLen > 0 the header section is complete and every field
//     but Body is set (useful to answer "Expect: 100-continue"); with a
//     Content-Length the request ends at HeaderLen+ContentLength.
//   - *HTTPError with Status 400 (malformed), 431 (header section over
//     MaxHeaderBytes, more than MaxHeaders fields), 413 (body over MaxBody),
//     501 (a transfer coding other than chunked) or 505 (a version other
//     than 1.0 and 1.1); n is 0 and req holds partial results. For a 413
//     caused by Content-Length, req is complete but Body: the caller may
//     answer 413 and skip HeaderLen+ContentLength bytes to keep the
//     connection, as Engine.IO does.
//
// Errors are found in the order the bytes come, so a request fed in pieces
// gets the same result as when fed whole.
func ParseRequest(b []byte, req *Request, lim *Limits) (n int, err error) {
	maxHdrBytes, maxHdrs, maxBody := lim.resolve()
	req.reset()

	// The header section is scanned left to right (8 bytes at a time where
	// it can), never past b[:end]: a section that does not end within
	// maxHdrBytes is 431 as soon as that many bytes are buffered.
	end := min(len(b), maxHdrBytes)
	i := 0
	for i < end && b[i] == '\r' {
		if i+1 >= end {
			return 0, moreHeader(b, maxHdrBytes)
		}
		if b[i+1] != '\n' {
			return 0, errLeadingLine
		}
		i += 2
	}
	i, err = req.requestLine(b, i, end)
	if err != nil {
		return 0, err
	}
	if i < 0 {
		return 0, moreHeader(b, maxHdrBytes)
	}
	req.FieldsStart = i

	var st fieldState
	for {
		if i >= end {
			return 0, moreHeader(b, maxHdrBytes)
		}
		if b[i] == '\r' {
			if i+1 >= end {
				return 0, moreHeader(b, maxHdrBytes)
			}
			if b[i+1] != '\n' {
				return 0, errLineEnd
			}
			i += 2
			break
		}
		name, value, next, err := scanField(b, i, end)
		if err != nil {
			return 0, err
		}
		if next < 0 {
			return 0, moreHeader(b, maxHdrBytes)
		}
		i = next
		k := len(req.Headers)
		if k >= maxHdrs {
			return 0, errTooManyFields
		}
		req.hdrs[k] = Header{name, value}
		req.Headers = req.hdrs[:k+1]
		if err := st.field(req, name, value); err != nil {
			return 0, err
		}
	}
	req.HeaderLen = i

	// Message framing (RFC 9112 §6).
	if st.flags&fHost == 0 && req.Minor == 1 {
		return 0, errNoHost
	}
	if st.flags&fTE != 0 {
		switch {
		case req.Minor == 0:
			return 0, errTE10
		case st.flags&fLength != 0:
			return 0, errLengthAndTE
		case st.flags&fChunkedLast == 0 || st.chunked > 1:
			return 0, errChunkedLast
		case st.flags&fTEOther != 0:
			return 0, errTECoding
		}
		req.Chunked = true
	}
	if req.Minor == 1 {
		req.KeepAlive = st.flags&fClose == 0
	} else {
		req.KeepAlive = st.flags&(fClose|fKeepAlive) == fKeepAlive
	}
	req.Upgrade = st.flags&(fConnUpgrade|fWebSocket) == fConnUpgrade|fWebSocket

	switch {
	case req.Chunked:
		wireLimit := i + 2*maxBody + maxHdrBytes
		next, size, err := scanChunked(b, i, min(len(b), wireLimit), wireLimit, maxBody)
		if err != nil {
			return 0, err
		}
		if size > 0 {
			compactChunks(b, i)
			req.Body = b[i : i+size : i+size]
		}
		return next, nil
	case st.flags&fLength != 0:
		req.ContentLength = st.length
		if st.length > int64(maxBody) {
			return 0, errBodyTooLarge
		}
		cl := int(st.length)
		if len(b)-i < cl {
			return 0, ErrNeedMore
		}
		if cl > 0 {
			req.Body = b[i : i+cl : i+cl]
		}
		return i + cl, nil
	}
	return i, nil
}

// moreHeader is the outcome of a header scan that ran out of bytes: the
// header section would end past the limit if b already holds maxHdrBytes.
func moreHeader(b []byte, maxHdrBytes int) error {
	if len(b) >= maxHdrBytes {
		return errHeaderTooBig
	}
	return ErrNeedMore
}

// requestLine parses "method SP request-target SP HTTP-version CRLF" at
// b[i:end] into r. It returns the index after the CRLF, or -1 if the line
// is not complete in b[:end].
func (r *Request) requestLine(b []byte, i, end int) (int, error) {
	s := i
	for i < end && charClass[b[i]]&cToken != 0 {
		i++
	}
	if i >= end {
		return -1, nil
	}
	if i == s || b[i] != ' ' {
		return 0, errRequestLine
	}
	method := b[s:i:i]
	i++
	s = i
	for {
		for i+8 <= end {
			if m := targetStops(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= end || charClass[b[i]]&cTarget == 0 {
			break
		}
		i++
	}
	if i >= end {
		return -1, nil
	}
	if i == s || b[i] != ' ' {
		return 0, errRequestLine
	}
	target := b[s:i:i]
	i++
	if end-i < len("HTTP/1.1\r\n") {
		return -1, nil
	}
	v := b[i : i+10]
	if string(v[:5]) != "HTTP/" || !isDigit(v[5]) || v[6] != '.' || !isDigit(v[7]) {
		return 0, errVersion
	}
	if v[8] != '\r' || v[9] != '\n' {
		return 0, errLineEnd
	}
	if v[5] != '1' || v[7] > '1' {
		return 0, errHTTPVersion
	}
	r.Major, r.Minor = 1, int(v[7]-'0')
	r.Method = method
	r.Target, r.Path = target, target
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		r.Path, r.RawQuery = target[:q:q], target[q+1:]
	}
	return i + 10, nil
}

// scanField scans the field line "name: value CRLF" at b[i], i < end,
// looking no further than b[:end]. next is the index after the CRLF, or -1
// if the line is not complete in b[:end]. value is trimmed of spaces and
// tabs.
func scanField(b []byte, i, end int) (name, value []byte, next int, err error) {
	if b[i] == ' ' || b[i] == '\t' {
		return nil, nil, 0, errObsFold
	}
	s := i
	for {
		for i+8 <= end {
			if m := nameStops(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= end || charClass[b[i]]&cToken == 0 {
			break
		}
		i++ // a tchar other than a letter, digit or '-'
	}
	if i >= end {
		return nil, nil, -1, nil
	}
	if i == s || b[i] != ':' {
		return nil, nil, 0, errFieldName
	}
	name = b[s:i:i]
	i++
	for i < end && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	s = i
	for {
		for i+8 <= end {
			if m := valueStops(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= end || charClass[b[i]]&cValue == 0 {
			break
		}
		i++ // HTAB, or a byte of the last 7
	}
	if i+1 >= end {
		return nil, nil, -1, nil
	}
	if b[i] != '\r' {
		if b[i] == '\n' {
			return nil, nil, 0, errLineEnd
		}
		return nil, nil, 0, errFieldValue
	}
	if b[i+1] != '\n' {
		return nil, nil, 0, errLineEnd
	}
	e := i
	for e > s && (b[e-1] == ' ' || b[e-1] == '\t') {
		e--
	}
	return name, b[s:e:e], i + 2, nil
}

// SWAR: a uint64 holds 8 bytes, little-endian (the first byte lowest). The
// xStops functions set 0x80 in the bytes that end a run of x. Carries and
// borrows only move up, so marks above the first stop may be wrong but the
// lowest mark is exact, and it is all the callers use (TestSWARStops checks
// them against charClass).
const (
	lo = 0x0101010101010101 // 0x01 in every byte
	hi = 0x8080808080808080 // 0x80 in every byte
)

// nameStops marks the bytes that are not an ASCII letter, digit or '-' (the
// bytes of nearly every field name). A byte v < 0x80 is in [a, z] when
// v+(0x80-a) has its high bit set and v+(0x7f-z) has not: no sum carries
// into the next byte.
func nameStops(x uint64) uint64 {
	x7 := x &^ hi
	l := x7 | 0x20*lo // folds upper-case letters (only) onto lower-case
	ok := (l+(0x80-'a')*lo)&^(l+(0x7f-'z')*lo) |
		(x7+(0x80-'0')*lo)&^(x7+(0x7f-'9')*lo) |
		(x7+(0x80-'-')*lo)&^(x7+(0x7f-'-')*lo)
	return (^ok | x) & hi
}

// valueStops marks control characters (HTAB and CR included) and DEL.
func valueStops(x uint64) uint64 {
	y := x ^ 0x7f*lo
	return ((x-0x20*lo)&^x | (y-lo)&^y) & hi
}

// validValue reports whether v holds only field-value bytes: no control
// character but HTAB, no DEL.
func validValue(v []byte) bool {
	for len(v) >= 8 && valueStops(binary.LittleEndian.Uint64(v)) == 0 {
		v = v[8:]
	}
	for _, c := range v {
		if charClass[c]&cValue == 0 {
			return false
		}
	}
	return true
}

// targetStops marks control characters, SP and DEL.
func targetStops(x uint64) uint64 {
	y := x ^ 0x7f*lo
	return ((x-0x21*lo)&^x | (y-lo)&^y) & hi
}

// fieldState collects, over the header fields, what framing and connection
// handling depend on.
type fieldState struct {
	flags   uint16
	chunked uint8 // number of "chunked" transfer codings
	length  int64 // Content-Length, valid with fLength
}

const (
	fHost        = 1 << iota // a Host field
	fLength                  // a Content-Length field
	fTE                      // a Transfer-Encoding field
	fChunkedLast             // the last transfer coding so far is chunked
	fTEOther                 // a transfer coding other than chunked
	fClose                   // Connection: close
	fKeepAlive               // Connection: keep-alive
	fConnUpgrade             // Connection: upgrade
	fWebSocket               // Upgrade: websocket
)

// field records a header field that matters to the parser or is cached in
// req.
func (st *fieldState) field(req *Request, name, value []byte) error {
	switch len(name) {
	case 4:
		if isLower(name, "host") {
			if st.flags&fHost != 0 {
				return errDupHost
			}
			st.flags |= fHost
			req.Host = value
		}
	case 6:
		switch name[0] | 0x20 {
		case 'o':
			if req.Origin == nil && isLower(name, "origin") {
				req.Origin = value
			}
		case 'c':
			if req.Cookie == nil && isLower(name, "cookie") {
				req.Cookie = value
			}
		case 'e':
			if isLower(name, "expect") && isLower(value, "100-continue") {
				req.ExpectContinue = true
			}
		}
	case 7:
		if isLower(name, "upgrade") {
			for rest := value; len(rest) > 0; {
				var e []byte
				e, rest = nextElement(rest)
				if isLower(e, "websocket") {
					st.flags |= fWebSocket
				}
			}
		}
	case 10:
		if isLower(name, "connection") {
			for rest := value; len(rest) > 0; {
				var e []byte
				e, rest = nextElement(rest)
				switch {
				case isLower(e, "close"):
					st.flags |= fClose
				case isLower(e, "keep-alive"):
					st.flags |= fKeepAlive
				case isLower(e, "upgrade"):
					st.flags |= fConnUpgrade
				}
			}
		}
	case 12:
		if req.ContentType == nil && isLower(name, "content-type") {
			req.ContentType = value
		}
	case 14:
		if isLower(name, "content-length") {
			return st.contentLength(value)
		}
	case 15:
		if req.AcceptEncoding == nil && isLower(name, "accept-encoding") {
			req.AcceptEncoding = value
		}
	case 17:
		switch name[0] | 0x20 {
		case 't':
			if isLower(name, "transfer-encoding") {
				st.transferEncoding(value)
			}
		case 's':
			if req.SecWebSocketKey == nil && isLower(name, "sec-websocket-key") {
				req.SecWebSocketKey = value
			}
		}
	case 21:
		if req.SecWebSocketVersion == nil && isLower(name, "sec-websocket-version") {
			req.SecWebSocketVersion = value
		}
	}
	return nil
}

// contentLength records a Content-Length value: 1*DIGIT, or a list of equal
// values (RFC 9110 §8.6; empty list elements are ignored); repeated fields
// must agree too. A value too large for int64 saturates: it is over any
// MaxBody.
func (st *fieldState) contentLength(value []byte) error {
	seen := false
	for rest := value; len(rest) > 0; {
		var e []byte
		e, rest = nextElement(rest)
		if len(e) == 0 {
			continue
		}
		seen = true
		var n int64
		for _, c := range e {
			if !isDigit(c) {
				return errContentLength
			}
			if n > (math.MaxInt64-9)/10 {
				n = math.MaxInt64
			} else {
				n = n*10 + int64(c-'0')
			}
		}
		if st.flags&fLength != 0 && n != st.length {
			return errDupLength
		}
		st.flags |= fLength
		st.length = n
	}
	if !seen {
		return errContentLength
	}
	return nil
}

// transferEncoding records the codings of a Transfer-Encoding field;
// repeated fields form one list.
func (st *fieldState) transferEncoding(value []byte) {
	st.flags |= fTE
	for rest := value; len(rest) > 0; {
		var e []byte
		e, rest = nextElement(rest)
		if len(e) == 0 {
			continue
		}
		if isLower(e, "chunked") {
			st.flags |= fChunkedLast
			if st.chunked < 255 {
				st.chunked++
			}
		} else {
			st.flags = st.flags&^fChunkedLast | fTEOther
		}
	}
}

// nextElement splits the first element off a comma-separated list and
// trims it of spaces and tabs. Empty elements come back empty.
func nextElement(list []byte) (elem, rest []byte) {
	if c := bytes.IndexByte(list, ','); c >= 0 {
		elem, rest = list[:c], list[c+1:]
	} else {
		elem = list
	}
	for len(elem) > 0 && (elem[0] == ' ' || elem[0] == '\t') {
		elem = elem[1:]
	}
	for len(elem) > 0 && (elem[len(elem)-1] == ' ' || elem[len(elem)-1] == '\t') {
		elem = elem[:len(elem)-1]
	}
	return elem, rest
}

// scanChunked validates, without writing, the chunked body that starts at
// b[i]: chunks, last chunk, trailer section (RFC 9112 §7.1). A line counts
// once its LF is in b[:end], end = min(len(b), wireLimit). It returns the
// index after the body and the total data size. Running out of bytes gives
// 413 if end is the wire limit, else ErrNeedMore.
func scanChunked(b []byte, i, end, wireLimit, maxBody int) (next, size int, err error) {
	more := ErrNeedMore
	if end >= wireLimit {
		more = errBodyTooLarge
	}
	for {
		nl := bytes.IndexByte(b[i:end], '\n')
		if nl < 0 {
			return 0, 0, more
		}
		if nl == 0 || b[i+nl-1] != '\r' {
			return 0, 0, errChunk
		}
		n, err := chunkSize(b[i:i+nl-1], maxBody-size)
		if err != nil {
			return 0, 0, err
		}
		i += nl + 1
		if n == 0 {
			break
		}
		size += n
		// chunk-data CRLF
		if i+n+2 > wireLimit {
			return 0, 0, errBodyTooLarge
		}
		if i+n+2 > len(b) {
			return 0, 0, ErrNeedMore
		}
		i += n
		if b[i] != '\r' || b[i+1] != '\n' {
			return 0, 0, errChunk
		}
		i += 2
	}
	// trailer-section CRLF: the fields are checked and dropped.
	for {
		if i >= end {
			return 0, 0, more
		}
		if b[i] == '\r' {
			if i+1 >= end {
				return 0, 0, more
			}
			if b[i+1] != '\n' {
				return 0, 0, errChunk
			}
			return i + 2, size, nil
		}
		_, _, next, err := scanField(b, i, end)
		if err != nil {
			return 0, 0, errChunk
		}
		if next < 0 {
			return 0, 0, more
		}
		i = next
	}
}

// chunkSize parses a chunk-size line without its CRLF: HEXDIG, then
// optionally [ BWS ";" chunk-ext ] (extensions are checked for field-value
// bytes and ignored). A size over room is 413.
func chunkSize(line []byte, room int) (int, error) {
	n, j := 0, 0
	for j < len(line) && charClass[line[j]]&cHex != 0 {
		n = n<<4 | int(unhex(line[j]))
		if n > room {
			return 0, errBodyTooLarge
		}
		j++
	}
	if j == 0 {
		return 0, errChunk
	}
	ext := line[j:]
	for len(ext) > 0 && (ext[0] == ' ' || ext[0] == '\t') {
		ext = ext[1:]
	}
	switch {
	case len(ext) == 0 && j == len(line):
		return n, nil
	case len(ext) == 0 || ext[0] != ';' || !validValue(ext[1:]):
		return 0, errChunk
	}
	return n, nil
}

// compactChunks de-chunks in place the chunked body at b[i:], which
// scanChunked has validated: the chunk data is moved down to b[i:].
func compactChunks(b []byte, i int) {
	w := i
	for {
		n := 0
		for charClass[b[i]]&cHex != 0 {
			n = n<<4 | int(unhex(b[i]))
			i++
		}
		i += bytes.IndexByte(b[i:], '\n') + 1
		if n == 0 {
			return
		}
		w += copy(b[w:], b[i:i+n])
		i += n + 2
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// unhex is the value of the hex digit c.
func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// Character classes of charClass.
const (
	cToken  = 1 << iota // tchar (RFC 9110 §5.6.2)
	cValue              // field-vchar, SP, HTAB (RFC 9110 §5.5)
	cTarget             // request-target: VCHAR, obs-text
	cHex                // HEXDIG
)

// charClass maps each byte to its classes. It is computed once and only
// read.
var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 0x80:
			t[c] = cValue | cTarget
		case c > 0x20 && c < 0x7f:
			t[c] = cValue | cTarget
			if 'a' <= c|0x20 && c|0x20 <= 'z' || isDigit(byte(c)) || bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), byte(c)) >= 0 {
				t[c] |= cToken
			}
			if isDigit(byte(c)) || 'a' <= c|0x20 && c|0x20 <= 'f' {
				t[c] |= cHex
			}
		case c == ' ' || c == '\t':
			t[c] = cValue
		}
	}
	return t
}()
