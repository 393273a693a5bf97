package parser

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/bytedance/sonic"
	"github.com/bytedance/sonic/encoder"
)

// Binary attachments. A BINARY_EVENT or BINARY_ACK carries its []byte
// values out of band: the JSON holds {"_placeholder":true,"num":N} in their
// place and the N-th attachment (an Engine.IO binary message) follows the
// text packet, in the depth-first order of the placeholders.

// Errors of the binary codec. Those an inbound packet can cause match
// ErrInvalidPacket with errors.Is (the reference closes the session for
// them); encoding errors match ErrUnsupportedValue.
var (
	// ErrInvalidPlaceholder: a placeholder's num is not the index of an
	// attachment (the reference's "illegal attachments").
	ErrInvalidPlaceholder = fmt.Errorf("%w: placeholder refers to no attachment", ErrInvalidPacket)
	// ErrTooManyAttachments: a binary packet announces more attachments
	// than the Assembler allows.
	ErrTooManyAttachments = fmt.Errorf("%w: too many attachments", ErrInvalidPacket)
	// ErrAttachmentsTooLarge: the attachments of one packet exceed the
	// Assembler's MaxBytes.
	ErrAttachmentsTooLarge = fmt.Errorf("%w: attachments too large", ErrInvalidPacket)
	// ErrUnexpectedBinary: a binary message arrived while no binary packet
	// was waiting for attachments.
	ErrUnexpectedBinary = fmt.Errorf("%w: got binary data when not reconstructing a packet", ErrInvalidPacket)
	// ErrUnexpectedText: a text packet arrived while a binary packet was
	// still waiting for attachments.
	ErrUnexpectedText = fmt.Errorf("%w: got plaintext data when reconstructing a packet", ErrInvalidPacket)

	// ErrUnsupportedValue: an argument cannot be encoded (too deeply nested
	// or cyclic, invalid RawJSON, or a value sonic refuses).
	ErrUnsupportedValue = errors.New("sio: unsupported value")
	errEncodeDepth      = fmt.Errorf("%w: nested too deeply (or cyclic)", ErrUnsupportedValue)
	errRawJSON          = fmt.Errorf("%w: RawJSON is not one JSON value", ErrUnsupportedValue)
)

// DefaultMaxAttachments is the attachment limit of the reference decoder
// (socket.io-parser's maxAttachments option), the Assembler's default.
const DefaultMaxAttachments = 10

// maxEncodeDepth bounds the nesting AppendEventArgs walks (a cyclic []any
// or map would otherwise never end).
const maxEncodeDepth = 1000

// encodeOptions configures sonic to write what JSON.stringify writes, as
// far as it can: no HTML escaping (<, >, & stay), U+2028/U+2029 raw,
// NaN and ±Inf as null, no trailing newline. Map keys are written in Go's
// map iteration order, unsorted. Differences that remain for values sonic
// encodes (everything but the types AppendEventArgs handles itself, see
// there): -0 is written "-0" (JavaScript: 0), \b and \f as \u0008 and
// \u000c (same string), []byte inside a struct as base64.
const encodeOptions = encoder.EncodeNullForInfOrNan | encoder.NoEncoderNewline

// RawJSON is one JSON value written into a packet unchanged (after a
// validity check), so a relay can re-emit received arguments without
// decoding and encoding them. An empty RawJSON is written as null. It must
// not hold binary placeholders: their numbers would not match the packet's
// attachments.
type RawJSON []byte

// MarshalJSON returns r itself (null when empty), so RawJSON nested in
// values that sonic encodes is written unchanged too.
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// Binary is a []byte that travels as a binary attachment wherever it is.
// At the top level and inside []any and maps it is the same as []byte;
// unlike []byte it also becomes an attachment as a struct field (or inside
// any other value sonic encodes), where []byte is base64 text as with
// encoding/json. There it costs a base64 round trip and a copy: its
// MarshalJSON writes a marker object that the encoder then replaces by a
// placeholder. A nil Binary is null.
type Binary []byte

// binaryMarker starts what Binary.MarshalJSON writes: an object with a key
// that ordinary data does not hold (it starts with an escaped NUL). A map
// key forged to match would at worst turn its value into an attachment.
const binaryMarker = `{"\u0000sioloop.Binary":"`

