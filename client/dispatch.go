package client

import (
	"sync"
	"time"
)

// callbacks runs user callbacks one at a time, in the order they were
// posted, on a goroutine of its own that exists only while there is work:
// it exits when the queue is empty, so an idle Manager holds no goroutine
// for its callbacks. Callbacks never run with Manager.mu held.
type callbacks struct {
	mu      sync.Mutex
	queue   []func()
	running bool
}

// post queues f. Safe from any goroutine, also with Manager.mu held.
func (c *callbacks) post(f func()) {
	c.mu.Lock()
	c.queue = append(c.queue, f)
	if !c.running {
		c.running = true
		go c.run()
	}
	c.mu.Unlock()
}

func (c *callbacks) run() {
	var batch []func()
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		batch, c.queue = c.queue, batch[:0]
		c.mu.Unlock()
		for i, f := range batch {
			batch[i] = nil
			f()
		}
	}
}

// handlers is a list of callbacks for one kind of event. The list is
// copied on write, so call may iterate a snapshot without holding mu.
type handlers[E any] struct {
	mu  sync.Mutex
	fns []func(*E)
}

func (h *handlers[E]) add(fn func(*E)) {
	if fn == nil {
		return
	}
	h.mu.Lock()
	fns := make([]func(*E), len(h.fns), len(h.fns)+1)
	copy(fns, h.fns)
	h.fns = append(fns, fn)
	h.mu.Unlock()
}

func (h *handlers[E]) call(ev *E) {
	h.mu.Lock()
	fns := h.fns
	h.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}

// timer is a time.AfterFunc whose function runs with Manager.mu held and
// not at all once stopped (stop is called with Manager.mu held, so a timer
// that already fired and waits for the lock sees it and gives up).
type timer struct {
	t    *time.Timer
	done bool
}

// after schedules f to run with m.mu held after d. Call it with m.mu held.
func (m *Manager) after(d time.Duration, f func()) *timer {
	tm := &timer{}
	tm.t = time.AfterFunc(d, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if tm.done {
			return
		}
		tm.done = true
		f()
	})
	return tm
}

// stop cancels the timer; nil is a no-op. Call it with m.mu held.
func (tm *timer) stop() {
	if tm != nil && !tm.done {
		tm.done = true
		tm.t.Stop()
	}
}
