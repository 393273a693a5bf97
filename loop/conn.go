package loop

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/bytebufferpool"
	"golang.org/x/sys/unix"

	"github.com/sioloop/sioloop/broadcast"
	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/timer"
	"github.com/sioloop/sioloop/wsframe"
)

// evloop is sioloop's share of one gnet event loop: the connections with
// pending output. Writes for a connection are appended to its buffer from
// any goroutine; the loop writes each dirty connection once at the end of
// a pass (an OnTraffic/OnClose callback or a posted task), so all frames
// queued for one connection in that pass leave in one write(2).
type evloop struct {
	srv       *Server
	el        gnet.EventLoop
	flushTask gnet.Runnable
	inPass    atomic.Bool

	mu    sync.Mutex
	dirty []*conn
	spare []*conn // loop goroutine only

	req Request // parse scratch; loop goroutine only

	// loop goroutine only: writev scratch, and the references to shared
	// frames written during a flush, dropped together at its end (one
	// atomic per Frames instead of one per connection).
	iov     [][]byte
	written []frameRefs
	hint    int

	writes atomic.Int64 // write(2)/writev(2) calls of flushes (Server.Writes)
}

type frameRefs struct {
	f *broadcast.Frames
	n int32
}

// drop counts a reference to f written by this loop. Loop goroutine.
// Connections of one broadcast hold the same frames in the same order, so
// the search starts after the last match.
func (l *evloop) drop(f *broadcast.Frames) {
	w := l.written
	i := l.hint
	for range w {
		if i++; i >= len(w) {
			i = 0
		}
		if w[i].f == f {
			w[i].n++
			l.hint = i
			return
		}
	}
	l.written = append(w, frameRefs{f, 1})
	l.hint = len(l.written) - 1
}

// dropWritten releases the references counted by drop.
func (l *evloop) dropWritten() {
	for i, r := range l.written {
		r.f.ReleaseN(r.n)
		l.written[i] = frameRefs{}
	}
	l.written = l.written[:0]
}

// markDirty queues c for the next flush of its loop. Any goroutine.
func (l *evloop) markDirty(c *conn) {
	l.mu.Lock()
	l.dirty = append(l.dirty, c)
	first := len(l.dirty) == 1
	l.mu.Unlock()
	if first {
		l.wake()
	}
}

// wake makes the loop flush its dirty list soon: inside a pass the loop
// flushes when the pass ends; otherwise post one task (one per loop per
// batch, not per connection). The pass flag is cleared before the final
// flush, so one of the two always sees what was queued. Call it only when
// the list went from empty to non-empty.
func (l *evloop) wake() {
	if l.inPass.Load() {
		return
	}
	if err := l.el.Execute(context.Background(), l.flushTask); err != nil {
		l.srv.logf("loop: execute: %v", err)
	}
}

// Schedule implements broadcast.Loop: the connections were queued by
// Enqueue with their dirty mark taken. Any goroutine.
func (l *evloop) Schedule(conns []broadcast.Conn) {
	if len(conns) == 0 {
		return
	}
	l.mu.Lock()
	first := len(l.dirty) == 0
	for _, bc := range conns {
		l.dirty = append(l.dirty, bc.(*conn))
	}
	l.mu.Unlock()
	if first {
		l.wake()
	}
}

// endPass ends a loop pass: clear the flag, then flush.
func (l *evloop) endPass() {
	l.inPass.Store(false)
	l.flush()
}

// flush writes every dirty connection. Loop goroutine only.
func (l *evloop) flush() {
	l.mu.Lock()
	list := l.dirty
	l.dirty = l.spare[:0]
	l.mu.Unlock()
	for i, c := range list {
		c.flush()
		list[i] = nil
	}
	l.spare = list[:0]
	l.dropWritten()
}

type connState uint8

const (
	stHTTP connState = iota
	stWS
	stClosed
)

