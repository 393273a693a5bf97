// Package timer is a hashed timing wheel shared by every connection of a
// server: one goroutine ticks it, no goroutine or time.Timer per connection.
//
// Nodes are embedded in their owners (sessions, connections), so scheduling
// allocates nothing. A handler may fire once more after Stop or a reschedule
// raced with expiry (the wheel lock is not held while handlers run): owners
// re-check their own state when OnTimer runs.
package timer

import (
	"sync"
	"sync/atomic"
	"time"
)

// Handler receives expirations. OnTimer runs on the wheel's goroutine and must
// not block: post real work elsewhere.
type Handler interface {
	OnTimer(n *Node)
}

// Node is one timer. Embed it in its owner; the zero value is stopped.
type Node struct {
	next, prev *Node
	when       int64 // tick at which it fires
	shard      *shard
	h          Handler
}

// Init sets the handler; call before the first Schedule.
func (n *Node) Init(h Handler) { n.h = h }

const (
	slotBits = 10
	numSlots = 1 << slotBits
	slotMask = numSlots - 1
	nShards  = 8
)

type shard struct {
	mu    sync.Mutex
	slots [numSlots]Node // sentinels
	count int
}

// Wheel is a set of timers with a fixed tick. Safe for use from any goroutine.
type Wheel struct {
	tick   time.Duration
	start  time.Time
	shards [nShards]shard
	rr     uint32
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// New starts a wheel ticking every tick (10 ms if zero).
func New(tick time.Duration) *Wheel {
	if tick <= 0 {
		tick = 10 * time.Millisecond
	}
	w := &Wheel{tick: tick, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	for i := range w.shards {
		for j := range w.shards[i].slots {
			s := &w.shards[i].slots[j]
			s.next, s.prev = s, s
		}
	}
	go w.run()
	return w
}

// Close stops the goroutine; pending timers never fire.
func (w *Wheel) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

func (w *Wheel) now() int64 { return int64(time.Since(w.start) / w.tick) }

// Schedule (re)arms n to fire after d. Any goroutine.
func (w *Wheel) Schedule(n *Node, d time.Duration) {
	// now() is the tick in progress, already partly gone: one more tick
	// makes a timer fire late by less than a tick, never early.
	ticks := int64((d+w.tick-1)/w.tick) + 1
	when := w.now() + ticks
	sh := n.shard
	if sh == nil {
		// Spread nodes over shards round-robin; a node keeps its shard for life.
		sh = &w.shards[atomic.AddUint32(&w.rr, 1)%nShards]
		n.shard = sh
	}
	sh.mu.Lock()
	if n.next != nil {
		unlink(n)
		sh.count--
	}
	n.when = when
	head := &sh.slots[when&slotMask]
	n.prev = head.prev
	n.next = head
	head.prev.next = n
	head.prev = n
	sh.count++
	sh.mu.Unlock()
}

// Stop disarms n. Any goroutine. It reports whether n was armed.
func (w *Wheel) Stop(n *Node) bool {
	sh := n.shard
	if sh == nil {
		return false
	}
	sh.mu.Lock()
	armed := n.next != nil
	if armed {
		unlink(n)
		sh.count--
	}
	sh.mu.Unlock()
	return armed
}

func unlink(n *Node) {
	n.prev.next = n.next
	n.next.prev = n.prev
	n.next, n.prev = nil, nil
}

func (w *Wheel) run() {
	defer close(w.done)
	t := time.NewTicker(w.tick)
	defer t.Stop()
	var last int64
	var fire []*Node
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		now := w.now()
		if now <= last {
			continue
		}
		from := last + 1
		if now-from >= numSlots {
			from = now - numSlots + 1
		}
		fire = fire[:0]
		for i := range w.shards {
			sh := &w.shards[i]
			sh.mu.Lock()
			if sh.count == 0 {
				sh.mu.Unlock()
				continue
			}
			for tk := from; tk <= now; tk++ {
				head := &sh.slots[tk&slotMask]
				for n := head.next; n != head; {
					next := n.next
					if n.when <= now {
						unlink(n)
						sh.count--
						fire = append(fire, n)
					}
					n = next
				}
			}
			sh.mu.Unlock()
		}
		last = now
		for i, n := range fire {
			n.h.OnTimer(n)
			fire[i] = nil
		}
	}
}
