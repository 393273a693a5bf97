package interop

import (
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// A raw WebSocket client on top of rawConn: the upgrade request is written
// by hand (fixed key, deflate offered like real clients), client frames are
// built with gobwas/ws and masked with a fixed key, server frames are read
// by hand so that their exact header bytes can be compared.

// ---- WebSocket ----

const wsKey = "dGhlIHNhbXBsZSBub25jZQ==" // accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
const wsAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

// wsUpgradeHeaders are the headers the golden client sends (an offer of
// permessage-deflate included, like real clients).
var wsUpgradeHeaders = []hdr{
	{"Connection", "Upgrade"},
	{"Upgrade", "websocket"},
	{"Sec-WebSocket-Version", "13"},
	{"Sec-WebSocket-Key", wsKey},
	{"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"},
}

var wsMask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

type wsConn struct {
	*rawConn
	Resp *rawResponse
}

// frame is one server frame with its exact header bytes.
type frame struct {
	Header  []byte
	Fin     bool
	Rsv     byte
	Op      ws.OpCode
	Masked  bool
	Payload []byte
}

func (f frame) String() string {
	switch f.Op {
	case ws.OpText:
		return "text " + render(f.Payload)
	case ws.OpBinary:
		return fmt.Sprintf("binary %x", clip(string(f.Payload), 64))
	case ws.OpClose:
		return "close " + closeString(f.Payload)
	}
	return fmt.Sprintf("op %d %x", f.Op, f.Payload)
}

func closeString(p []byte) string {
	if len(p) < 2 {
		return "(no status code)"
	}
	return fmt.Sprintf("code=%d reason=%q", binary.BigEndian.Uint16(p), p[2:])
}

// dialWS sends an upgrade request for query on /engine.io/ and reads the
// response (which may be a refusal).
func (tg *Target) dialWS(t testing.TB, query string, extra ...hdr) *wsConn {
	t.Helper()
	rc := dialRaw(t, tg.Addr)
	rc.send("GET", eioPath(query), append(append([]hdr{}, wsUpgradeHeaders...), extra...), nil)
	// A refusal may carry a body to EOF; a 101 has none.
	r := rc.mustResponse(ioTimeout)
	return &wsConn{rawConn: rc, Resp: r}
}

// openWS dials a direct WebSocket session and returns it with its open packet.
func (tg *Target) openWS(t testing.TB) (*wsConn, openPacket) {
	t.Helper()
	w := tg.dialWS(t, "EIO=4&transport=websocket")
	if w.Resp.Status != 101 {
		t.Fatalf("%s: WebSocket handshake: %s", tg.Kind, w.Resp)
	}
	f := w.mustFrame(ioTimeout)
	if f.Op != ws.OpText {
		t.Fatalf("%s: first frame %v, want the open packet", tg.Kind, f)
	}
	return w, parseOpen(t, string(f.Payload))
}

func (w *wsConn) sendFrame(op ws.OpCode, p []byte) {
	w.t.Helper()
	f := ws.NewFrame(op, true, append([]byte(nil), p...))
	f = ws.MaskFrameInPlaceWith(f, wsMask)
	b, err := ws.CompileFrame(f)
	if err != nil {
		w.t.Fatalf("compile frame: %v", err)
	}
	w.write(b)
}

func (w *wsConn) sendText(s string)   { w.t.Helper(); w.sendFrame(ws.OpText, []byte(s)) }
func (w *wsConn) sendBinary(b []byte) { w.t.Helper(); w.sendFrame(ws.OpBinary, b) }

// sendClose sends a close frame with a status code (0: no status code).
func (w *wsConn) sendClose(code ws.StatusCode) {
	w.t.Helper()
	var p []byte
	if code != 0 {
		p = ws.NewCloseFrameBody(code, "")
	}
	w.sendFrame(ws.OpClose, p)
}

// readFrame reads one server frame within timeout.
func (w *wsConn) readFrame(timeout time.Duration) (frame, error) {
	w.c.SetReadDeadline(time.Now().Add(timeout))
	defer w.c.SetReadDeadline(time.Time{})
	var f frame
	h := make([]byte, 2, 14)
	if _, err := io.ReadFull(w.br, h); err != nil {
		return f, err
	}
	f.Fin = h[0]&0x80 != 0
	f.Rsv = (h[0] >> 4) & 7
	f.Op = ws.OpCode(h[0] & 0x0f)
	f.Masked = h[1]&0x80 != 0
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		ext := make([]byte, 2)
		if _, err := io.ReadFull(w.br, ext); err != nil {
			return f, err
		}
		h = append(h, ext...)
		n = uint64(binary.BigEndian.Uint16(ext))
	case 127:
		ext := make([]byte, 8)
		if _, err := io.ReadFull(w.br, ext); err != nil {
			return f, err
		}
		h = append(h, ext...)
		n = binary.BigEndian.Uint64(ext)
	}
	var mask []byte
	if f.Masked {
		mask = make([]byte, 4)
		if _, err := io.ReadFull(w.br, mask); err != nil {
			return f, err
		}
		h = append(h, mask...)
	}
	if n > 64<<20 {
		return f, fmt.Errorf("frame length %d", n)
	}
	f.Header = h
	f.Payload = make([]byte, n)
	if _, err := io.ReadFull(w.br, f.Payload); err != nil {
		return f, err
	}
	if f.Masked {
		ws.Cipher(f.Payload, [4]byte(mask), 0)
	}
	return f, nil
}