// conn is the state of one TCP connection. Fields marked "loop" are touched
// only on the connection's event loop; the rest are guarded by mu.
type conn struct {
	gc gnet.Conn
	l  *evloop

	// loop
	state   connState
	rstop   bool // stop reading (protocol error): bytes are discarded
	started bool // the current POST was announced (RequestStarted)
	linger  bool // half-closed after a refusal, draining input (see lingerClose)
	// expired: the header or idle deadline passed (set by OnTimer on the
	// timer goroutine, acted on by the loop in onTraffic).
	expired atomic.Bool
	skip    int64 // inbound bytes to discard (a refused request's body)
	// arrived: when the first bytes of the first request reached the
	// kernel (Unix ns; see arrivedAt), until that request is dispatched;
	// then 0 (eio.Request.Arrived).
	arrived int64
	dec     wsframe.Decoder
	wsh     eio.WSHandler
	route   *Route
	tm      timer.Node
	part    *partial // a large frame or body being received (partial.go)

	// backlog is what gnet still holds for the kernel after the last
	// flush (read on the loop, used by writers anywhere).
	backlog atomic.Int32

	// Pending output, in write order: held, then shared, then out.
	mu         sync.Mutex
	dirty      bool
	closing    bool              // close after the pending output; drop later writes
	slow       bool              // closing because the output passed MaxOutbound
	pending    bool              // a request awaits its response
	keepAlive  bool              // of the pending request
	dispatched bool              // Respond called while the loop dispatches
	held       *heldOutput       // runs of own bytes and large shared frames
	shared     *broadcast.Frames // a broadcast's frames, by reference, when nothing else was pending
	out        *bytebufferpool.ByteBuffer
	abort      eio.PollAbortHandler
}

// heldOutput is pending output that holds shared broadcast frames by
// reference: sealed runs of the connection's own bytes and shared Frames,
// in order, written with one writev before the connection's out buffer.
type heldOutput struct {
	segs  []heldSeg
	bytes int
}

type heldSeg struct {
	own    *bytebufferpool.ByteBuffer
	shared *broadcast.Frames
}

var heldPool = sync.Pool{New: func() any { return new(heldOutput) }}

// release drops the references (through drop) and returns h to its pool.
func (h *heldOutput) release(drop func(*broadcast.Frames)) {
	for i, sg := range h.segs {
		if sg.own != nil {
			bytebufferpool.Put(sg.own)
		} else {
			drop(sg.shared)
		}
		h.segs[i] = heldSeg{}
	}
	h.segs = h.segs[:0]
	h.bytes = 0
	heldPool.Put(h)
}

// fitsLocked reports whether n more bytes of output stay within
// MaxOutbound. A connection that would pass it is a slow consumer: its
// pending output is dropped and it is closed (the caller marks it dirty).
func (c *conn) fitsLocked(n int) bool {
	n += int(c.backlog.Load())
	if c.out != nil {
		n += len(c.out.B)
	}
	if c.held != nil {
		n += c.held.bytes
	}
	if c.shared != nil {
		n += c.shared.Len()
	}
	if n <= c.l.srv.cfg.MaxOutbound {
		return true
	}
	if c.out != nil {
		c.out.B = c.out.B[:0]
	}
	if c.held != nil {
		c.held.release((*broadcast.Frames).Release)
		c.held = nil
	}
	if c.shared != nil {
		c.shared.Release()
		c.shared = nil
	}
	c.closing = true
	c.slow = true
	return false
}

// appendLocked appends to the output buffer under c.mu (dropped past
// MaxOutbound, see fitsLocked).
func (c *conn) appendLocked(b ...[]byte) {
	n := 0
	for _, p := range b {
		n += len(p)
	}
	if c.fitsLocked(n) {
		if c.out == nil {
			c.out = bytebufferpool.Get()
		}
		for _, p := range b {
			c.out.B = append(c.out.B, p...)
		}
	}
	c.markLocked()
}

// Enqueue implements broadcast.Conn. Any goroutine.
func (c *conn) Enqueue(f *broadcast.Frames, volatile bool) broadcast.Loop {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	if volatile && c.backlog.Load() != 0 {
		// Dropped; a flush re-reads the backlog so the connection is seen
		// writable again once the kernel drained it.
		c.l.srv.volatiles.Add(1)
		return c.claimLocked()
	}
	b := f.Bytes()
	if c.fitsLocked(len(b)) {
		switch {
		case c.held == nil && c.shared == nil && (c.out == nil || len(c.out.B) == 0):
			// Nothing pending (the common case): keep a reference, no
			// buffer, no copy.
			f.Retain()
			c.shared = f
		case len(b) < broadcast.ShareThreshold:
			if c.out == nil {
				c.out = bytebufferpool.Get()
			}
			c.out.B = append(c.out.B, b...)
		default:
			h := c.sealLocked()
			f.Retain()
			h.segs = append(h.segs, heldSeg{shared: f})
			h.bytes += len(b)
		}
	}
	return c.claimLocked()
}

