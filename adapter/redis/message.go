package redis

import (
	"errors"
	"strconv"

	"github.com/sioloop/sioloop/internal/msgpack"
)

// Broadcast is one broadcast as the Node.js redis adapter publishes it:
// msgpack [uid, {type:2, data:[event, ...args], nsp}, {rooms, except,
// flags}], on channel K#<nsp># (or K#<nsp>#<room># for a single room).
type Broadcast struct {
	UID string // the publishing node ("emitter" for @socket.io/redis-emitter)
	Nsp string
	// Data is the packet's data as Socket.IO JSON: [event, ...args], with
	// binary attachments as placeholders numbering Attachments.
	Data        []byte
	Attachments [][]byte
	Rooms       []string
	Except      []string
	Volatile    bool
	// Compress is the compress flag when set (nil: not set).
	Compress *bool
}

var errBroadcast = errors.New("redis: not a broadcast message")

// AppendBroadcast appends b as the Node adapter encodes it:
// [uid, packet, opts].
func AppendBroadcast(dst []byte, b *Broadcast) ([]byte, error) {
	dst = msgpack.AppendArrayHeader(dst, 3)
	dst = msgpack.AppendStr(dst, b.UID)
	dst, err := appendPacket(dst, b)
	if err != nil {
		return nil, err
	}
	return appendOpts(dst, b, 0), nil
}

// appendPacket appends {type: 2, data, nsp} (the Node adapter's key order).
func appendPacket(dst []byte, b *Broadcast) ([]byte, error) {
	dst = msgpack.AppendMapHeader(dst, 3)
	dst = msgpack.AppendStr(dst, "type")
	dst = msgpack.AppendInt(dst, 2)
	dst = msgpack.AppendStr(dst, "data")
	var err error
	if dst, err = AppendMsgpack(dst, b.Data, b.Attachments); err != nil {
		return nil, err
	}
	dst = msgpack.AppendStr(dst, "nsp")
	return msgpack.AppendStr(dst, b.Nsp), nil
}

// appendOpts appends {rooms, except, flags}; timeout (ms, 0: none) is the
// flag of a broadcast with acks.
func appendOpts(dst []byte, b *Broadcast, timeout int64) []byte {
	dst = msgpack.AppendMapHeader(dst, 3)
	dst = msgpack.AppendStr(dst, "rooms")
	dst = appendStrings(dst, b.Rooms)
	dst = msgpack.AppendStr(dst, "except")
	dst = appendStrings(dst, b.Except)
	dst = msgpack.AppendStr(dst, "flags")
	n := 0
	for _, on := range []bool{b.Volatile, b.Compress != nil, timeout > 0} {
		if on {
			n++
		}
	}
	dst = msgpack.AppendMapHeader(dst, n)
	if b.Volatile {
		dst = msgpack.AppendBool(msgpack.AppendStr(dst, "volatile"), true)
	}
	if b.Compress != nil {
		dst = msgpack.AppendBool(msgpack.AppendStr(dst, "compress"), *b.Compress)
	}
	if timeout > 0 {
		dst = msgpack.AppendInt(msgpack.AppendStr(dst, "timeout"), timeout)
	}
	return dst
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = msgpack.AppendArrayHeader(dst, len(ss))
	for _, s := range ss {
		dst = msgpack.AppendStr(dst, s)
	}
	return dst
}

// ParseBroadcast decodes a broadcast message (any map key order, unknown
// keys skipped; a missing nsp is "/", as the Node adapter reads it).
func ParseBroadcast(m []byte) (*Broadcast, error) {
	n, m, err := msgpack.ArrayLen(m)
	if err != nil || n != 3 {
		return nil, errBroadcast
	}
	b := &Broadcast{Nsp: "/"}
	if b.UID, m, err = readStr(m); err != nil {
		return nil, errBroadcast
	}
	if m, err = parsePacket(m, b); err != nil {
		return nil, errBroadcast
	}
	if _, err = parseOpts(m, b); err != nil {
		return nil, errBroadcast
	}
	return b, nil
}

// parsePacket reads the packet map into b.
func parsePacket(m []byte, b *Broadcast) ([]byte, error) {
	m, err := mapEach(m, func(k string, v []byte) ([]byte, error) {
		switch k {
		case "data":
			var err error
			b.Data, v, err = AppendJSON(nil, v, &b.Attachments)
			return v, err
		case "nsp":
			var err error
			b.Nsp, v, err = readStr(v)
			return v, err
		case "type":
			t, v, err := AppendJSON(nil, v, new([][]byte))
			if err == nil && string(t) != "2" {
				err = errBroadcast
			}
			return v, err
		}
		return skip(v)
	})
	if err != nil || len(b.Data) == 0 || b.Data[0] != '[' {
		return nil, errBroadcast
	}
	return m, nil
}

// parseOpts reads the options map into b.
func parseOpts(m []byte, b *Broadcast) ([]byte, error) {
	return mapEach(m, func(k string, v []byte) ([]byte, error) {
		var err error
		switch k {
		case "rooms":
			b.Rooms, v, err = readStrings(v)
			return v, err
		case "except":
			b.Except, v, err = readStrings(v)
			return v, err
		case "flags":
			return mapEach(v, func(name string, v []byte) ([]byte, error) {
				val, v, err := AppendJSON(nil, v, new([][]byte))
				switch on := string(val) == "true"; name {
				case "volatile":
					b.Volatile = on
				case "compress":
					b.Compress = &on
				}
				return v, err
			})
		}
		return skip(v)
	})
}

