// Package wsframe implements RFC 6455 WebSocket framing as functions over
// byte slices: parse frame headers and whole messages in place in the
// caller's inbound buffer, and append server (or client) frames to a
// caller-owned destination buffer. It does no I/O and imports no networking
// package of its own; the event loop (and the Go client) feed it bytes.
// Opcodes and status codes are github.com/gobwas/ws types.
//
// # Stateless functions
//
// ParseHeader, HeaderSize, AppendHeader, AppendFrame, AppendClientFrame,
// AppendClose, ParseClose, ValidCloseCode and Unmask keep no state and may be
// called from any goroutine. The Parse functions neither copy nor allocate
// (except to build an error for bad input); the Append functions allocate
// only when dst must grow, so encoding into a reused buffer allocates nothing.
//
// # Decoder
//
// Decoder is the per-connection reader: it reassembles fragmented messages,
// passes control frames through (also between fragments) and fails the
// connection on any protocol violation with a *CloseError that carries the
// close code to send:
//
//	1002  unmasked frame on the server side (masked on the client side),
//	      RSV bits set (no extension is negotiated), reserved opcode,
//	      fragmented control frame or control payload over 125 bytes,
//	      continuation without an open message or a new data frame inside
//	      one, 64-bit length with its top bit set, close payload of 1 byte
//	      or with a status code that may not be sent
//	1007  text message (also reassembled) or close reason not valid UTF-8
//	1008  a fragmented message of more frames than Decoder.MaxFragments
//	1009  message (or the sum of its fragments) over Decoder.MaxMessage,
//	      decided from the frame header, before the payload arrives
//
// The decoder is small (a few words, see its fields); it holds a buffer only
// while a fragmented message is being reassembled and until that message has
// been handed out. It must be used from one goroutine at a time: the
// connection's event loop.
//
// # Who owns which bytes, and for how long
//
//   - b passed to ParseHeader and ParseClose: owned by the caller, only read.
//     ParseClose's reason aliases its payload argument.
//   - b passed to Decoder.Next: owned by the caller (typically gnet's inbound
//     buffer, via Peek). Next unmasks the frames it consumes in place, in
//     b[:n], and never touches b[n:]. The caller discards b[:n] and keeps the
//     rest for the next call.
//   - Message.Payload of an unfragmented data message or a control frame:
//     aliases b, valid until the caller discards or reuses those bytes
//     (for gnet: until Discard, or the return from OnTraffic). Copy it to
//     keep it longer.
//   - Message.Payload of a reassembled fragmented message: aliases the
//     Decoder's buffer, valid until the next call to Next or Reset.
//   - dst passed to the Append functions: owned by the caller; the returned
//     slice replaces it (it may be a new array when dst had to grow). The
//     payload argument is copied, never retained or modified.
//   - p passed to Unmask: modified in place, not retained.
//
// Nothing in the package keeps a reference to a caller's slice after the
// call returns, and there is no package-level mutable state.
package wsframe