// MarshalJSON writes b as a marker object holding its base64; AppendEvent
// and the other encoders of this package turn it into a placeholder (or,
// without attachments, into the base64 string).
func (b Binary) MarshalJSON() ([]byte, error) {
	if b == nil {
		return []byte("null"), nil
	}
	out := make([]byte, 0, len(binaryMarker)+base64.StdEncoding.EncodedLen(len(b))+2)
	out = append(out, binaryMarker...)
	out = base64.StdEncoding.AppendEncode(out, b)
	return append(out, '"', '}'), nil
}

// AppendEventArgs appends args as a JSON array ("[a1,a2]") to dst. Every
// []byte or Binary found at the top level or inside []any, map[string]any,
// [][]byte and map[string][]byte, and every Binary anywhere, is replaced by
// a placeholder and appended to atts, in depth-first order as the
// reference does; a nil one is null. Attachments from []byte alias the
// caller's slices (nothing is copied).
//
// Strings, numbers, booleans, nil, RawJSON and those containers are
// written by the codec itself, exactly as JSON.stringify would (-0 → 0,
// 1e21 → 1e+21, NaN → null, non-ASCII and <>& raw); other values
// (structs, typed slices and maps, json.Marshaler) are encoded by sonic
// (see encodeOptions for what differs), with every []byte they hold (a
// struct field, a typed slice's or map's element, at any depth) sent as an
// attachment too, except where shadowOf cannot reach it (see shadow.go:
// a []byte in an interface field, or in a struct with unexported or
// embedded fields, stays base64 text; use Binary there). Go maps have no
// order: keys are written in iteration order.
//
// On error dst and atts are returned with their original lengths.
func AppendEventArgs(dst []byte, args []any, atts [][]byte) ([]byte, [][]byte, error) {
	n, na := len(dst), len(atts)
	dst = append(dst, '[')
	first := true
	for _, a := range args {
		var err error
		if dst, atts, err = appendListItem(dst, a, atts, na, &first); err != nil {
			return dst[:n], atts[:na], err
		}
	}
	return append(dst, ']'), atts, nil
}

// ArgList is a list of received arguments (raw JSON values and the binary
// attachments their placeholders refer to). An ArgList among the arguments
// of AppendEvent, AppendAck or AppendEventArgs expands to its own
// arguments, relayed unchanged: the relay path that decodes and encodes
// nothing.
type ArgList interface {
	RawArgs() [][]byte
	Attachments() [][]byte
}

// appendListItem appends one argument of an argument list (an ArgList
// expands to its arguments). na is the number of attachments atts held
// when this list began.
func appendListItem(dst []byte, a any, atts [][]byte, na int, first *bool) ([]byte, [][]byte, error) {
	list, ok := a.(ArgList)
	if !ok {
		if !*first {
			dst = append(dst, ',')
		}
		*first = false
		return appendValue(dst, a, atts, true, 0)
	}
	// Placeholders keep their numbers only if these attachments come
	// first in the packet; otherwise rebuild the values (slow, rare).
	raws, latts := list.RawArgs(), list.Attachments()
	direct := len(latts) == 0 || len(atts) == na
	for _, raw := range raws {
		if !*first {
			dst = append(dst, ',')
		}
		*first = false
		if direct {
			dst = append(dst, raw...)
			continue
		}
		v, err := DecodeValue(raw, latts)
		if err != nil {
			return dst, atts, err
		}
		if dst, atts, err = appendValue(dst, v, atts, true, 0); err != nil {
			return dst, atts, err
		}
	}
	if direct {
		atts = append(atts, latts...)
	}
	return dst, atts, nil
}

// AppendEvent appends a complete EVENT packet, or a BINARY_EVENT when args
// hold binary values (see AppendEventArgs), whose attachments it appends
// to atts: `2[<nsp>,][<id>]["name",args...]`. nsp "" or "/" is omitted;
// id < 0 means no ack id. On error dst and atts keep their original
// lengths.
func AppendEvent(dst []byte, nsp string, id int64, name string, args []any, atts [][]byte) ([]byte, [][]byte, error) {
	return appendMessage(dst, PacketEvent, nsp, id, name, true, args, atts)
}

// AppendAck appends a complete ACK packet, or a BINARY_ACK when args hold
// binary values: `3[<nsp>,]<id>[args...]`. Otherwise as AppendEvent.
func AppendAck(dst []byte, nsp string, id int64, args []any, atts [][]byte) ([]byte, [][]byte, error) {
	return appendMessage(dst, PacketAck, nsp, id, "", false, args, atts)
}

