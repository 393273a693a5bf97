package wsframe

import (
	"encoding/binary"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// CloseError reports a protocol violation by the peer. Code is the status code
// to send in the close frame before closing the connection (1002 protocol
// error, 1007 invalid payload data, 1009 message too big). Reason describes
// the violation for logs; it is not meant for the wire: the Node.js reference
// server sends these close frames with an empty reason, so
// AppendClose(dst, e.Code, "") reproduces its bytes.
type CloseError struct {
	Code   ws.StatusCode
	Reason string
}

// Error implements error.
func (e *CloseError) Error() string {
	return "wsframe: close " + strconv.Itoa(int(e.Code)) + ": " + e.Reason
}

func closeErr(code ws.StatusCode, reason string) *CloseError {
	return &CloseError{Code: code, Reason: reason}
}

// maxCloseReason is the longest reason that fits in a control frame after the
// 2-byte status code.
const maxCloseReason = ws.MaxControlFramePayloadSize - 2

// AppendClose appends a complete server close frame (FIN, not masked) to dst
// and returns the extended slice. A zero code gives an empty body ("no status
// code", what the reference server sends on a transport close); otherwise the
// body is the big-endian code followed by reason. A reason longer than 123
// bytes is cut at the last UTF-8 character boundary that fits, so the frame
// stays a valid control frame. It allocates only when dst has to grow.
// Safe to call from any goroutine.
func AppendClose(dst []byte, code ws.StatusCode, reason string) []byte {
	if code == 0 {
		return append(dst, bitFin|byte(ws.OpClose), 0)
	}
	if len(reason) > maxCloseReason {
		reason = truncateUTF8(reason, maxCloseReason)
	}
	dst = slices.Grow(dst, 4+len(reason))
	dst = append(dst, bitFin|byte(ws.OpClose), byte(2+len(reason)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}

// truncateUTF8 returns the longest prefix of s of at most n bytes that does
// not end inside a multi-byte UTF-8 sequence.
func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ParseClose parses and checks the payload of a close frame, as delivered by
// Decoder.Next (already unmasked). An empty payload gives code 0 (no status
// code, which the receiver treats as 1005). reason aliases payload: it is not
// copied and is valid as long as payload is.
//
// Errors are *CloseError: 1002 for a 1-byte payload, a payload over 125 bytes
// or a status code that must not appear on the wire, 1007 for a reason that
// is not UTF-8. Messages returned by Decoder.Next have passed these checks.
// Safe to call from any goroutine.
func ParseClose(payload []byte) (code ws.StatusCode, reason []byte, err error) {
	switch {
	case len(payload) == 0:
		return 0, nil, nil
	case len(payload) == 1:
		return 0, nil, closeErr(ws.StatusProtocolError, "close frame payload of 1 byte")
	case len(payload) > ws.MaxControlFramePayloadSize:
		return 0, nil, closeErr(ws.StatusProtocolError, "control frame payload over 125 bytes")
	}
	code = ws.StatusCode(binary.BigEndian.Uint16(payload))
	reason = payload[2:]
	if !ValidCloseCode(code) {
		return code, reason, closeErr(ws.StatusProtocolError, "invalid close status code "+strconv.Itoa(int(code)))
	}
	if !utf8.Valid(reason) {
		return code, reason, closeErr(ws.StatusInvalidFramePayloadData, "close reason is not valid UTF-8")
	}
	return code, reason, nil
}

// ValidCloseCode reports whether code may be sent in a close frame: 1000-1014
// except 1004 (reserved), 1005 and 1006 (never on the wire), and the
// registered and private ranges 3000-4999. This is the set the reference
// server (Node.js ws) accepts. Safe to call from any goroutine.
func ValidCloseCode(code ws.StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1014:
		return code != 1004 && code != ws.StatusNoStatusRcvd && code != ws.StatusAbnormalClosure
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
