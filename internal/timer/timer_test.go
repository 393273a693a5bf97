package timer

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type counter struct {
	n     atomic.Int32
	fired chan *Node
}

func (c *counter) OnTimer(n *Node) {
	c.n.Add(1)
	if c.fired != nil {
		c.fired <- n
	}
}

func TestFireStopReschedule(t *testing.T) {
	w := New()
	defer w.Close()
	c := &counter{fired: make(chan *Node, 4)}
	var a, b, d Node
	a.Init(c)
	b.Init(c)
	d.Init(c)
	start := time.Now()
	w.Schedule(&a, 30*time.Millisecond)
	w.Schedule(&b, 30*time.Millisecond)
	w.Schedule(&d, 60*time.Millisecond)
	if !w.Stop(&b) || w.Stop(&b) {
		t.Fatal("Stop reports whether the node was armed")
	}
	w.Schedule(&d, 90*time.Millisecond) // reschedule moves it
	if got := <-c.fired; got != &a {
		t.Fatal("a should fire first")
	}
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Fatalf("a fired early: %v", el)
	}
	if got := <-c.fired; got != &d {
		t.Fatal("then d")
	}
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Fatalf("d fired before its new deadline: %v", el)
	}
	if w.Stop(&a) || w.Stop(&d) {
		t.Fatal("fired nodes are disarmed")
	}
	select {
	case n := <-c.fired:
		t.Fatalf("unexpected fire %p", n)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestEarlierWakes: moving the earliest deadline closer wakes the sleeping
// goroutine instead of leaving the timer to the old, later wake-up.
func TestEarlierWakes(t *testing.T) {
	w := New()
	defer w.Close()
	c := &counter{fired: make(chan *Node, 2)}
	var a, b Node
	a.Init(c)
	b.Init(c)
	w.Schedule(&a, time.Hour)
	time.Sleep(10 * time.Millisecond) // let it fall asleep until a
	w.Schedule(&b, 20*time.Millisecond)
	w.Schedule(&a, 10*time.Millisecond) // a moves before b
	for _, want := range []*Node{&a, &b} {
		select {
		case got := <-c.fired:
			if got != want {
				t.Fatal("fired out of deadline order")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("an earlier deadline did not wake the timer goroutine")
		}
	}
}

// deadlined is an owner that checks, in its handler, that it fires no
// earlier than the deadline it asked for, and re-arms itself like a
// heartbeat.
type deadlined struct {
	tm       Node
	w        *Wheel
	deadline time.Time
	rounds   int
	early    *atomic.Int32
	wg       *sync.WaitGroup
	late     []time.Duration
}

func (o *deadlined) arm(d time.Duration) {
	o.deadline = time.Now().Add(d)
	o.w.Schedule(&o.tm, d)
}

func (o *deadlined) OnTimer(*Node) {
	now := time.Now()
	if now.Before(o.deadline) {
		o.early.Add(1)
	}
	o.late = append(o.late, now.Sub(o.deadline))
	if o.rounds--; o.rounds > 0 {
		o.arm(time.Duration(rand.IntN(30_000)) * time.Microsecond)
		return
	}
	o.wg.Done()
}

// TestNeverEarly: many timers with random delays, rescheduling themselves
// from their handlers, never fire before their deadline. (How late they
// fire is measured by BenchmarkHeartbeatLateness, not asserted here.)
func TestNeverEarly(t *testing.T) {
	w := New()
	defer w.Close()
	var early atomic.Int32
	var wg sync.WaitGroup
	owners := make([]deadlined, 2000)
	for i := range owners {
		o := &owners[i]
		*o = deadlined{w: w, rounds: 5, early: &early, wg: &wg}
		o.tm.Init(o)
		wg.Add(1)
		o.arm(time.Duration(rand.IntN(30_000)) * time.Microsecond)
	}
	wg.Wait()
	if n := early.Load(); n > 0 {
		t.Fatalf("%d of %d firings came before their deadline", n, len(owners)*5)
	}
	var all []time.Duration
	for i := range owners {
		all = append(all, owners[i].late...)
	}
	t.Logf("lateness p50 %v, max %v (not asserted)", quantile(all, 0.5), quantile(all, 1))
}

// TestLongDelay: far deadlines fire too.
func TestLongDelay(t *testing.T) {
	w := New()
	defer w.Close()
	c := &counter{fired: make(chan *Node, 1)}
	var a Node
	a.Init(c)
	start := time.Now()
	w.Schedule(&a, 1500*time.Millisecond)
	<-c.fired
	if el := time.Since(start); el < 1500*time.Millisecond {
		t.Fatalf("fired after %v", el)
	}
}

// TestHugeDelay: a delay that overflows the clock never fires (it does not
// wrap into the past).
func TestHugeDelay(t *testing.T) {
	w := New()
	defer w.Close()
	c := &counter{fired: make(chan *Node, 1)}
	var a Node
	a.Init(c)
	w.Schedule(&a, time.Duration(math.MaxInt64))
	select {
	case <-c.fired:
		t.Fatal("a timer of maximal delay fired")
	case <-time.After(50 * time.Millisecond):
	}
	if !w.Stop(&a) {
		t.Fatal("it should still be armed")
	}
}

// TestConcurrent schedules and stops from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	w := New()
	defer w.Close()
	c := &counter{}
	nodes := make([]Node, 2000)
	var late atomic.Int32 // stopped too late: fired (or about to) before Stop
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(nodes); i += 8 {
				nodes[i].Init(c)
				w.Schedule(&nodes[i], time.Duration(i%20)*time.Millisecond)
				if i%2 == 0 && !w.Stop(&nodes[i]) {
					late.Add(1) // a 0 ms timer can fire between the two calls
				}
			}
		}(g)
	}
	wg.Wait()
	want := int32(len(nodes)/2) + late.Load()
	deadline := time.Now().Add(3 * time.Second)
	for c.n.Load() < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond) // and nothing more fires
	if got := c.n.Load(); got != want {
		t.Fatalf("%d fired, want %d (%d stopped too late to count)", got, want, late.Load())
	}
}