func appendMessage(dst []byte, t PacketType, nsp string, id int64, name string, withName bool, args []any, atts [][]byte) ([]byte, [][]byte, error) {
	n, na := len(dst), len(atts)
	dst = appendHeader(dst, t, 0, nsp, id)
	dst = append(dst, '[')
	if withName {
		dst = AppendJSONString(dst, name)
	}
	first := !withName
	for _, a := range args {
		var err error
		if dst, atts, err = appendListItem(dst, a, atts, na, &first); err != nil {
			return dst[:n], atts[:na], err
		}
	}
	dst = append(dst, ']')
	if nb := len(atts) - na; nb > 0 {
		// The count is known only now: make room for "<n>-" after the type.
		var cnt [24]byte
		c := append(strconv.AppendInt(cnt[:0], int64(nb), 10), '-')
		dst = append(dst, c...)
		copy(dst[n+1+len(c):], dst[n+1:len(dst)-len(c)])
		copy(dst[n+1:], c)
		dst[n] += byte(PacketBinaryEvent - PacketEvent)
	}
	return dst, atts, nil
}

// appendArg appends one argument (see AppendEventArgs).
func appendArg(dst []byte, a any, atts [][]byte) ([]byte, [][]byte, error) {
	return appendValue(dst, a, atts, true, 0)
}

// AppendJSON appends v as JSON with the rules of AppendEventArgs, except
// that []byte and Binary are written as base64 (there are no attachments).
func AppendJSON(dst []byte, v any) ([]byte, error) {
	dst, _, err := appendValue(dst, v, nil, false, 0)
	return dst, err
}

// appendValue appends v as JSON; with bin, binary values become
// placeholders and are appended to atts.
func appendValue(dst []byte, v any, atts [][]byte, bin bool, depth int) ([]byte, [][]byte, error) {
	if depth > maxEncodeDepth {
		return dst, atts, errEncodeDepth
	}
	var err error
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), atts, nil
	case string:
		return AppendJSONString(dst, x), atts, nil
	case bool:
		return strconv.AppendBool(dst, x), atts, nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), atts, nil
	case int64:
		return strconv.AppendInt(dst, x, 10), atts, nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), atts, nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), atts, nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), atts, nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), atts, nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), atts, nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), atts, nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), atts, nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), atts, nil
	case float64:
		return appendJSNumber(dst, x, 64), atts, nil
	case float32:
		return appendJSNumber(dst, float64(x), 32), atts, nil
	case RawJSON:
		if len(x) == 0 {
			return append(dst, "null"...), atts, nil
		}
		i := skipWS(x, 0)
		n, err := skipValue(x, i)
		if err != nil || skipWS(x, n) != len(x) {
			return dst, atts, errRawJSON
		}
		return append(dst, x[i:n]...), atts, nil
	case []byte:
		return appendBytes(dst, x, atts, bin)
	case Binary:
		return appendBytes(dst, x, atts, bin)
	case [][]byte:
		if x == nil {
			return append(dst, "null"...), atts, nil
		}
		dst = append(dst, '[')
		for i, b := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst, atts, _ = appendBytes(dst, b, atts, bin)
		}
		return append(dst, ']'), atts, nil
	case map[string][]byte:
		if x == nil {
			return append(dst, "null"...), atts, nil
		}
		dst = append(dst, '{')
		first := true
		for k, b := range x {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			dst, atts, _ = appendBytes(dst, b, atts, bin)
		}
		return append(dst, '}'), atts, nil
	case []any:
		if x == nil {
			return append(dst, "null"...), atts, nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, atts, err = appendValue(dst, e, atts, bin, depth+1); err != nil {
				return dst, atts, err
			}
		}
		return append(dst, ']'), atts, nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), atts, nil
		}
		dst = append(dst, '{')
		first := true
		for k, e := range x {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, atts, err = appendValue(dst, e, atts, bin, depth+1); err != nil {
				return dst, atts, err
			}
		}
		return append(dst, '}'), atts, nil
	}
	if bin {
		v = shadowOf(v) // []byte inside structs, typed slices and maps: attachments
	}
	n := len(dst)
	if dst, err = appendSonic(dst, v); err != nil {
		return dst[:n], atts, fmt.Errorf("%w: %w", ErrUnsupportedValue, err)
	}
	if bytes.Contains(dst[n:], []byte(binaryMarker)) {
		dst, atts = replaceBinaryMarkers(dst, n, atts, bin)
	}
	return dst, atts, nil
}

