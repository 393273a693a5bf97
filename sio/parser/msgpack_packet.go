package parser

import (
	"fmt"

	"github.com/sioloop/sioloop/internal/msgpack"
)

// The socket.io-msgpack-parser wire format (npm socket.io-msgpack-parser
// 3.0, an alternative to the default parser that both ends must use): each
// Socket.IO packet is one binary Engine.IO message holding a msgpack map
// {type, nsp, data, id} as notepack.io 2.2 writes it. Only the types
// CONNECT to CONNECT_ERROR exist: binary values travel inline as bin, with
// no BINARY_EVENT/BINARY_ACK and no attachments. Unknown keys (the Node
// client adds "options") are ignored.
//
// sioloop keeps its one internal form: ParseMsgpackPacket gives the packet
// in text form (Data is Socket.IO JSON, binary values are placeholders for
// the attachments it returns) and AppendMsgpackPacket writes a text-form
// packet and its attachments as the msgpack map.

// Errors of ParseMsgpackPacket beyond ErrInvalidMsgpack; all of them match
// ErrInvalidPacket (socket.io-msgpack-parser's decoder throws for them and
// the server closes the session).
var (
	errMsgpackNotMap = fmt.Errorf("%w: msgpack packet is not a map", ErrInvalidPacket)
	errMsgpackType   = fmt.Errorf("%w: invalid packet type", ErrInvalidPacket)
	errMsgpackNsp    = fmt.Errorf("%w: invalid namespace", ErrInvalidPacket)
	errMsgpackID     = fmt.Errorf("%w: invalid packet id", ErrInvalidPacket)
	errMsgpackRest   = fmt.Errorf("%w: bytes after the msgpack packet", ErrInvalidPacket)
)

// ParseMsgpackPacket decodes one socket.io-msgpack-parser packet m (one
// binary Engine.IO message), checking it as that parser's decoder does
// (type 0–4, nsp a string, data absent or an object for CONNECT, absent for
// DISCONNECT, a string or an object for CONNECT_ERROR, an array for EVENT
// and ACK, id absent or an integer), and the payload as ParsePacket does
// (an EVENT's name, reserved names). Data is appended to buf as Socket.IO
// JSON with a placeholder for each binary value (bin, or notepack's
// ArrayBuffer extension), whose bytes, copied, are appended to atts. The
// packet's Namespace aliases m, its Data the returned buffer.
func ParseMsgpackPacket(m, buf []byte, atts [][]byte) (p Packet, outBuf []byte, outAtts [][]byte, err error) {
	n, rest, err := msgpack.MapLen(m)
	if err != nil {
		return Packet{}, buf, atts, errMsgpackNotMap
	}
	p.ID = NoID
	typ := int64(-1)
	var nsp, data []byte
	hasNsp := false
	for i := 0; i < n; i++ {
		key, after, err := msgpack.ReadStr(rest)
		if err != nil {
			// A non-string key names no field of the packet.
			if after, err = msgpack.Skip(rest, msgpackMaxDepth); err != nil {
				return Packet{}, buf, atts, ErrInvalidMsgpack
			}
			key = nil
		}
		val := after
		if rest, err = msgpack.Skip(val, msgpackMaxDepth); err != nil {
			return Packet{}, buf, atts, ErrInvalidMsgpack
		}
		val = val[:len(val)-len(rest)]
		if msgpack.IsUndefined(val) {
			val = nil // a JavaScript property set to undefined: absent
		}
		switch string(key) {
		case "type":
			typ = -1
			if val != nil {
				if v, r, err := msgpack.ReadInt(val); err == nil && len(r) == 0 {
					typ = v
				}
			}
		case "nsp":
			hasNsp = false
			if msgpack.IsStr(val) {
				nsp, _, _ = msgpack.ReadStr(val)
				hasNsp = true
			}
		case "data":
			data = val
		case "id":
			p.ID = NoID
			if val != nil {
				v, r, err := msgpack.ReadInt(val)
				if err != nil || len(r) != 0 || v < 0 {
					return Packet{}, buf, atts, errMsgpackID
				}
				p.ID = v
			}
		}
	}
	if len(rest) != 0 {
		return Packet{}, buf, atts, errMsgpackRest
	}
	if typ < int64(PacketConnect) || typ > int64(PacketConnectError) {
		return Packet{}, buf, atts, errMsgpackType
	}
	if !hasNsp {
		return Packet{}, buf, atts, errMsgpackNsp
	}
	p.Type, p.Namespace = PacketType(typ), nsp
	isMap := len(data) > 0 && (data[0]&0xf0 == 0x80 || data[0] == 0xde || data[0] == 0xdf)
	isArray := len(data) > 0 && (data[0]&0xf0 == 0x90 || data[0] == 0xdc || data[0] == 0xdd)
	ok := false
	switch p.Type {
	case PacketConnect:
		ok = data == nil || isMap
	case PacketDisconnect:
		ok = data == nil
	case PacketConnectError:
		ok = isMap || msgpack.IsStr(data)
	default:
		ok = isArray
	}
	if !ok {
		return Packet{}, buf, atts, errPayloadShape
	}
	if data == nil {
		return p, buf, atts, nil
	}
	start, natts := len(buf), len(atts)
	if buf, _, err = msgpackToJSON(buf, data, &atts, 0); err != nil {
		return Packet{}, buf[:start], atts[:natts], err
	}
	p.Data = buf[start:]
	p.Attachments = len(atts) - natts
	if err := checkPayload(p.Type, p.Data); err != nil {
		return Packet{}, buf[:start], atts[:natts], err
	}
	return p, buf, atts, nil
}

// AppendMsgpackPacket appends the socket.io-msgpack-parser form of p, a
// packet in text form whose Data refers to atts by placeholders: the map
// {type, nsp, data, id} (data left out when empty, id when NoID), a
// BINARY_EVENT or BINARY_ACK written as EVENT or ACK with its binary values
// inline. The Namespace is written as it is ("/" for the main one).
func AppendMsgpackPacket(dst []byte, p *Packet, atts [][]byte) ([]byte, error) {
	t := p.Type
	switch t {
	case PacketBinaryEvent:
		t = PacketEvent
	case PacketBinaryAck:
		t = PacketAck
	}
	n := 2
	if len(p.Data) > 0 {
		n++
	}
	if p.ID >= 0 {
		n++
	}
	start := len(dst)
	dst = msgpack.AppendMapHeader(dst, n)
	dst = append(dst, 0xa4, 't', 'y', 'p', 'e', byte(t))
	dst = append(dst, 0xa3, 'n', 's', 'p')
	nsp := p.Namespace
	if len(nsp) == 0 {
		nsp = rootNamespace()
	}
	dst = msgpack.AppendStrBytes(dst, nsp)
	if len(p.Data) > 0 {
		dst = append(dst, 0xa4, 'd', 'a', 't', 'a')
		var err error
		if dst, err = AppendMsgpack(dst, p.Data, atts); err != nil {
			return dst[:start], err
		}
	}
	if p.ID >= 0 {
		dst = append(dst, 0xa2, 'i', 'd')
		dst = msgpack.AppendInt(dst, p.ID)
	}
	return dst, nil
}
