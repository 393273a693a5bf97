// Package parser is the Socket.IO protocol 5 packet codec, shared by the
// server (package sio), the Go client and siobench: ParsePacket validates
// like socket.io-parser 4.2 without allocating; AppendEvent/AppendAck
// encode arguments the way JSON.stringify writes them, with []byte (and
// Binary) values as binary attachments behind placeholders; SkipValue and
// ArrayIter scan JSON without decoding it; Assembler puts a binary packet
// back together from its attachments. ParseMsgpackPacket and
// AppendMsgpackPacket read and write the socket.io-msgpack-parser 3.0 wire
// format in terms of that same text form, on the msgpack ⇄ JSON
// transcoder (AppendMsgpack, AppendMsgpackJSON) the Redis adapter uses
// too. Returned slices alias the input unless a function says otherwise.
package parser