// appendSonic appends v encoded by sonic. It is a function of its own so
// that only this path pays for the slice header escaping to sonic.
func appendSonic(dst []byte, v any) ([]byte, error) {
	err := encoder.EncodeInto(&dst, v, encodeOptions)
	return dst, err
}

// appendBytes appends a binary value: a placeholder (with bin) or base64.
func appendBytes(dst, b []byte, atts [][]byte, bin bool) ([]byte, [][]byte, error) {
	switch {
	case b == nil:
		return append(dst, "null"...), atts, nil
	case bin:
		return appendPlaceholder(dst, len(atts)), append(atts, b), nil
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"'), atts, nil
}

// replaceBinaryMarkers rewrites the Binary markers that sonic wrote into
// dst[start:]: each becomes a placeholder whose attachment (decoded from
// the marker) is appended to atts, or, without bin, a base64 string.
func replaceBinaryMarkers(dst []byte, start int, atts [][]byte, bin bool) ([]byte, [][]byte) {
	src := append([]byte(nil), dst[start:]...)
	dst = dst[:start]
	for {
		i := bytes.Index(src, []byte(binaryMarker))
		if i < 0 {
			break
		}
		j := i + len(binaryMarker)
		end := bytes.IndexByte(src[j:], '"')
		if end < 0 || j+end+1 >= len(src) || src[j+end+1] != '}' {
			dst = append(dst, src[:j]...) // not ours after all
			src = src[j:]
			continue
		}
		b64 := src[j : j+end]
		dst = append(dst, src[:i]...)
		src = src[j+end+2:]
		if !bin {
			dst = append(dst, '"')
			dst = append(dst, b64...)
			dst = append(dst, '"')
			continue
		}
		b, err := base64.StdEncoding.AppendDecode(nil, b64)
		if err != nil { // not ours after all: keep it
			dst = append(dst, binaryMarker...)
			dst = append(dst, b64...)
			dst = append(dst, '"', '}')
			continue
		}
		dst = appendPlaceholder(dst, len(atts))
		atts = append(atts, b)
	}
	return append(dst, src...), atts
}

// appendPlaceholder appends {"_placeholder":true,"num":num}, key order as
// the reference writes it.
func appendPlaceholder(dst []byte, num int) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(num), 10)
	return append(dst, '}')
}

// DecodeArgs decodes a payload array (an EVENT's, name included, or an
// ACK's) into Go values with sonic: map[string]any, []any, float64,
// string, bool and nil, with attachments[N] in place of every placeholder
// whose num is N, at any depth. The result aliases attachments (not
// data). Like the reference it rejects a placeholder whose num is not an
// attachment index (ErrInvalidPlaceholder) but does not require every
// attachment to be used. Unlike JSON.parse, sonic rejects numbers beyond
// float64 (1e400) and decodes lone surrogate escapes as U+FFFD.
func DecodeArgs(data []byte, attachments [][]byte) ([]any, error) {
	v, err := DecodeValue(data, attachments)
	if err != nil {
		return nil, err
	}
	args, ok := v.([]any)
	if !ok {
		return nil, errPayloadShape
	}
	return args, nil
}

// DecodeValue decodes one JSON value, placeholders replaced as by
// DecodeArgs.
func DecodeValue(raw []byte, atts [][]byte) (any, error) {
	var v any
	// Unmarshal copies raw once; strings in the result refer to that copy.
	if err := sonic.ConfigDefault.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidJSON, err.Error())
	}
	return reconstruct(v, atts)
}

// reconstruct replaces placeholder objects in a decoded value.
func reconstruct(v any, atts [][]byte) (any, error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			r, err := reconstruct(e, atts)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	case map[string]any:
		if ph, ok := x["_placeholder"].(bool); ok && ph {
			num, ok := x["num"].(float64)
			if !ok || num < 0 || num >= float64(len(atts)) || num != math.Trunc(num) {
				return nil, ErrInvalidPlaceholder
			}
			return atts[int(num)], nil
		}
		for k, e := range x {
			r, err := reconstruct(e, atts)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
	}
	return v, nil
}

