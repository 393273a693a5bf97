package wsframe

import (
	"strconv"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"
)

// DefaultMaxFragments is the default Decoder.MaxFragments: far more frames
// than any client splits a message into (browsers send one).
const DefaultMaxFragments = 1024

// maxInt is the largest message a Decoder can hold when MaxMessage is 0.
const maxInt = int64(^uint(0) >> 1)

// Message is one complete WebSocket message or control frame.
//
// Op is ws.OpText, ws.OpBinary, ws.OpClose, ws.OpPing or ws.OpPong, never
// ws.OpContinuation. Payload is unmasked; see Decoder.Next for what it
// aliases and how long it stays valid. A close payload has passed ParseClose.
type Message struct {
	Op      ws.OpCode
	Payload []byte
}

// Decoder reads messages from one connection's inbound byte stream, enforcing
// RFC 6455 (see the package documentation for the rules and close codes).
//
// The zero value is a server-side decoder with no message size limit: client
// frames must be masked. Set the exported fields before the first call to
// Next and do not change them afterwards.
//
// A Decoder is owned by one connection and is not safe for concurrent use:
// call its methods only on that connection's event loop (or, in a client,
// from its one reader goroutine). It holds no buffer until a fragmented
// message arrives and returns that buffer (to Pool, if set) once the message
// has been delivered, so an idle decoder costs only its own few words.
type Decoder struct {
	// MaxMessage is the largest message payload accepted, in bytes; for a
	// fragmented message it bounds the sum of the fragments. A frame that
	// would exceed it fails with code 1009 as soon as its header is read.
	// 0 means no limit.
	MaxMessage int

	// Pool, if not nil, supplies the buffers that reassemble fragmented
	// messages; a buffer goes back to it on the call after the message was
	// delivered, or on Reset. Without a Pool a buffer is allocated per
	// fragmented message and left to the garbage collector.
	Pool *bytebufferpool.Pool

	// Client makes this a client-side decoder: frames must not be masked.
	Client bool

	// MaxFragments bounds the frames of one fragmented message (0:
	// DefaultMaxFragments). The frame past it fails with code 1008 as soon
	// as its first header byte arrives: a peer cannot make the server
	// handle 100,000 one-byte frames for one message. (uint16 keeps the
	// decoder, which every connection holds, at 40 bytes.)
	MaxFragments uint16

	op    ws.OpCode // opcode of the open fragmented message; 0 when none
	done  bool      // frag holds the message delivered by the last call
	nfrag uint16    // frames of the open fragmented message
	valid int       // leading bytes of frag known to be valid UTF-8 (text only)
	frag  *bytebufferpool.ByteBuffer
}

// Next parses from b and returns the next complete message and the number of
// bytes of b consumed (which the caller then discards). It never consumes
// more than len(b) bytes and never modifies b[n:].
//
// Payload ownership:
//   - An unfragmented data message or a control frame: Payload aliases b,
//     unmasked in place, and is valid until the caller discards or reuses
//     those bytes. Its capacity ends with the payload, so appending to it
//     copies rather than overwriting the following frame.
//   - A reassembled fragmented message: Payload aliases the decoder's buffer
//     (capacity capped too) and is valid until the next call to Next or
//     Reset.
//
// When b holds no complete message, Next returns ErrNeedMore; n may still be
// positive, because complete fragments are consumed (copied into the
// decoder's buffer and unmasked in b) as they arrive. The caller keeps
// b[n:], appends newly received bytes and calls again. Control frames
// interleaved in a fragmented message are returned as they come.
//
// A protocol violation returns a *CloseError carrying the close code to send;
// the connection must then be failed. After an error, n and the decoder's
// state are unspecified until Reset. Only the connection's event loop may
// call Next.
func (d *Decoder) Next(b []byte) (m Message, n int, err error) {
	if d.done {
		d.release()
	}
	for {
		p := b[n:]
		if len(p) < 2 {
			return m, n, ErrNeedMore
		}
		if err = d.checkStart(p[0], p[1]); err != nil {
			return m, n, err
		}
		var h Header
		var hn int
		if h, hn, err = ParseHeader(p); err != nil {
			return m, n, err
		}
		if h.OpCode.IsData() {
			if err = d.checkLength(h); err != nil {
				return m, n, err
			}
		}
		if h.Length > int64(len(p)-hn) {
			return m, n, ErrNeedMore
		}
		end := hn + int(h.Length)
		payload := p[hn:end:end]
		if h.Masked {
			Unmask(payload, h.Mask, 0)
		}
		n += end

		switch {
		case h.OpCode.IsControl():
			if h.OpCode == ws.OpClose {
				if _, _, err = ParseClose(payload); err != nil {
					return m, n, err
				}
			}
			return Message{Op: h.OpCode, Payload: payload}, n, nil
		case h.Fin && h.OpCode != ws.OpContinuation:
			if h.OpCode == ws.OpText && !utf8.Valid(payload) {
				return m, n, errInvalidUTF8()
			}
			return Message{Op: h.OpCode, Payload: payload}, n, nil
		}

		if h.OpCode != ws.OpContinuation {
			d.op = h.OpCode
			d.nfrag = 0
		}
		d.nfrag++
		if err = d.appendFragment(payload, h.Fin); err != nil {
			return m, n, err
		}
		if h.Fin {
			m.Op = d.op
			if d.frag != nil {
				m.Payload = d.frag.B[:len(d.frag.B):len(d.frag.B)]
			}
			d.op = 0
			d.done = true
			return m, n, nil
		}
	}
}