// sealLocked moves the shared frames and the own bytes pending into held
// (kept in order), so that what comes next can follow them in held.
func (c *conn) sealLocked() *heldOutput {
	h := c.held
	if h == nil {
		h = heldPool.Get().(*heldOutput)
		c.held = h
	}
	if c.shared != nil {
		h.segs = append(h.segs, heldSeg{shared: c.shared})
		h.bytes += c.shared.Len()
		c.shared = nil
	}
	if c.out != nil && len(c.out.B) > 0 {
		h.segs = append(h.segs, heldSeg{own: c.out})
		h.bytes += len(c.out.B)
		c.out = nil
	}
	return h
}

// claimLocked takes c's dirty mark for a broadcast.Batch and unlocks c:
// it returns c's loop when the caller must schedule c.
func (c *conn) claimLocked() broadcast.Loop {
	if c.dirty {
		c.mu.Unlock()
		return nil
	}
	c.dirty = true
	c.mu.Unlock()
	return c.l
}

func (c *conn) markLocked() {
	if !c.dirty {
		c.dirty = true
		c.l.markDirty(c)
	}
}

// flush writes the pending output. Loop goroutine only.
func (c *conn) flush() {
	c.mu.Lock()
	buf, held, shared := c.out, c.held, c.shared
	c.out, c.held, c.shared = nil, nil, nil
	c.dirty = false
	closing := c.closing
	// Until the write below tells what gnet kept, count what was taken as
	// held: writers on other goroutines (fitsLocked, Buffered) must not
	// see it vanish in between.
	taken := 0
	if buf != nil {
		taken += len(buf.B)
	}
	if held != nil {
		taken += held.bytes
	}
	if shared != nil {
		taken += shared.Len()
	}
	if taken > 0 {
		c.backlog.Add(int32(taken))
	}
	c.mu.Unlock()
	if c.state != stClosed && taken > 0 {
		c.l.writes.Add(1)
	}
	if c.state != stClosed {
		// gnet copies what the kernel did not take: the references can go
		// right after the write.
		switch {
		case held == nil && shared == nil:
			if buf != nil {
				_, _ = c.gc.Write(buf.B)
			}
		case held == nil && buf == nil:
			_, _ = c.gc.Write(shared.Bytes())
		default:
			c.writev(held, shared, buf)
		}
	}
	if held != nil {
		held.release(c.l.drop)
	}
	if shared != nil {
		c.l.drop(shared)
	}
	if buf != nil {
		bytebufferpool.Put(buf)
	}
	if c.state != stClosed {
		c.backlog.Store(int32(c.gc.OutboundBuffered()))
	}
	if closing && c.state != stClosed && !c.linger && !c.lingerClose() {
		_ = c.gc.Close()
	}
}

// lingerTimeout bounds how long a refused request's connection keeps
// draining its input after the answer (see lingerClose).
const lingerTimeout = time.Second

// lingerClose ends a connection whose peer may still be sending the body
// of a refused request (413, 400 on garbage) the way HTTP servers do: the
// answer is sent and the write side shut, and input is discarded until the
// peer closes or lingerTimeout. Closing at once would answer the peer's
// next bytes with a TCP reset, and a client still writing its body then
// fails the request without reading the answer ("xhr post error (0)"
// instead of 413). It reports false when the connection must be closed
// now: not such a case, or output still queued in gnet.
func (c *conn) lingerClose() bool {
	// A refused HTTP request whose body may still be coming, or a
	// WebSocket the server closes (the peer may still be sending: a close
	// with unread input is a reset, which can lose the frames just sent).
	refused := c.state == stHTTP && (c.rstop || c.skip > 0)
	if !refused && c.state != stWS || c.gc.OutboundBuffered() > 0 {
		return false
	}
	fd := c.gc.Fd()
	if fd < 0 || unix.Shutdown(fd, unix.SHUT_WR) != nil {
		return false
	}
	c.linger, c.rstop, c.skip = true, true, 0
	c.l.srv.wheel.Schedule(&c.tm, lingerTimeout)
	return true
}

