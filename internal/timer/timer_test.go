package timer

import (
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
	w := New(5 * time.Millisecond)
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
	select {
	case n := <-c.fired:
		t.Fatalf("unexpected fire %p", n)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestLongDelay: delays beyond one turn of the wheel still fire on time.
func TestLongDelay(t *testing.T) {
	w := New(time.Millisecond) // 1024 slots: one turn is ~1 s
	defer w.Close()
	c := &counter{fired: make(chan *Node, 1)}
	var a Node
	a.Init(c)
	start := time.Now()
	w.Schedule(&a, 1500*time.Millisecond)
	<-c.fired
	if el := time.Since(start); el < 1500*time.Millisecond || el > 3*time.Second {
		t.Fatalf("fired after %v", el)
	}
}

// TestConcurrent schedules and stops from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	w := New(time.Millisecond)
	defer w.Close()
	c := &counter{}
	nodes := make([]Node, 2000)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(nodes); i += 8 {
				nodes[i].Init(c)
				w.Schedule(&nodes[i], time.Duration(i%20)*time.Millisecond)
				if i%2 == 0 {
					w.Stop(&nodes[i])
				}
			}
		}(g)
	}
	wg.Wait()
	deadline := time.Now().Add(3 * time.Second)
	for c.n.Load() < int32(len(nodes)/2) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := c.n.Load(); got != int32(len(nodes)/2) {
		t.Fatalf("%d fired, want %d", got, len(nodes)/2)
	}
}
