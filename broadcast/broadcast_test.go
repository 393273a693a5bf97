package broadcast

import (
	"testing"
)

type fakeLoop struct{ calls [][]Conn }

func (l *fakeLoop) Schedule(c []Conn) { l.calls = append(l.calls, append([]Conn(nil), c...)) }

// fakeConn returns its loop the first time (it was clean), then nil.
type fakeConn struct {
	l     Loop
	dirty bool
	got   []byte
}

func (c *fakeConn) Enqueue(f *Frames, volatile bool) Loop {
	if volatile {
		return nil
	}
	c.got = append(c.got, f.Bytes()...)
	if c.dirty {
		return nil
	}
	c.dirty = true
	return c.l
}

func TestBatchGroupsByLoop(t *testing.T) {
	l1, l2 := &fakeLoop{}, &fakeLoop{}
	var conns []*fakeConn
	for i := range 7 {
		l := Loop(l1)
		if i%3 == 0 {
			l = l2
		}
		conns = append(conns, &fakeConn{l: l})
	}
	conns[5].dirty = true // already scheduled by someone else
	f := NewFrames()
	*f.B() = append(*f.B(), "abc"...)
	var b Batch
	for _, c := range conns {
		b.Send(c, f, false)
	}
	b.Send(conns[1], f, false) // a second frame for a scheduled connection
	b.Send(conns[2], f, true)  // dropped
	b.Flush()
	if len(l1.calls) != 1 || len(l2.calls) != 1 {
		t.Fatalf("schedules: loop 1 %d, loop 2 %d; want one each", len(l1.calls), len(l2.calls))
	}
	if got := len(l1.calls[0]); got != 3 { // 1, 2, 4 (5 was already scheduled)
		t.Errorf("loop 1 got %d connections, want 3", got)
	}
	if got := len(l2.calls[0]); got != 3 { // 0, 3, 6
		t.Errorf("loop 2 got %d connections, want 3", got)
	}
	if string(conns[1].got) != "abcabc" || string(conns[2].got) != "abc" {
		t.Errorf("frames: %q %q", conns[1].got, conns[2].got)
	}
	// The batch is reusable and empty.
	b.Flush()
	if len(l1.calls) != 1 || len(l2.calls) != 1 {
		t.Error("an empty batch scheduled a loop")
	}
	f.Release()
}

func TestFramesRefcount(t *testing.T) {
	f := NewFrames()
	*f.B() = append(*f.B(), "x"...)
	f.Retain()
	f.Release()
	if f.Len() != 1 {
		t.Fatal("bytes gone while a reference is held")
	}
	f.Release()
	if f.buf != nil {
		t.Fatal("last release kept the buffer")
	}
	defer func() {
		if recover() == nil {
			t.Error("releasing a released Frames did not panic")
		}
	}()
	g := NewFrames()
	g.Release()
	g.refs.Store(0)
	g.Release()
}

func BenchmarkBatchSend(b *testing.B) {
	loops := []*countLoop{{}, {}}
	conns := make([]Conn, 1000)
	for i := range conns {
		conns[i] = &sink{l: loops[i%2]}
	}
	f := NewFrames()
	*f.B() = append(*f.B(), make([]byte, 100)...)
	var bt Batch
	b.ReportAllocs()
	for range b.N {
		for _, c := range conns {
			bt.Send(c, f, false)
		}
		bt.Flush()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(conns)), "ns/recipient")
}

// sink is clean at every send: the batch groups every recipient.
type sink struct{ l Loop }

func (s *sink) Enqueue(*Frames, bool) Loop { return s.l }

type countLoop struct{ n int }

func (l *countLoop) Schedule(c []Conn) { l.n += len(c) }
