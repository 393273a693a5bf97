package client

import (
	"bytes"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio/parser"
)

// Parser selects the wire format of Socket.IO packets (Options.Parser), as
// the official client's parser option. It must be the server's.
type Parser uint8

const (
	// ParserDefault is the Socket.IO protocol's own format: a text
	// message per packet, binary values as attachments after it.
	ParserDefault Parser = iota
	// ParserMsgpack is the format of the npm package
	// socket.io-msgpack-parser 3.0, for servers created with it (Node's
	// new Server({parser}), sioloop's sio.ParserMsgpack): one binary
	// message per packet, a msgpack map with binary values inline.
	ParserMsgpack
)

// msgpackPacket writes the text-form packet text with its attachments as
// one msgpack binary message.
func msgpackPacket(text []byte, atts [][]byte) (eio.Packet, error) {
	p, err := parser.ParsePacket(text)
	if err != nil {
		return eio.Packet{}, err
	}
	b, err := parser.AppendMsgpackPacket(nil, &p, atts)
	if err != nil {
		return eio.Packet{}, err
	}
	return eio.Packet{Type: eio.PacketMessage, Binary: true, Data: b}, nil
}

// msgpackData decodes one message of a ParserMsgpack connection and
// dispatches it (its bytes copied: data aliases the transport's buffer).
func (m *Manager) msgpackData(data []byte, binary bool) {
	if !binary {
		m.onclose(ReasonParseError, parser.ErrUnexpectedText)
		return
	}
	p, _, atts, err := parser.ParseMsgpackPacket(data, nil, nil)
	if err != nil {
		m.onclose(ReasonParseError, err)
		return
	}
	p.Namespace = bytes.Clone(p.Namespace)
	m.dispatch(&p, atts)
}
