package loop

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/wsframe"
)

// Large units that arrive slowly.
//
// A WebSocket frame or a request body is parsed when all of it is there.
// Left in gnet's inbound buffer while it arrives, a large one costs twice:
// every read copies the whole of it again (gnet's Peek joins its ring
// buffer and the new bytes into one slice), which makes a frame sent in
// 300-byte writes quadratic in CPU, and the ring buffer grows by doubling
// next to that copy, which made a stalled 990 KB frame hold ~4 MB.
//
// Instead, once the header of a unit says it needs more than partialMin
// bytes that have not arrived, the connection takes what it has out of
// gnet into chunks of its own (partial) and appends each read's bytes to
// them: every byte is copied once on arrival, and memory is what arrived
// rounded up to a chunk. When the unit is complete, the chunks are joined
// once and parsed as if the unit had arrived in one read.
//
// Config.MaxPartialInput bounds the bytes all connections hold in such
// chunks. Past it, the connection holding the most is closed (WebSocket
// 1013 "try again later", HTTP 503) and its chunks freed.

// partialMin: units needing fewer bytes than this stay in gnet's buffer
// (re-copying them is cheap). A variable for the tests' before/after.
var partialMin = 64 << 10

const (
	// partialChunk is the size of the chunks a partial unit is kept in.
	partialChunk = 64 << 10
	// defaultMaxPartialInput is Config.MaxPartialInput's default.
	defaultMaxPartialInput = 256 << 20
)

// statusTryAgainLater is the WebSocket close code of an evicted unit.
const statusTryAgainLater ws.StatusCode = 1013

// errPartialBudget is what Engine.IO is told when a connection is closed
// for Config.MaxPartialInput.
var errPartialBudget = errors.New("loop: partial input over the server's budget (Config.MaxPartialInput)")

// partial is a unit being received by a connection (conn.part).
type partial struct {
	need    int      // bytes of the whole unit
	have    int      // bytes held in chunks
	chunks  [][]byte // each of capacity partialChunk (the last one partly filled)
	evicted atomic.Bool
	// counted: the chunks' capacity counted in partials.bytes; taken back
	// (Swap(0)) by whoever releases it first, the evictor or the owner.
	counted atomic.Int64
}

// partials is the server's account of the connections holding partial
// units (few at any time).
type partials struct {
	bytes atomic.Int64
	mu    sync.Mutex
	conns map[*conn]struct{}
	// evictions counts the connections closed for the budget.
	evictions atomic.Int64
}

// need reports how many bytes the unit at the start of b needs in all
// when that is known and large enough to be kept in chunks (0 if not).
// Loop goroutine, right after a parse that asked for more.
func (c *conn) partialNeed(b []byte) int {
	switch c.state {
	case stWS:
		h, hn, err := wsframe.ParseHeader(b)
		if err != nil || h.OpCode.IsControl() {
			return 0
		}
		need := int64(hn) + h.Length
		if need < int64(partialMin) || need <= int64(len(b)) {
			return 0
		}
		return int(need)
	case stHTTP:
		req := &c.l.req // as the parse that asked for more left it
		if req.HeaderLen == 0 || req.Chunked || req.ContentLength <= 0 {
			return 0
		}
		need := int64(req.HeaderLen) + req.ContentLength
		if need < int64(partialMin) || need <= int64(len(b)) || need > c.l.srv.lim.MaxBody+int64(req.HeaderLen) {
			return 0
		}
		return int(need)
	}
	return 0
}

// startPartial moves b, the start of a unit of need bytes, into chunks.
// False when the budget refused it (the connection is closing).
func (c *conn) startPartial(b []byte, need int) bool {
	s := c.l.srv
	s.parts.mu.Lock()
	c.part = &partial{need: need}
	if s.parts.conns == nil {
		s.parts.conns = make(map[*conn]struct{})
	}
	s.parts.conns[c] = struct{}{}
	s.parts.mu.Unlock()
	return c.feedPartial(b)
}

// feedPartial appends b (no more than the unit still needs) to the chunks.
func (c *conn) feedPartial(b []byte) bool {
	p := c.part
	s := c.l.srv
	for len(b) > 0 {
		last := len(p.chunks) - 1
		if last < 0 || len(p.chunks[last]) == cap(p.chunks[last]) {
			if p.evicted.Load() {
				return false
			}
			size := min(partialChunk, p.need-p.have)
			if s.parts.bytes.Add(int64(size)) > s.cfg.MaxPartialInput && !s.evictLargest(c) {
				s.parts.bytes.Add(-int64(size))
				return false
			}
			p.counted.Add(int64(size))
			p.chunks = append(p.chunks, make([]byte, 0, size))
			last++
		}
		ch := p.chunks[last]
		k := min(len(b), cap(ch)-len(ch))
		p.chunks[last] = append(ch, b[:k]...)
		p.have += k
		b = b[k:]
	}
	return true
}

// evictLargest closes the connection holding the most partial input to
// make room for c's next chunk. False when that is c itself.
func (s *Server) evictLargest(c *conn) bool {
	s.parts.mu.Lock()
	var big *conn
	for o := range s.parts.conns {
		if o.part.evicted.Load() {
			continue
		}
		if big == nil || o.part.need > big.part.need {
			big = o
		}
	}
	if big == nil || big == c {
		s.parts.mu.Unlock()
		return false
	}
	big.part.evicted.Store(true)
	s.parts.bytes.Add(-big.part.counted.Swap(0)) // freed as it closes
	s.parts.mu.Unlock()
	s.parts.evictions.Add(1)
	if big.gc.Wake(nil) != nil {
		_ = big.gc.Close()
	}
	return true
}

// takePartial returns the complete unit in one slice and forgets the
// chunks.
func (c *conn) takePartial() []byte {
	p := c.part
	unit := make([]byte, 0, p.need)
	for _, ch := range p.chunks {
		unit = append(unit, ch...)
	}
	c.dropPartial()
	return unit
}

// dropPartial frees the chunks and leaves the budget.
func (c *conn) dropPartial() {
	p := c.part
	if p == nil {
		return
	}
	s := c.l.srv
	s.parts.mu.Lock()
	c.part = nil
	delete(s.parts.conns, c)
	s.parts.mu.Unlock()
	s.parts.bytes.Add(-p.counted.Swap(0))
}

// refusePartial ends a connection whose partial unit the budget refused
// or evicted.
func (c *conn) refusePartial() gnet.Action {
	c.dropPartial()
	switch c.state {
	case stWS:
		c.Close(statusTryAgainLater)
		c.rstop = true
		if h := c.wsh; h != nil {
			c.wsh = nil
			h.OnClose(c, errPartialBudget)
		}
		return gnet.None
	default:
		c.mu.Lock()
		c.pending = true
		c.mu.Unlock()
		c.Respond(&eio.Response{Status: http.StatusServiceUnavailable, ContentType: "text/plain; charset=utf-8", Body: []byte("server busy"), Close: true})
		c.rstop = true
		return gnet.None
	}
}

// PartialInput reports the bytes all connections hold in incomplete large
// frames and bodies, and how many connections were closed because that
// passed Config.MaxPartialInput.
func (s *Server) PartialInput() (bytes int64, evicted int64) {
	return s.parts.bytes.Load(), s.parts.evictions.Load()
}