// writev writes pending output made of several pieces in one call.
func (c *conn) writev(held *heldOutput, shared *broadcast.Frames, buf *bytebufferpool.ByteBuffer) {
	iov := c.l.iov[:0]
	if held != nil {
		for _, sg := range held.segs {
			if sg.own != nil {
				iov = append(iov, sg.own.B)
			} else {
				iov = append(iov, sg.shared.Bytes())
			}
		}
	}
	if shared != nil {
		iov = append(iov, shared.Bytes())
	}
	if buf != nil {
		iov = append(iov, buf.B)
	}
	_, _ = c.gc.Writev(iov)
	clear(iov)
	c.l.iov = iov[:0]
}

// OnTimer implements timer.Handler: header, idle or upgrade deadlines.
func (c *conn) OnTimer(*timer.Node) {
	c.mu.Lock()
	pending := c.pending
	c.mu.Unlock()
	if !pending {
		// On the loop: a request begun but not finished gets 408 first.
		c.expired.Store(true)
		if c.gc.Wake(nil) != nil {
			_ = c.gc.Close() // safe from any goroutine
		}
	}
}

// resp408 is what Node's server sends a request whose headers did not
// arrive in time.
var resp408 = []byte("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n")

// expire ends a connection whose header or idle deadline passed. Loop
// goroutine.
func (c *conn) expire() gnet.Action {
	c.mu.Lock()
	pending := c.pending
	c.mu.Unlock()
	if pending {
		return gnet.None // answered in between: the deadline was re-armed
	}
	if c.state == stHTTP && !c.rstop && c.gc.InboundBuffered() > 0 {
		_, _ = c.gc.Write(resp408)
	}
	return gnet.Close
}

// closed runs on the loop when gnet closed the connection.
func (c *conn) closed(err error) {
	st := c.state
	c.state = stClosed
	c.l.srv.wheel.Stop(&c.tm)
	c.dec.Reset()
	c.dropPartial()
	c.mu.Lock()
	c.closing = true
	abort := c.abort
	c.abort = nil
	pending := c.pending
	c.pending = false
	slow := c.slow
	c.mu.Unlock()
	if st == stWS && c.wsh != nil {
		h := c.wsh
		c.wsh = nil
		var err error // nil: the peer went away, a clean end for Engine.IO
		if slow {
			err = eio.ErrSlowConsumer
		}
		h.OnClose(c, err)
	}
	_ = pending
	if abort != nil { // a held GET, or a POST whose body was arriving
		abort.PollAborted(c)
	}
}

// onTraffic consumes inbound bytes. Loop goroutine.
func (c *conn) onTraffic() gnet.Action {
	gc := c.gc
	if c.expired.Load() {
		c.expired.Store(false)
		if act := c.expire(); act != gnet.None {
			return act
		}
	}
	if c.state == stClosed || c.rstop {
		_, _ = gc.Discard(-1)
		return gnet.None
	}
	if c.skip > 0 {
		n, _ := gc.Discard(int(min(c.skip, int64(gc.InboundBuffered()))))
		c.skip -= int64(n)
		if c.skip > 0 {
			return gnet.None
		}
	}
	buf, _ := gc.Peek(-1)
	off := 0
	act := gnet.None
	if c.part != nil { // a large unit arriving: see partial.go
		if c.part.evicted.Load() {
			_, _ = gc.Discard(-1)
			return c.refusePartial()
		}
		off = min(len(buf), c.part.need-c.part.have)
		if !c.feedPartial(buf[:off]) {
			_, _ = gc.Discard(-1)
			return c.refusePartial()
		}
		if c.part.have < c.part.need {
			_, _ = gc.Discard(off)
			return gnet.None
		}
		unit := c.takePartial()
		switch c.state {
		case stHTTP:
			_, act = c.serveHTTP(unit)
		case stWS:
			_, act = c.serveWS(unit)
		}
		if c.rstop {
			off = len(buf)
		}
	}
	needMore := false
	for off < len(buf) && act == gnet.None {
		var n int
		switch c.state {
		case stHTTP:
			c.mu.Lock()
			pending := c.pending
			c.mu.Unlock()
			if pending {
				goto done
			}
			n, act = c.serveHTTP(buf[off:])
		case stWS:
			n, act = c.serveWS(buf[off:])
		}
		if c.rstop {
			off = len(buf)
			break
		}
		if n == 0 {
			needMore = true
			break
		}
		off += n
	}
	if needMore && act == gnet.None && !c.rstop {
		if need := c.partialNeed(buf[off:]); need > 0 {
			ok := c.startPartial(buf[off:], need)
			off = len(buf)
			if !ok {
				_, _ = gc.Discard(-1)
				return c.refusePartial()
			}
		}
	}
done:
	if off > 0 {
		_, _ = gc.Discard(off)
	}
	return act
}

