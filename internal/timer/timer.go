// Package timer runs every timer of a server on one goroutine: no goroutine
// or time.Timer per connection, and each timer fires at its exact deadline
// (never before it, typically well under a millisecond after it).
//
// Deadlines are kept in nanoseconds in a few sharded 4-ary min-heaps. The
// goroutine sleeps on one runtime timer until the earliest deadline of all
// shards; a Schedule that lowers that deadline wakes it. Nodes are embedded
// in their owners (sessions, connections), so scheduling allocates nothing
// once the heaps have grown to the number of armed timers.
//
// A handler may fire once more after Stop or a reschedule raced with expiry
// (no lock is held while handlers run): owners re-check their own state when
// OnTimer runs.
package timer

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Handler receives expirations. OnTimer runs on the wheel's goroutine and must
// not block: post real work elsewhere.
type Handler interface {
	OnTimer(n *Node)
}

// Node is one timer. Embed it in its owner (its address must not change
// while it is armed); the zero value is stopped.
type Node struct {
	h   Handler
	idx int32 // 1 + position in its shard's heap; 0: not armed
}

// Init sets the handler; call before the first Schedule.
func (n *Node) Init(h Handler) { n.h = h }

const (
	shardBits = 3
	nShards   = 1 << shardBits
	never     = math.MaxInt64
	shrinkAt  = 4096 // heap capacity from which a mostly empty heap shrinks
)

// entry is a heap slot: the deadline sits next to the node pointer, so
// sifting compares deadlines without touching the nodes.
type entry struct {
	when int64 // nanoseconds since Wheel.start
	n    *Node
}

type shard struct {
	mu   sync.Mutex
	heap []entry      // 4-ary min-heap on when
	min  atomic.Int64 // heap[0].when or never; written under mu, read by run
	_    [64 - 8 - 24 - 8]byte
}

// Wheel is the set of timers of one server (the name is historical: it was
// a hashed timing wheel). Safe for use from any goroutine.
type Wheel struct {
	start  time.Time
	shards [nShards]shard
	// sleep is the deadline run sleeps until, math.MinInt64 while it is
	// awake. A Schedule earlier than it lowers it and wakes run.
	sleep atomic.Int64
	wake  chan struct{} // capacity 1
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	// onPanic receives a panic of a Handler (SetPanicHandler); the wheel's
	// goroutine goes on with the other timers.
	onPanic atomic.Pointer[func(v any, stack []byte)]
}

// SetPanicHandler sets fn to receive what a Handler's OnTimer panics with,
// and its stack; the goroutine recovers and fires the other timers. Without
// one the panic is printed to stderr, as the runtime would, and recovered
// all the same: a timer must not take the process down.
func (w *Wheel) SetPanicHandler(fn func(v any, stack []byte)) { w.onPanic.Store(&fn) }

// New starts a wheel and its goroutine; Close stops them.
func New() *Wheel {
	w := &Wheel{
		start: time.Now(),
		wake:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	w.sleep.Store(math.MinInt64)
	for i := range w.shards {
		w.shards[i].min.Store(never)
	}
	go w.run()
	return w
}

// Close stops the goroutine; pending timers never fire.
func (w *Wheel) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

// now reads the monotonic clock.
func (w *Wheel) now() int64 { return int64(time.Since(w.start)) }

// shardOf spreads nodes over the shards by address (Fibonacci hashing), so
// a node needs no field for it and its first Schedule writes nothing
// outside the shard lock.
func (w *Wheel) shardOf(n *Node) *shard {
	h := uint64(uintptr(unsafe.Pointer(n))) * 0x9E3779B97F4A7C15
	return &w.shards[h>>(64-shardBits)]
}

// Schedule (re)arms n to fire d from now (at once if d <= 0). Any goroutine.
func (w *Wheel) Schedule(n *Node, d time.Duration) {
	now := w.now()
	when := now + int64(max(d, 0))
	if when < now {
		when = never // overflow: a delay of centuries
	}
	sh := w.shardOf(n)
	sh.mu.Lock()
	if i := int(n.idx) - 1; i >= 0 {
		old := sh.heap[i].when
		sh.heap[i].when = when
		if when < old {
			sh.up(i)
		} else {
			sh.down(i)
		}
	} else {
		sh.heap = append(sh.heap, entry{when, n})
		sh.up(len(sh.heap) - 1)
	}
	if top := sh.heap[0].when; top != sh.min.Load() {
		sh.min.Store(top)
	}
	sh.mu.Unlock()
	// Pairs with run: it stores sleep, then reads the shard minimums; we
	// stored the minimum, then read sleep. One of us sees the other.
	for {
		s := w.sleep.Load()
		if when >= s {
			return
		}
		if w.sleep.CompareAndSwap(s, when) {
			select {
			case w.wake <- struct{}{}:
			default:
			}
			return
		}
	}
}

// Stop disarms n. Any goroutine. It reports whether n was armed; if not, its
// handler may be running or about to run.
func (w *Wheel) Stop(n *Node) bool {
	sh := w.shardOf(n)
	sh.mu.Lock()
	i := int(n.idx) - 1
	if i < 0 {
		sh.mu.Unlock()
		return false
	}
	sh.remove(i)
	sh.mu.Unlock()
	return true
}

// remove takes slot i out of the heap and refreshes min. Under mu.
func (sh *shard) remove(i int) {
	h := sh.heap
	h[i].n.idx = 0
	last := len(h) - 1
	if i != last {
		h[i] = h[last]
		h[i].n.idx = int32(i + 1)
	}
	h[last] = entry{}
	sh.heap = h[:last]
	if c := cap(h); c >= shrinkAt && last <= c/4 {
		// Give back what a burst of connections grew (halving, so
		// alternating arms and stops do not reallocate each time).
		sh.heap = append(make([]entry, 0, c/2), sh.heap...)
	}
	if i != last {
		sh.down(i)
		sh.up(i)
	}
	top := int64(never)
	if last > 0 {
		top = sh.heap[0].when
	}
	if top != sh.min.Load() {
		sh.min.Store(top)
	}
}

// up moves slot i towards the root while it is earlier than its parent.
func (sh *shard) up(i int) {
	h := sh.heap
	e := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if h[p].when <= e.when {
			break
		}
		h[i] = h[p]
		h[i].n.idx = int32(i + 1)
		i = p
	}
	h[i] = e
	e.n.idx = int32(i + 1)
}

