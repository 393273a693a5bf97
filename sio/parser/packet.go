package parser

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// The Socket.IO v5 packet codec: pure functions over byte slices (this
// file, jsonscan.go and binary.go), safe for concurrent use, that never
// retain the slices they are given unless their documentation says so.
// Decoding follows socket.io-parser 4.2.x (the decoder of socket.io 4.8);
// encoding writes what its encoder writes.

// PacketType is a Socket.IO packet type, sent as one ASCII digit
// ('0' + type) at the start of the packet.
type PacketType byte

// Socket.IO packet types, numbered as on the wire.
const (
	PacketConnect      PacketType = iota // client: join a namespace; server: accepted
	PacketDisconnect                     // leave a namespace
	PacketEvent                          // ["name", args...]
	PacketAck                            // [args...], answers an event's ack id
	PacketConnectError                   // server → client: CONNECT refused
	PacketBinaryEvent                    // EVENT with binary attachments
	PacketBinaryAck                      // ACK with binary attachments
)

// String returns the protocol's name for t ("CONNECT", "BINARY_EVENT", …)
// or "PacketType(N)".
func (t PacketType) String() string {
	switch t {
	case PacketConnect:
		return "CONNECT"
	case PacketDisconnect:
		return "DISCONNECT"
	case PacketEvent:
		return "EVENT"
	case PacketAck:
		return "ACK"
	case PacketConnectError:
		return "CONNECT_ERROR"
	case PacketBinaryEvent:
		return "BINARY_EVENT"
	case PacketBinaryAck:
		return "BINARY_ACK"
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// Binary reports whether packets of type t are followed by attachments.
func (t PacketType) Binary() bool { return t == PacketBinaryEvent || t == PacketBinaryAck }

// NoID is Packet.ID when a packet carries no ack id.
const NoID int64 = -1

// Packet is one Socket.IO packet in text form:
//
//	<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
//
// A packet from ParsePacket borrows Namespace and Data from the parsed
// bytes: they are valid as long as those are (for a packet read from a
// connection, until the callback that delivered it returns) and must not
// be modified. The Append functions only read them.
type Packet struct {
	Type PacketType
	// Namespace is "/" when the wire form omits it. It never contains ','.
	Namespace []byte
	// ID is the ack id, NoID (-1) when absent.
	ID int64
	// Attachments is the number of binary attachments that follow a
	// BINARY_EVENT or BINARY_ACK (at least 1); 0 for other types.
	Attachments int
	// Data is the JSON payload without surrounding whitespace; empty when
	// the packet has none.
	Data []byte
}

// Errors returned by ParsePacket. All of them match ErrInvalidPacket with
// errors.Is; the reference server answers every one of them by closing the
// whole Engine.IO session (reason "forced close").
var (
	ErrInvalidPacket = errors.New("sio: invalid packet")
	// ErrUnknownType: the first byte is not '0'…'6' (or the packet is empty).
	ErrUnknownType = fmt.Errorf("%w: unknown packet type", ErrInvalidPacket)
	// ErrIllegalAttachments: a binary packet's count is missing, not
	// decimal, zero or not followed by '-'.
	ErrIllegalAttachments = fmt.Errorf("%w: illegal attachments", ErrInvalidPacket)
	// ErrInvalidID: the ack id does not fit in an int64.
	ErrInvalidID = fmt.Errorf("%w: invalid ack id", ErrInvalidPacket)
	// ErrInvalidPayload: the payload is not JSON, or not the shape its
	// packet type requires. The reference reports "invalid payload".
	ErrInvalidPayload = fmt.Errorf("%w: invalid payload", ErrInvalidPacket)
	// ErrReservedEvent: an EVENT named connect, connect_error, disconnect,
	// disconnecting, newListener or removeListener. It matches
	// ErrInvalidPayload too.
	ErrReservedEvent = fmt.Errorf("%w: reserved event name", ErrInvalidPayload)

	errPayloadJSON  = fmt.Errorf("%w: malformed JSON", ErrInvalidPayload)
	errPayloadDepth = fmt.Errorf("%w: JSON nested too deeply", ErrInvalidPayload)
	errPayloadSpace = fmt.Errorf("%w: whitespace before the payload", ErrInvalidPayload)
	errPayloadShape = fmt.Errorf("%w: wrong JSON type for the packet type", ErrInvalidPayload)
	errEventName    = fmt.Errorf("%w: event name is not a string or number", ErrInvalidPayload)
)

// rootNamespace returns "/" in read-only memory: a parsed packet without
// a namespace points there, so parsing allocates nothing.
func rootNamespace() []byte { return unsafe.Slice(unsafe.StringData("/"), 1) }

// maxAttachmentDigits bounds the attachment count's digits (the count
// itself is limited by the receiver, see Assembler).
const maxAttachmentDigits = 9

// ParsePacket decodes one Socket.IO packet in text form (an Engine.IO
// message without its leading '4') and validates it as socket.io-parser
// 4.2.x does:
//
//   - the type is '0'…'6';
//   - BINARY_EVENT and BINARY_ACK carry a decimal attachment count ≥ 1 and
//     '-'; the reference's default limit of 10 is applied by Assembler;
//   - a namespace starts with '/' right after that and runs to the first
//     ',' (or the end of the packet);
//   - an ack id is a run of decimal digits;
//   - the rest, if any, is one well-formed JSON value (trailing whitespace
//     allowed) of the type's shape: CONNECT an object; DISCONNECT none;
//     EVENT and BINARY_EVENT an array whose first element is a number or a
//     string other than the reserved names (compared after unescaping);
//     ACK and BINARY_ACK an array; CONNECT_ERROR an object or a string.
//     As in the reference, every type may come without a payload (an EVENT
//     without one has no name and is best ignored).
//
// Where the reference accepts input only through JavaScript's loose number
// coercion, ParsePacket is stricter and rejects it: an empty packet or a
// whitespace type byte (both read as CONNECT), whitespace where the ack id
// or payload starts (read as ack id 0), an attachment count written as
// " 1", "+1", "1e0", "0x1" or "1.0", and ack ids beyond int64 (made
// inexact floats). No client sends those.
//
// The returned packet aliases b (see Packet). ParsePacket never allocates.
func ParsePacket(b []byte) (Packet, error) {
	if len(b) == 0 || b[0]-'0' > byte(PacketBinaryAck) {
		return Packet{}, ErrUnknownType
	}
	p := Packet{Type: PacketType(b[0] - '0'), Namespace: rootNamespace(), ID: NoID}
	i := 1
	if p.Type.Binary() {
		n, j := 0, i
		for j < len(b) && isDigit(b[j]) && j-i < maxAttachmentDigits {
			n = n*10 + int(b[j]-'0')
			j++
		}
		if j == i || j >= len(b) || b[j] != '-' || n < 1 {
			return Packet{}, ErrIllegalAttachments
		}
		p.Attachments = n
		i = j + 1
	}
	if i < len(b) && b[i] == '/' {
		j := i + 1
		for j < len(b) && b[j] != ',' {
			j++
		}
		p.Namespace = b[i:j]
		if j < len(b) {
			j++ // the comma
		}
		i = j
	}
	if i < len(b) && isDigit(b[i]) {
		var id int64
		for ; i < len(b) && isDigit(b[i]); i++ {
			d := int64(b[i] - '0')
			if id > (math.MaxInt64-d)/10 {
				return Packet{}, ErrInvalidID
			}
			id = id*10 + d
		}
		p.ID = id
	}
	if i == len(b) {
		return p, nil
	}
	data := b[i:]
	if isWS(data[0]) {
		return Packet{}, errPayloadSpace
	}
	n, err := skipValue(data, 0)
	if err != nil {
		if err == ErrJSONDepth {
			return Packet{}, errPayloadDepth
		}
		return Packet{}, errPayloadJSON
	}
	if skipWS(data, n) != len(data) {
		return Packet{}, errPayloadJSON
	}
	p.Data = data[:n]
	if err := checkPayload(p.Type, p.Data); err != nil {
		return Packet{}, err
	}
	return p, nil
}

// checkPayload checks the JSON type of a well-formed, trimmed payload.
func checkPayload(t PacketType, data []byte) error {
	c := data[0]
	switch t {
	case PacketConnect:
		if c == '{' {
			return nil
		}
	case PacketConnectError:
		if c == '{' || c == '"' {
			return nil
		}
	case PacketAck, PacketBinaryAck:
		if c == '[' {
			return nil
		}
	case PacketEvent, PacketBinaryEvent:
		if c == '[' {
			return checkEventName(data)
		}
	}
	return errPayloadShape
}

// checkEventName checks the first element of a well-formed EVENT array.
func checkEventName(data []byte) error {
	i := skipWS(data, 1)
	switch c := data[i]; {
	case c == '"':
		end, escaped, _ := scanString(data, i+1)
		if isReservedEvent(data[i:end], escaped) {
			return ErrReservedEvent
		}
		return nil
	case c == '-' || isDigit(c):
		return nil
	}
	return errEventName // ']' (empty array), object, array, bool or null
}

// isReservedEvent reports whether the JSON string raw names an event that
// only the library may emit.
func isReservedEvent(raw []byte, escaped bool) bool {
	if !escaped {
		return isReservedName(raw[1 : len(raw)-1])
	}
	// A reserved name has at most 14 ASCII characters, each at most 6
	// bytes when escaped; decode shorter strings on the stack.
	if len(raw) > 2+6*14 {
		return false
	}
	var buf [6 * 14]byte
	name, err := AppendUnquote(buf[:0], raw)
	return err == nil && isReservedName(name)
}

func isReservedName(name []byte) bool {
	switch string(name) {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}

// AppendPacketHeader appends everything of p's text form that precedes
// the payload: the type, the attachment count and '-' (binary types), the
// namespace and ',' (omitted for "" and "/"), and the ack id (unless
// negative). p is not retained.
func AppendPacketHeader(dst []byte, p *Packet) []byte {
	return appendHeader(dst, p.Type, p.Attachments, p.Namespace, p.ID)
}

// AppendPacket appends p's text form: the header, then Data unchanged.
// p is not retained.
func AppendPacket(dst []byte, p *Packet) []byte {
	dst = appendHeader(dst, p.Type, p.Attachments, p.Namespace, p.ID)
	return append(dst, p.Data...)
}

func appendHeader[S ~string | ~[]byte](dst []byte, t PacketType, attachments int, nsp S, id int64) []byte {
	dst = append(dst, '0'+byte(t))
	if t.Binary() {
		dst = strconv.AppendInt(dst, int64(attachments), 10)
		dst = append(dst, '-')
	}
	if len(nsp) > 0 && (len(nsp) != 1 || nsp[0] != '/') {
		dst = append(dst, nsp...)
		dst = append(dst, ',')
	}
	if id >= 0 {
		dst = strconv.AppendInt(dst, id, 10)
	}
	return dst
}

// EventName returns the event name of an EVENT payload (the first element
// of the array, as ParsePacket accepted it). A JSON string without escapes
// is returned without allocating: name then aliases data. A string with
// escapes is decoded into a new slice. A number is returned as JavaScript
// names it (1, 1.5, 100 for 1e2: Node's event emitter turns numbers into
// such strings), aliasing data when it is written that way already.
// EventName checks the brackets and the name, not the other elements.
func EventName(data []byte) (name []byte, err error) { return AppendEventName(nil, data) }

// AppendEventName is EventName that decodes an escaped string or formats
// a number into dst (name is then the part of the result appended to dst)
// instead of a new slice.
func AppendEventName(dst, data []byte) (name []byte, err error) {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil, errPayloadShape
	}
	i = skipWS(data, i+1)
	if i >= len(data) {
		return nil, errPayloadJSON
	}
	start := i
	switch c := data[i]; {
	case c == '"':
		end, escaped, err := scanString(data, i+1)
		if err != nil {
			return nil, errPayloadJSON
		}
		i = end
		if escaped {
			n := len(dst)
			if dst, err = AppendUnquote(dst, data[start:end]); err != nil {
				return nil, errPayloadJSON
			}
			name = dst[n:]
		} else {
			name = data[start+1 : end-1]
		}
	case c == '-' || isDigit(c):
		end, err := scanNumber(data, i)
		if err != nil {
			return nil, errPayloadJSON
		}
		i = end
		name = data[start:end]
		if !isJSInteger(name) {
			f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(name), len(name)), 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, errPayloadJSON
			}
			n := len(dst)
			dst = appendJSName(dst, f)
			name = dst[n:]
		}
	default:
		return nil, errEventName
	}
	if i = skipWS(data, i); i >= len(data) || (data[i] != ',' && data[i] != ']') {
		return nil, errPayloadJSON
	}
	return name, nil
}

// isJSInteger reports whether a JSON number is written exactly as
// JavaScript prints its value: an integer without leading zeros, sign of
// zero or exponent, small enough to be exact.
func isJSInteger(num []byte) bool {
	d := num
	if d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 15 || (d[0] == '0' && (len(d) > 1 || len(num) > 1)) {
		return false
	}
	for _, c := range d {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// appendJSName writes f as JavaScript's String(f), which differs from
// JSON.stringify only for ±Infinity (1e400 in JSON) and NaN (not JSON).
func appendJSName(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	return appendJSNumber(dst, f, 64)
}