// ValidatePlaceholders checks, without decoding or allocating, that every
// placeholder in the JSON value data refers to one of n attachments, as
// the reference does when it puts a binary packet back together.
// Placeholders follow JSON.parse semantics: an object is one when its last
// "_placeholder" key (after unescaping) has the value true; its last "num"
// must then be an integer in [0, n) (the reference also lets a fraction
// through and yields undefined for it).
func ValidatePlaceholders(data []byte, n int) error {
	end, phErr, err := walkPlaceholders(data, 0, n, 0)
	if err == nil && skipWS(data, end) != len(data) {
		err = ErrInvalidJSON
	}
	if err != nil {
		return err
	}
	return phErr
}

// walkPlaceholders walks the value at b[i] and returns its end, the first
// placeholder error (walking goes on after one) and any syntax error.
func walkPlaceholders(b []byte, i, n, depth int) (end int, phErr, err error) {
	if depth > maxJSONDepth {
		return i, nil, ErrJSONDepth
	}
	i = skipWS(b, i)
	if i >= len(b) {
		return i, nil, ErrInvalidJSON
	}
	switch b[i] {
	case '{':
		isPH, num, end, phErr, err := scanObject(b, i, n, depth, true)
		if err != nil {
			return end, nil, err
		}
		if isPH {
			if _, ok := attachmentIndex(num, n); !ok {
				return end, ErrInvalidPlaceholder, nil
			}
			return end, nil, nil // the reference does not look inside
		}
		return end, phErr, nil
	case '[':
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, nil, nil
		}
		for {
			var e error
			if i, e, err = walkPlaceholders(b, i, n, depth+1); err != nil {
				return i, nil, err
			}
			if phErr == nil {
				phErr = e
			}
			if i = skipWS(b, i); i >= len(b) {
				return i, nil, ErrInvalidJSON
			}
			switch b[i] {
			case ',':
				i++
			case ']':
				return i + 1, phErr, nil
			default:
				return i, nil, ErrInvalidJSON
			}
		}
	}
	end, err = skipValue(b, i)
	return end, nil, err
}

// scanObject scans the object at b[i] ('{'). It reports whether it is a
// placeholder and the raw JSON of its last "num" value. With deep, values
// are walked for nested placeholders (phErr); otherwise skipped.
func scanObject(b []byte, i, n, depth int, deep bool) (isPH bool, num []byte, end int, phErr, err error) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return false, nil, i + 1, nil, nil
	}
	for {
		i = skipWS(b, i)
		if i >= len(b) || b[i] != '"' {
			return false, nil, i, nil, ErrInvalidJSON
		}
		kend, escaped, err := scanString(b, i+1)
		if err != nil {
			return false, nil, kend, nil, err
		}
		key := b[i:kend]
		if i = skipWS(b, kend); i >= len(b) || b[i] != ':' {
			return false, nil, i, nil, ErrInvalidJSON
		}
		vstart := skipWS(b, i+1)
		var vend int
		if deep {
			var e error
			if vend, e, err = walkPlaceholders(b, vstart, n, depth+1); err != nil {
				return false, nil, vend, nil, err
			}
			if phErr == nil {
				phErr = e
			}
		} else if vend, err = skipValue(b, vstart); err != nil {
			return false, nil, vend, nil, err
		}
		switch {
		case keyIs(key, escaped, "_placeholder"):
			isPH = string(b[vstart:vend]) == "true"
		case keyIs(key, escaped, "num"):
			num = b[vstart:vend]
		}
		if i = skipWS(b, vend); i >= len(b) {
			return false, nil, i, nil, ErrInvalidJSON
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return isPH, num, i + 1, phErr, nil
		default:
			return false, nil, i, nil, ErrInvalidJSON
		}
	}
}

// keyIs reports whether the JSON string raw (quotes included) decodes to
// want, which must be short ASCII.
func keyIs(raw []byte, escaped bool, want string) bool {
	if !escaped {
		return string(raw[1:len(raw)-1]) == want
	}
	if len(raw) > 2+6*16 || len(want) > 16 {
		return false
	}
	var buf [6 * 16]byte
	s, err := AppendUnquote(buf[:0], raw)
	return err == nil && string(s) == want
}