// down moves slot i towards the leaves while a child is earlier.
func (sh *shard) down(i int) {
	h := sh.heap
	n := len(h)
	e := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if h[j].when < h[m].when {
				m = j
			}
		}
		if h[m].when >= e.when {
			break
		}
		h[i] = h[m]
		h[i].n.idx = int32(i + 1)
		i = m
	}
	h[i] = e
	e.n.idx = int32(i + 1)
}

// earliest is the earliest deadline of all shards, never if none.
func (w *Wheel) earliest() int64 {
	m := int64(never)
	for i := range w.shards {
		m = min(m, w.shards[i].min.Load())
	}
	return m
}

// fire runs n's handler, recovering a panic (see SetPanicHandler).
func (w *Wheel) fire(n *Node) {
	defer func() {
		if v := recover(); v != nil {
			stack := debug.Stack()
			if fn := w.onPanic.Load(); fn != nil && *fn != nil {
				(*fn)(v, stack)
				return
			}
			fmt.Fprintf(os.Stderr, "timer: handler panic: %v\n%s", v, stack)
		}
	}()
	n.h.OnTimer(n)
}

func (w *Wheel) run() {
	defer close(w.done)
	t := time.NewTimer(time.Hour)
	t.Stop()
	var fire []*Node
	for {
		w.sleep.Store(math.MinInt64) // awake: Schedule need not signal
		now := w.now()
		for i := range w.shards {
			sh := &w.shards[i]
			if sh.min.Load() > now {
				continue
			}
			sh.mu.Lock()
			for len(sh.heap) > 0 && sh.heap[0].when <= now {
				fire = append(fire, sh.heap[0].n)
				sh.remove(0)
			}
			sh.mu.Unlock()
		}
		for i, n := range fire {
			fire[i] = nil
			w.fire(n)
		}
		fire = fire[:0]

		next := w.earliest()
		w.sleep.Store(next)
		if w.earliest() < next {
			continue // a Schedule slipped in before sleep was published
		}
		var tc <-chan time.Time
		if next != never {
			d := time.Duration(next - w.now())
			if d <= 0 {
				continue
			}
			t.Reset(d)
			tc = t.C
		}
		select {
		case <-w.stop:
			return
		case <-tc:
		case <-w.wake:
			t.Stop()
		}
	}
}

// owners maps the servers that own a Wheel (eio.Server) to it, so that the
// layers around one server share its Wheel without a method on the
// server's public type.
var owners sync.Map

// Register records w as the Wheel of owner (until Unregister).
func Register(owner any, w *Wheel) { owners.Store(owner, w) }

// Unregister forgets owner's Wheel.
func Unregister(owner any) { owners.Delete(owner) }

// Of returns the Wheel registered for owner, or nil.
func Of(owner any) *Wheel {
	w, _ := owners.Load(owner)
	wh, _ := w.(*Wheel)
	return wh
}
