package sio

import "github.com/sioloop/sioloop/sio/parser"

// The Socket.IO packet codec lives in package sio/parser (shared with the
// Go client, which must not pull in the server); these aliases keep the
// names users of this package see.

type (
	// Packet is a decoded Socket.IO packet (see parser.Packet).
	Packet = parser.Packet
	// PacketType is a Socket.IO packet type.
	PacketType = parser.PacketType
	// RawJSON is an argument written unchanged (it must be valid JSON).
	RawJSON = parser.RawJSON
	// Binary is a []byte that travels as a binary attachment even as a
	// struct field.
	Binary = parser.Binary
)

// Socket.IO packet types.
const (
	PacketConnect      = parser.PacketConnect
	PacketDisconnect   = parser.PacketDisconnect
	PacketEvent        = parser.PacketEvent
	PacketAck          = parser.PacketAck
	PacketConnectError = parser.PacketConnectError
	PacketBinaryEvent  = parser.PacketBinaryEvent
	PacketBinaryAck    = parser.PacketBinaryAck
)