// attachmentIndex converts a placeholder's num (raw JSON) to an index
// below n.
func attachmentIndex(num []byte, n int) (int, bool) {
	if len(num) == 0 || (num[0] != '-' && !isDigit(num[0])) {
		return 0, false // absent, or not a number
	}
	if len(num) <= 9 {
		v, ok := 0, true
		for _, c := range num {
			if !isDigit(c) {
				ok = false
				break
			}
			v = v*10 + int(c-'0')
		}
		if ok {
			return v, v < n
		}
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if f < 0 || f >= float64(n) || f != math.Trunc(f) { // -0 is 0, as in JavaScript
		return 0, false
	}
	return int(f), true
}

// PlaceholderNum returns the attachment index of the placeholder object
// raw, if raw is one (nested values are not inspected).
func PlaceholderNum(raw []byte) (int, bool) {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return 0, false
	}
	isPH, num, _, _, err := scanObject(raw, i, 0, 0, false)
	if err != nil || !isPH {
		return 0, false
	}
	return attachmentIndex(num, math.MaxInt)
}

// Assembler puts inbound binary packets back together: the text packet
// (BINARY_EVENT or BINARY_ACK) first, then each attachment, one Engine.IO
// binary message each, in order. It copies the packet's namespace and
// payload and every attachment, because they must outlive the Engine.IO
// callbacks that delivered them; the finished packet and attachments are
// then owned by the caller (the Assembler allocates fresh storage for the
// next one). The zero value is ready with the defaults. An Assembler
// belongs to one connection and is used on its event loop only.
type Assembler struct {
	// MaxAttachments limits the attachments of one packet; 0 means
	// DefaultMaxAttachments (10, as the reference).
	MaxAttachments int
	// MaxBytes limits the total attachment bytes of one packet; 0 means
	// no limit of its own (Engine.IO's maxPayload still bounds each
	// attachment).
	MaxBytes int

	pkt  Packet
	atts [][]byte
	size int
	done bool
}

// Start begins a binary packet p (from ParsePacket). It fails with
// ErrUnexpectedText when the previous packet still waits for attachments
// (the reference rejects any text packet then; the pending packet is
// dropped), with ErrTooManyAttachments over the limit and
// ErrIllegalAttachments for a packet of another type or without
// attachments. p is copied, not retained.
func (a *Assembler) Start(p *Packet) error {
	if a.Pending() {
		a.Reset()
		return ErrUnexpectedText
	}
	a.Reset()
	if !p.Type.Binary() || p.Attachments < 1 {
		return ErrIllegalAttachments
	}
	maxAtt := a.MaxAttachments
	if maxAtt <= 0 {
		maxAtt = DefaultMaxAttachments
	}
	if p.Attachments > maxAtt {
		return ErrTooManyAttachments
	}
	buf := make([]byte, len(p.Namespace)+len(p.Data))
	n := copy(buf, p.Namespace)
	copy(buf[n:], p.Data)
	a.pkt = *p
	a.pkt.Namespace, a.pkt.Data = buf[:n:n], buf[n:]
	a.atts = make([][]byte, 0, p.Attachments)
	return nil
}

// Pending reports whether a packet is waiting for attachments. While it
// is, a text packet is a protocol error (ErrUnexpectedText).
func (a *Assembler) Pending() bool { return a.atts != nil && !a.done }

// Add takes the next attachment (b is copied). done reports that the
// packet is complete: its placeholders have been checked
// (ErrInvalidPlaceholder) and Packet returns it. Add fails with
// ErrUnexpectedBinary when no packet is pending, and with
// ErrAttachmentsTooLarge over MaxBytes; after an error nothing is pending.
func (a *Assembler) Add(b []byte) (done bool, err error) {
	if !a.Pending() {
		a.Reset()
		return false, ErrUnexpectedBinary
	}
	a.size += len(b)
	if a.MaxBytes > 0 && a.size > a.MaxBytes {
		a.Reset()
		return false, ErrAttachmentsTooLarge
	}
	a.atts = append(a.atts, append(make([]byte, 0, len(b)), b...))
	if len(a.atts) < a.pkt.Attachments {
		return false, nil
	}
	if len(a.pkt.Data) > 0 {
		if err := ValidatePlaceholders(a.pkt.Data, len(a.atts)); err != nil {
			a.Reset()
			return false, err
		}
	}
	a.done = true
	return true, nil
}

// Packet returns the completed packet and its attachments (both owned by
// the caller) and resets the Assembler. ok is false if no packet is
// complete.
func (a *Assembler) Packet() (p Packet, attachments [][]byte, ok bool) {
	if !a.done {
		return Packet{}, nil, false
	}
	p, attachments = a.pkt, a.atts
	a.Reset()
	return p, attachments, true
}

// Reset drops any packet in progress.
func (a *Assembler) Reset() {
	a.pkt, a.atts, a.size, a.done = Packet{}, nil, 0, false
}
