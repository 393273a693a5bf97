// Package broadcast is the pre-encoded fan-out of sioloop: a packet sent to
// many connections is encoded once into its final wire bytes (Frames), and
// handed to every recipient by reference or by a short copy, the recipients
// grouped by event loop so that each loop is woken once per batch (Batch).
//
// The package knows nothing of gnet or of sessions: a network layer makes
// its connections Conns and its event loops Loops (package loop does).
package broadcast

import (
	"sync"
	"sync/atomic"

	"github.com/valyala/bytebufferpool"
)

// Frames is one packet's complete wire bytes (WebSocket frames with their
// headers), shared by every recipient and reference-counted: the holder of
// the last reference returns the bytes to the pool.
type Frames struct {
	refs atomic.Int32
	buf  *bytebufferpool.ByteBuffer
}

var (
	framesPool sync.Pool // *Frames
	bytesPool  bytebufferpool.Pool
)

// NewFrames returns empty Frames holding one reference (the caller's).
// Append the wire bytes with Append, then share it; release it with
// Release.
func NewFrames() *Frames {
	f, _ := framesPool.Get().(*Frames)
	if f == nil {
		f = new(Frames)
	}
	f.buf = bytesPool.Get()
	f.refs.Store(1)
	return f
}

// B returns a pointer to the byte slice, for appending before sharing.
func (f *Frames) B() *[]byte { return &f.buf.B }

// Bytes returns the wire bytes. Valid while the caller holds a reference.
func (f *Frames) Bytes() []byte { return f.buf.B }

// Len is the number of wire bytes.
func (f *Frames) Len() int { return len(f.buf.B) }

// Retain adds a reference.
func (f *Frames) Retain() { f.refs.Add(1) }

// Release drops a reference; the last one returns the bytes to the pool.
func (f *Frames) Release() { f.ReleaseN(1) }

// ReleaseN drops n references at once (a loop that wrote f to n
// connections): one atomic operation instead of n.
func (f *Frames) ReleaseN(n int32) {
	switch n := f.refs.Add(-n); {
	case n == 0:
		bytesPool.Put(f.buf)
		f.buf = nil
		framesPool.Put(f)
	case n < 0:
		panic("broadcast: Frames released more often than retained")
	}
}
