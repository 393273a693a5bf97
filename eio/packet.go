package eio

import (
	"errors"
	"fmt"
	"strconv"
)

// PacketType is an Engine.IO packet type. In text form it is sent as one
// ASCII digit ('0' + type) in front of the packet data.
type PacketType byte

// Engine.IO packet types, numbered as on the wire.
const (
	PacketOpen    PacketType = iota // server → client handshake (JSON)
	PacketClose                     // either side: close the session
	PacketPing                      // v4: server → client; v3: client → server
	PacketPong                      // answer to a ping; "3probe" during upgrade
	PacketMessage                   // application data (text or binary)
	PacketUpgrade                   // client → server: completes an upgrade
	PacketNoop                      // server → client: ends a pending poll

	numPacketTypes = 7
)

// String returns the name the Engine.IO protocol uses for t ("open",
// "message", …), or "PacketType(N)" for an unknown value.
func (t PacketType) String() string {
	switch t {
	case PacketOpen:
		return "open"
	case PacketClose:
		return "close"
	case PacketPing:
		return "ping"
	case PacketPong:
		return "pong"
	case PacketMessage:
		return "message"
	case PacketUpgrade:
		return "upgrade"
	case PacketNoop:
		return "noop"
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// Packet is one Engine.IO packet.
//
// Binary marks a binary message: its Type is always PacketMessage and Data
// holds the raw bytes. A packet returned by a Parse or Next function borrows
// its Data from the input buffer (see each function); an Append function only
// reads Data and does not retain it.
type Packet struct {
	Type   PacketType
	Binary bool // binary message; only with PacketMessage
	Data   []byte
}

// Errors returned by the decoders. Every decoding error matches
// ErrInvalidPacket or ErrInvalidPayload with errors.Is; the reference server
// answers all of them by closing the session with reason "parse error".
var (
	// ErrInvalidPacket: an empty packet, an unknown type, or a binary
	// packet whose base64 (or v3 type byte) is malformed.
	ErrInvalidPacket = errors.New("eio: invalid packet")
	// ErrInvalidPayload: the framing of a polling payload is malformed
	// (v3 length prefixes and markers).
	ErrInvalidPayload = errors.New("eio: invalid payload")
	// ErrEmptyPayload: a v3 payload holds no packet at all (an empty body,
	// or only zero-length "0:" records). The reference server reports a
	// parse error for an empty body but silently ignores "0:". It matches
	// ErrInvalidPayload with errors.Is.
	ErrEmptyPayload = fmt.Errorf("%w: no packet", ErrInvalidPayload)

	errEmptyPacket  = fmt.Errorf("%w: empty", ErrInvalidPacket)
	errPacketType   = fmt.Errorf("%w: unknown type", ErrInvalidPacket)
	errPacketBase64 = fmt.Errorf("%w: bad base64", ErrInvalidPacket)
)

// ParsePacket decodes one Engine.IO v4 packet as carried by one WebSocket
// message.
//
// With binary set (a binary frame), the whole of b is the data of a binary
// message: v4 sends no type byte. Otherwise b is a text packet: a type digit
// followed by the data; or, as the reference parser also accepts, 'b'
// followed by the standard padded base64 of a binary message, which is then
// decoded in place (b is overwritten).
//
// The returned Data aliases b and is valid as long as b is. ParsePacket does
// not validate UTF-8; the WebSocket layer does that for text frames.
func ParsePacket(b []byte, binary bool) (Packet, error) {
	if binary {
		return Packet{Type: PacketMessage, Binary: true, Data: b}, nil
	}
	return parseTextPacket(b)
}

// parseTextPacket decodes a v4 text packet: type digit + data, or 'b' +
// base64 (decoded in place).
func parseTextPacket(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, errEmptyPacket
	}
	c := b[0]
	if c == 'b' {
		n, ok := decodeBase64InPlace(b[1:])
		if !ok {
			return Packet{}, errPacketBase64
		}
		return Packet{Type: PacketMessage, Binary: true, Data: b[1 : 1+n]}, nil
	}
	t := PacketType(c - '0')
	if t >= numPacketTypes {
		return Packet{}, errPacketType
	}
	return Packet{Type: t, Data: b[1:]}, nil
}

// AppendPacket appends the WebSocket form of p to dst and returns the
// extended slice. A text packet is its type digit followed by Data (send it
// in a text frame); a binary message is Data unchanged (send it in a binary
// frame). p.Data is only read. p.Type must be a valid type unless p.Binary
// is set, in which case it is ignored.
func AppendPacket(dst []byte, p Packet) []byte {
	if p.Binary {
		return append(dst, p.Data...)
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...)
}