// serveWS handles WebSocket frames; returns bytes consumed.
func (c *conn) serveWS(b []byte) (int, gnet.Action) {
	m, n, err := c.dec.Next(b)
	if err != nil {
		if errors.Is(err, wsframe.ErrNeedMore) {
			return n, gnet.None
		}
		var ce *wsframe.CloseError
		if errors.As(err, &ce) {
			c.Close(ce.Code)
		} else {
			c.Close(ws.StatusProtocolError)
		}
		c.rstop = true // stop reading; the TCP close follows the close frame
		h := c.wsh
		c.wsh = nil
		if h != nil {
			h.OnClose(c, err)
		}
		return len(b), gnet.None
	}
	switch m.Op {
	case ws.OpText, ws.OpBinary:
		if c.wsh != nil {
			c.wsh.OnMessage(c, m.Op == ws.OpBinary, m.Payload)
		}
	case ws.OpPing:
		c.WriteFrame(ws.OpPong, nil, m.Payload)
	case ws.OpClose:
		// Echo the peer's code, then close.
		code, _, _ := wsframe.ParseClose(m.Payload)
		c.Close(code)
	}
	return n, gnet.None
}

// --- eio.WSConn ---

// WriteFrame implements eio.WSConn. Any goroutine.
func (c *conn) WriteFrame(op ws.OpCode, a, b []byte) {
	var hb [14]byte
	h := wsframe.AppendHeader(hb[:0], wsframe.Header{Fin: true, OpCode: op, Length: int64(len(a) + len(b))})
	c.mu.Lock()
	if !c.closing {
		c.appendLocked(h, a, b)
	}
	c.mu.Unlock()
}

// WriteRaw implements eio.WSConn. Any goroutine.
func (c *conn) WriteRaw(b []byte) {
	c.mu.Lock()
	if !c.closing {
		c.appendLocked(b)
	}
	c.mu.Unlock()
}

// Close implements eio.WSConn: a close frame after the pending output, then
// the TCP close. Any goroutine.
func (c *conn) Close(code ws.StatusCode) {
	var fb [32]byte
	f := wsframe.AppendClose(fb[:0], code, "")
	c.mu.Lock()
	if !c.closing {
		c.appendLocked(f)
		c.closing = true
	}
	c.mu.Unlock()
}

// Writable implements eio.WSConn: nothing is waiting for the kernel. The
// backlog is read at each flush; when it says "busy", a flush is requested
// so that a drained connection reports writable again soon.
func (c *conn) Writable() bool {
	if c.backlog.Load() == 0 {
		return true
	}
	c.mu.Lock()
	c.markLocked()
	c.mu.Unlock()
	return false
}

// Buffered implements eio.WSConn: what gnet held for the kernel at the
// last flush plus what is pending since. Any goroutine.
func (c *conn) Buffered() int {
	n := int(c.backlog.Load())
	c.mu.Lock()
	if c.out != nil {
		n += len(c.out.B)
	}
	if c.held != nil {
		n += c.held.bytes
	}
	if c.shared != nil {
		n += c.shared.Len()
	}
	c.mu.Unlock()
	return n
}

// SetHandler implements eio.WSConn. Loop goroutine (inside OnMessage).
func (c *conn) SetHandler(h eio.WSHandler) { c.wsh = h }

// RemoteAddr implements eio.WSConn.
func (c *conn) RemoteAddr() net.Addr { return c.gc.RemoteAddr() }

func bytebufferpoolGet() *bytebufferpool.ByteBuffer { return bytebufferpool.Get() }
