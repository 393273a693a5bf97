package loop

import (
	"strings"
	"testing"

	"github.com/sioloop/sioloop/broadcast"
)

// TestOutputOrder: whatever mix of own writes, small shared frames
// (copied or referenced when nothing is pending) and large ones (held by
// reference), a connection writes it all in the order it was queued, in
// one write per flush, and drops its references.
func TestOutputOrder(t *testing.T) {
	v, err := NewVirtual(Config{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	vc := v.Dial(0)
	vc.Record = true
	c := vc.Context().(*conn)
	frames := func(s string) *broadcast.Frames {
		f := broadcast.NewFrames()
		*f.B() = append(*f.B(), s...)
		return f
	}
	big := func(b byte) string { return strings.Repeat(string(b), broadcast.ShareThreshold+10) }
	type step struct {
		shared bool
		s      string
	}
	for _, seq := range [][]step{
		{{true, "a"}, {false, "b"}, {true, big('C')}, {true, "d"}, {false, "e"}},
		{{false, "a"}, {true, "b"}, {true, big('C')}, {true, big('D')}},
		{{true, big('A')}, {true, "b"}, {true, big('C')}},
		{{true, "a"}, {true, "b"}, {false, "c"}},
		{{true, "a"}},
		{{false, "a"}, {false, "b"}},
	} {
		vc.Out, vc.Writes = nil, 0
		var want strings.Builder
		var all []*broadcast.Frames
		var b broadcast.Batch
		for _, st := range seq {
			want.WriteString(st.s)
			if st.shared {
				f := frames(st.s)
				all = append(all, f)
				b.Send(c, f, false)
			} else {
				c.WriteRaw([]byte(st.s))
			}
		}
		b.Flush()
		for _, f := range all {
			f.Release() // the broadcaster's reference
		}
		v.RunLoops()
		if string(vc.Out) != want.String() {
			t.Errorf("%v: wrote %.40q…, want %.40q…", seq, vc.Out, want.String())
		}
		if vc.Writes != 1 {
			t.Errorf("%v: %d writes, want 1", seq, vc.Writes)
		}
	}
}