// Request types of the Node adapter (its RequestType enum).
const (
	reqSockets = iota
	reqAllRooms
	reqRemoteJoin
	reqRemoteLeave
	reqRemoteDisconnect
	reqRemoteFetch
	reqServerSideEmit
	reqBroadcast
	reqBroadcastClientCount
	reqBroadcastAck
)

// AppendAckRequest appends a broadcast with acks, a msgpack request:
// {uid, requestId, type: 7, packet, opts} with flags.timeout in ms.
func AppendAckRequest(dst []byte, b *Broadcast, requestID string, timeoutMs int64) ([]byte, error) {
	dst = msgpack.AppendMapHeader(dst, 5)
	dst = msgpack.AppendStr(msgpack.AppendStr(dst, "uid"), b.UID)
	dst = msgpack.AppendStr(msgpack.AppendStr(dst, "requestId"), requestID)
	dst = msgpack.AppendInt(msgpack.AppendStr(dst, "type"), reqBroadcast)
	dst, err := appendPacket(msgpack.AppendStr(dst, "packet"), b)
	if err != nil {
		return nil, err
	}
	return appendOpts(msgpack.AppendStr(dst, "opts"), b, timeoutMs), nil
}

// msgpackRequest is a msgpack request or response: a broadcast with acks
// (type 7: UID, RequestID, Broadcast) or an acknowledgement (type 9:
// RequestID, Ack and AckAttachments, the JSON of the answer).
type msgpackRequest struct {
	Type           int
	UID, RequestID string
	Broadcast      Broadcast
	Ack            []byte
	AckAttachments [][]byte
}

var errRequest = errors.New("redis: malformed request")

// parseMsgpackRequest decodes a msgpack request or response map.
func parseMsgpackRequest(m []byte) (*msgpackRequest, error) {
	r := &msgpackRequest{Type: -1}
	r.Broadcast.Nsp = "/"
	var packet []byte
	_, err := mapEach(m, func(k string, v []byte) ([]byte, error) {
		var err error
		switch k {
		case "uid":
			r.UID, v, err = readStr(v)
		case "requestId":
			r.RequestID, v, err = readStr(v)
		case "type":
			var t []byte
			if t, v, err = AppendJSON(nil, v, new([][]byte)); err == nil {
				r.Type, err = strconv.Atoi(string(t))
			}
		case "packet": // decoded below, by type
			rest, err := skip(v)
			packet = v[:len(v)-len(rest)]
			return rest, err
		case "opts":
			v, err = parseOpts(v, &r.Broadcast)
		default:
			v, err = skip(v)
		}
		return v, err
	})
	if err != nil || r.Type < 0 || r.RequestID == "" || packet == nil {
		return nil, errRequest
	}
	switch r.Type {
	case reqBroadcast:
		_, err = parsePacket(packet, &r.Broadcast)
	case reqBroadcastAck:
		r.Ack, _, err = AppendJSON(nil, packet, &r.AckAttachments)
	default:
		err = errRequest
	}
	if err != nil {
		return nil, errRequest
	}
	r.Broadcast.UID = r.UID
	return r, nil
}

// AppendAckResponse appends one acknowledgement of a broadcast with acks:
// {type: 9, requestId, packet: answer}, answer being the JSON of the
// client's first ack argument (placeholders for atts).
func AppendAckResponse(dst []byte, requestID string, answer []byte, atts [][]byte) ([]byte, error) {
	dst = msgpack.AppendMapHeader(dst, 3)
	dst = msgpack.AppendInt(msgpack.AppendStr(dst, "type"), reqBroadcastAck)
	dst = msgpack.AppendStr(msgpack.AppendStr(dst, "requestId"), requestID)
	dst = msgpack.AppendStr(dst, "packet")
	if len(answer) == 0 {
		return msgpack.AppendNil(dst), nil
	}
	return AppendMsgpack(dst, answer, atts)
}

// mapEach calls fn with each key of the msgpack map at the start of m and
// what follows the key; fn consumes the value and returns what follows it.
func mapEach(m []byte, fn func(key string, v []byte) ([]byte, error)) ([]byte, error) {
	n, m, err := msgpack.MapLen(m)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		var k string
		if k, m, err = readStr(m); err != nil {
			return nil, err
		}
		if m, err = fn(k, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// skip passes over one value.
func skip(m []byte) ([]byte, error) {
	_, rest, err := AppendJSON(nil, m, new([][]byte))
	return rest, err
}

func readStr(m []byte) (string, []byte, error) {
	var n int
	var err error
	switch {
	case len(m) == 0:
		return "", nil, errMsgpack
	case m[0]&0xe0 == 0xa0:
		n, m = int(m[0]&0x1f), m[1:]
	case m[0] >= 0xd9 && m[0] <= 0xdb:
		if n, m, err = msgpack.Length(m[1:], 1<<(m[0]-0xd9)); err != nil {
			return "", nil, err
		}
	default:
		return "", nil, errMsgpack
	}
	if len(m) < n {
		return "", nil, errMsgpack
	}
	return string(m[:n]), m[n:], nil
}

func readStrings(m []byte) ([]string, []byte, error) {
	n, m, err := msgpack.ArrayLen(m)
	if err != nil {
		return nil, nil, err
	}
	out := make([]string, 0, min(n, len(m)))
	for i := 0; i < n; i++ {
		var s string
		if s, m, err = readStr(m); err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	return out, m, nil
}