// TestRaceWithExpiry reschedules and stops nodes from several goroutines
// while they expire (run with -race), then checks every heap is intact.
func TestRaceWithExpiry(t *testing.T) {
	w := New()
	c := &counter{}
	nodes := make([]Node, 500)
	for i := range nodes {
		nodes[i].Init(c)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20_000; k++ {
				n := &nodes[rand.IntN(len(nodes))]
				if rand.IntN(4) == 0 {
					w.Stop(n)
				} else {
					w.Schedule(n, time.Duration(rand.IntN(2000))*time.Microsecond)
				}
			}
		}()
	}
	wg.Wait()
	w.Close()
	checkHeaps(t, w, nodes)
	if c.n.Load() == 0 {
		t.Fatal("nothing fired")
	}
}

// TestHeapOrder drives the heaps with random schedules, reschedules and
// stops (the goroutine stopped, so nothing fires) and checks the heap
// property, the nodes' positions and Stop's answers.
func TestHeapOrder(t *testing.T) {
	w := New()
	w.Close()
	var c counter
	nodes := make([]Node, 3000)
	armed := make([]bool, len(nodes))
	for i := range nodes {
		nodes[i].Init(&c)
	}
	for k := 0; k < 100_000; k++ {
		i := rand.IntN(len(nodes))
		if rand.IntN(3) == 0 {
			if got := w.Stop(&nodes[i]); got != armed[i] {
				t.Fatalf("Stop = %v, node armed = %v", got, armed[i])
			}
			armed[i] = false
			continue
		}
		w.Schedule(&nodes[i], time.Duration(rand.IntN(1_000_000))*time.Microsecond)
		armed[i] = true
	}
	checkHeaps(t, w, nodes)
	n := 0
	for _, a := range armed {
		if a {
			n++
		}
	}
	total := 0
	for i := range w.shards {
		total += len(w.shards[i].heap)
	}
	if total != n {
		t.Fatalf("%d entries in the heaps, %d nodes armed", total, n)
	}
}

// TestShrink: heaps grown by a burst of timers give the memory back once
// the timers are stopped.
func TestShrink(t *testing.T) {
	w := New()
	defer w.Close()
	var c counter
	nodes := make([]Node, 200_000)
	for i := range nodes {
		nodes[i].Init(&c)
		w.Schedule(&nodes[i], time.Hour)
	}
	for i := range nodes {
		if i%2 == 0 {
			w.Stop(&nodes[i])
		}
	}
	for i := range nodes {
		w.Stop(&nodes[i])
	}
	for i := range w.shards {
		if c := cap(w.shards[i].heap); c >= 2*shrinkAt {
			t.Errorf("shard %d keeps a capacity of %d entries with none armed", i, c)
		}
	}
}

func checkHeaps(t *testing.T, w *Wheel, nodes []Node) {
	t.Helper()
	for s := range w.shards {
		sh := &w.shards[s]
		h := sh.heap
		want := int64(never)
		if len(h) > 0 {
			want = h[0].when
		}
		if got := sh.min.Load(); got != want {
			t.Fatalf("shard %d: min %d, heap top %d", s, got, want)
		}
		for i := range h {
			if h[i].n.idx != int32(i+1) {
				t.Fatalf("shard %d: entry %d points to a node at %d", s, i, h[i].n.idx-1)
			}
			if w.shardOf(h[i].n) != sh {
				t.Fatalf("shard %d holds a node of another shard", s)
			}
			if i > 0 && h[(i-1)/4].when > h[i].when {
				t.Fatalf("shard %d: entry %d is earlier than its parent", s, i)
			}
		}
	}
	for i := range nodes {
		n := &nodes[i]
		if n.idx == 0 {
			continue
		}
		sh := w.shardOf(n)
		if int(n.idx) > len(sh.heap) || sh.heap[n.idx-1].n != n {
			t.Fatalf("node %d: position %d is not its entry", i, n.idx-1)
		}
	}
}

type panicky struct{}

type handlerFunc func(*Node)

func (f handlerFunc) OnTimer(n *Node) { f(n) }

func (panicky) OnTimer(*Node) { panic("boom") }

// A handler's panic is recovered and reported; the other timers still fire.
func TestHandlerPanicContained(t *testing.T) {
	w := New()
	defer w.Close()
	got := make(chan any, 1)
	w.SetPanicHandler(func(v any, stack []byte) {
		if len(stack) == 0 {
			t.Error("no stack")
		}
		got <- v
	})
	var bad Node
	bad.Init(panicky{})
	w.Schedule(&bad, 0)
	if v := <-got; v != "boom" {
		t.Fatalf("reported %v", v)
	}
	fired := make(chan struct{})
	var ok Node
	ok.Init(handlerFunc(func(*Node) { close(fired) }))
	w.Schedule(&ok, time.Millisecond)
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("the wheel stopped after a handler panic")
	}
}
