package wsframe_test

import (
	"errors"
	"fmt"

	"github.com/gobwas/ws"
	"github.com/sioloop/sioloop/wsframe"
)

// A server's read path: the event loop hands over the bytes received so far,
// Next consumes complete messages, and the unconsumed rest waits for more.
func ExampleDecoder_Next() {
	mask := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	var wire []byte
	wire = wsframe.AppendClientFrame(wire, ws.OpText, []byte("4hello"), mask)
	wire = wsframe.AppendClientFrame(wire, ws.OpPing, []byte("hi"), mask)
	wire = wsframe.AppendClientFrame(wire, ws.OpBinary, []byte{1, 2, 3}, mask)

	d := wsframe.Decoder{MaxMessage: 1_000_000}
	inbound := wire[:len(wire)-2] // the last frame has not fully arrived yet
	for {
		m, n, err := d.Next(inbound)
		inbound = inbound[n:] // discard what was consumed
		if errors.Is(err, wsframe.ErrNeedMore) {
			fmt.Printf("waiting, %d bytes kept\n", len(inbound))
			break
		}
		var ce *wsframe.CloseError
		if errors.As(err, &ce) {
			fmt.Println("fail the connection with code", ce.Code)
			break
		}
		fmt.Printf("%v %q\n", m.Op, m.Payload)
	}
	// Output:
	// 1 "4hello"
	// 9 "hi"
	// waiting, 7 bytes kept
}

// A protocol violation carries the close code to send.
func ExampleCloseError() {
	var d wsframe.Decoder
	_, _, err := d.Next([]byte{0x81, 0x02, '4', 'x'}) // unmasked frame from a client
	var ce *wsframe.CloseError
	if errors.As(err, &ce) {
		fmt.Printf("% x\n", wsframe.AppendClose(nil, ce.Code, ""))
	}
	// Output: 88 02 03 ea
}

// Server frames are appended to a caller-owned buffer, which can be reused.
func ExampleAppendFrame() {
	buf := make([]byte, 0, 64)
	buf = wsframe.AppendFrame(buf[:0], ws.OpText, []byte("4hello"))
	fmt.Printf("% x\n", buf)
	buf = wsframe.AppendClose(buf[:0], 0, "") // close without status code
	fmt.Printf("% x\n", buf)
	// Output:
	// 81 06 34 68 65 6c 6c 6f
	// 88 00
}

// To encode a payload first and put the header in front without moving it,
// reserve MaxHeaderSize bytes and write the header right before the payload.
func ExampleAppendHeader() {
	buf := make([]byte, wsframe.MaxHeaderSize, 256)
	buf = append(buf, "42[\"event\"]"...) // encoded in place
	plen := len(buf) - wsframe.MaxHeaderSize
	off := wsframe.MaxHeaderSize - wsframe.HeaderSize(plen, false)
	wsframe.AppendHeader(buf[off:off], wsframe.Header{Fin: true, OpCode: ws.OpText, Length: int64(plen)})
	frame := buf[off:]
	fmt.Printf("% x | %s\n", frame[:2], frame[2:])
	// Output: 81 0b | 42["event"]
}

func ExampleParseClose() {
	code, reason, err := wsframe.ParseClose([]byte("\x03\xe8bye"))
	fmt.Println(code, string(reason), err)
	// Output: 1000 bye <nil>
}