// Reset drops any buffered fragments (returning the buffer to Pool, if set)
// and readies the decoder for a new stream; the configuration fields are
// kept. A Payload from a reassembled message is invalid afterwards. Call it
// when the connection closes. Only the connection's event loop may call it.
func (d *Decoder) Reset() {
	d.release()
	d.op = 0
	d.nfrag = 0
}

// checkStart applies every rule that the first two header bytes decide, so a
// violation is reported before the rest of the header arrives.
func (d *Decoder) checkStart(b0, b1 byte) error {
	if b0&bitsRsv != 0 {
		return closeErr(ws.StatusProtocolError, "RSV bits set but no extension negotiated")
	}
	switch op := ws.OpCode(b0 & bitsOp); op {
	case ws.OpContinuation:
		if d.op == 0 {
			return closeErr(ws.StatusProtocolError, "continuation frame without a fragmented message")
		}
		limit := uint16(DefaultMaxFragments)
		if d.MaxFragments != 0 {
			limit = d.MaxFragments
		}
		if d.nfrag >= limit {
			return closeErr(ws.StatusPolicyViolation, "too many fragments")
		}
	case ws.OpText, ws.OpBinary:
		if d.op != 0 {
			return closeErr(ws.StatusProtocolError, "data frame inside a fragmented message")
		}
	case ws.OpClose, ws.OpPing, ws.OpPong:
		if b0&bitFin == 0 {
			return closeErr(ws.StatusProtocolError, "fragmented control frame")
		}
		if b1&bitsLen7 > ws.MaxControlFramePayloadSize {
			return closeErr(ws.StatusProtocolError, "control frame payload over 125 bytes")
		}
	default:
		return closeErr(ws.StatusProtocolError, "reserved opcode "+strconv.Itoa(int(op)))
	}
	if masked := b1&bitMask != 0; masked == d.Client {
		if d.Client {
			return closeErr(ws.StatusProtocolError, "masked frame from the server")
		}
		return closeErr(ws.StatusProtocolError, "unmasked frame from the client")
	}
	return nil
}

// checkLength fails a data frame whose message would exceed the limit.
func (d *Decoder) checkLength(h Header) error {
	limit := maxInt
	if d.MaxMessage > 0 {
		limit = int64(d.MaxMessage)
	}
	var buffered int64
	if h.OpCode == ws.OpContinuation && d.frag != nil {
		buffered = int64(len(d.frag.B))
	}
	if h.Length > limit-buffered {
		return closeErr(ws.StatusMessageTooBig, "message exceeds the size limit")
	}
	return nil
}

// appendFragment copies an unmasked fragment into the reassembly buffer and,
// for text, validates UTF-8 as far as the fragments received allow, so an
// invalid message fails without waiting for its last fragment.
func (d *Decoder) appendFragment(p []byte, fin bool) error {
	if len(p) > 0 {
		if d.frag == nil {
			d.frag = d.getBuffer()
		}
		d.frag.B = append(d.frag.B, p...)
	}
	if d.op != ws.OpText || d.frag == nil {
		return nil
	}
	buf := d.frag.B
	end := len(buf)
	if !fin {
		end = d.valid + completeUTF8(buf[d.valid:])
	}
	if !utf8.Valid(buf[d.valid:end]) {
		return errInvalidUTF8()
	}
	d.valid = end
	return nil
}

func (d *Decoder) getBuffer() *bytebufferpool.ByteBuffer {
	if d.Pool == nil {
		return new(bytebufferpool.ByteBuffer)
	}
	bb := d.Pool.Get()
	bb.B = bb.B[:0]
	return bb
}

func (d *Decoder) release() {
	if d.frag != nil && d.Pool != nil {
		d.Pool.Put(d.frag)
	}
	d.frag = nil
	d.done = false
	d.valid = 0
}

// completeUTF8 returns the length of p without a trailing incomplete UTF-8
// sequence (a start byte followed by fewer continuation bytes than it needs,
// all in the valid ranges), which the next fragment may complete. Whatever
// cannot become valid is left in, for utf8.Valid to reject.
func completeUTF8(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-(utf8.UTFMax-1); i-- {
		c := p[i]
		if c < utf8.RuneSelf {
			return len(p)
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(p[i:]) {
				return len(p)
			}
			return i
		}
	}
	return len(p)
}

func errInvalidUTF8() *CloseError {
	return closeErr(ws.StatusInvalidFramePayloadData, "text message is not valid UTF-8")
}