func (w *wsConn) mustFrame(timeout time.Duration) frame {
	w.t.Helper()
	f, err := w.readFrame(timeout)
	if err != nil {
		w.t.Fatalf("read frame: %v", err)
	}
	return f
}

// nextFrame reads the next frame, answering and skipping heartbeat pings
// ("2"), so that slow steps do not trip over the 300 ms ping interval.
func (w *wsConn) nextFrame(timeout time.Duration) frame {
	w.t.Helper()
	for {
		f := w.mustFrame(timeout)
		if f.Op == ws.OpText && string(f.Payload) == "2" {
			w.sendText("3")
			continue
		}
		return f
	}
}

// expectText reads the next frame (skipping pings unless want is the ping)
// and checks it is the text want.
func (w *wsConn) expectText(want string, timeout time.Duration) frame {
	w.t.Helper()
	var f frame
	if want == "2" {
		f = w.mustFrame(timeout)
	} else {
		f = w.nextFrame(timeout)
	}
	if f.Op != ws.OpText || string(f.Payload) != want {
		w.t.Fatalf("got frame %v, want text %s", f, render([]byte(want)))
	}
	return f
}

// expectCloseFrame reads the next frame, checks it is a close frame with the
// given code (0: without status code), answers it like a browser would and
// checks that TCP is closed afterwards.
func (w *wsConn) expectCloseFrame(code int, timeout time.Duration) {
	w.t.Helper()
	w.expectClose(code, timeout, true)
}

// expectCloseReply is expectCloseFrame for the server's answer to a close
// frame the client sent first (no answer to the answer).
func (w *wsConn) expectCloseReply(code int, timeout time.Duration) {
	w.t.Helper()
	w.expectClose(code, timeout, false)
}

func (w *wsConn) expectClose(code int, timeout time.Duration, reply bool) {
	w.t.Helper()
	f := w.nextFrame(timeout)
	if f.Op != ws.OpClose {
		w.t.Fatalf("got frame %v, want a close frame", f)
	}
	got := 0
	if len(f.Payload) >= 2 {
		got = int(binary.BigEndian.Uint16(f.Payload))
	}
	if got != code {
		w.t.Errorf("close frame %s, want %s", closeString(f.Payload), closeCodeString(code))
	}
	// Answer like the golden client (and any browser): a close frame with
	// the same status code. The server may already have closed TCP.
	if reply {
		w.replyClose(f.Payload)
	}
	if rest := w.expectClosed(2*time.Second, "after the close frame"); len(rest) > 0 {
		w.t.Errorf("bytes after the close frame: %q", clip(string(rest), 200))
	}
	// The server half-closed (FIN); close our side like a real client does
	// (the reference keeps the session until its socket is fully closed).
	w.c.Close()
}

// replyClose answers a server close frame, ignoring write errors.
func (w *wsConn) replyClose(payload []byte) {
	var p []byte
	if len(payload) >= 2 {
		p = append(p, payload[:2]...)
	}
	f := ws.MaskFrameInPlaceWith(ws.NewFrame(ws.OpClose, true, p), wsMask)
	if b, err := ws.CompileFrame(f); err == nil {
		w.c.SetWriteDeadline(time.Now().Add(time.Second))
		w.c.Write(b)
	}
}

func closeCodeString(code int) string {
	if code == 0 {
		return "(no status code)"
	}
	return fmt.Sprintf("code=%d", code)
}

// expectNoFrame checks that nothing arrives for d.
func (w *wsConn) expectNoFrame(d time.Duration, what string) {
	w.t.Helper()
	w.expectPending(d, what)
}
