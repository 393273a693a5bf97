// Package redis will be the Redis adapter of sioloop, wire-compatible with
// the Node.js @socket.io/redis-adapter 8.3 (classic pub/sub) so that Go and
// Node.js nodes can serve one cluster. This first part is its codec: the
// Node adapter publishes broadcasts as msgpack (as the notepack.io library
// writes it) where sioloop holds packets as Socket.IO JSON text plus binary
// attachments, so every broadcast crossing Redis is transcoded once, in
// each direction, by the transcoder of package sio/parser (shared with the
// socket.io-msgpack-parser wire format):
//
//   - JSON → msgpack: objects → maps (key order kept), arrays → arrays,
//     strings → str, integers that fit → the smallest int form, other
//     numbers → float64, true/false/null, and an attachment placeholder
//     {"_placeholder":true,"num":i} → bin (the attachment's bytes);
//   - msgpack → JSON: the reverse, bin → a placeholder and an attachment,
//     the timestamp extension (a JavaScript Date) → its ISO 8601 string, as
//     Node's JSON serialisation would send it to a client.
package redis

import (
	"github.com/sioloop/sioloop/internal/msgpack"
	"github.com/sioloop/sioloop/sio/parser"
)

// errMsgpack: a message that is not the msgpack the Node adapter writes.
var errMsgpack = msgpack.ErrInvalid

// AppendMsgpack appends the msgpack form of the JSON value v; a binary
// attachment placeholder {"_placeholder":true,"num":i} becomes bin(atts[i])
// (parser.AppendMsgpack).
func AppendMsgpack(dst, v []byte, atts [][]byte) ([]byte, error) {
	return parser.AppendMsgpack(dst, v, atts)
}

// AppendJSON appends the JSON form of the msgpack value at the start of m
// and returns what follows it; each bin becomes a placeholder and its bytes
// are appended to *atts (parser.AppendMsgpackJSON).
func AppendJSON(dst, m []byte, atts *[][]byte) (json, rest []byte, err error) {
	return parser.AppendMsgpackJSON(dst, m, atts)
}
