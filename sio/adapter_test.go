package sio

import (
	"sort"
	"strings"
	"testing"
)

func testSockets(n *Namespace, ids ...string) []*Socket {
	out := make([]*Socket, len(ids))
	for i, id := range ids {
		s := &Socket{id: id, nsp: n}
		n.add(s)
		n.adapter.AddAll(s, []string{id})
		out[i] = s
	}
	return out
}

func ids(list []*Socket) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.id
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestMemoryAdapterRooms(t *testing.T) {
	srv := &Server{opts: (&Options{}).withDefaults()}
	n := newNamespace(srv, "/", nil)
	ss := testSockets(n, "a", "b", "c", "d")
	a, b, c, d := ss[0], ss[1], ss[2], ss[3]
	a.Join("r1", "r2")
	b.Join("r1")
	c.Join("r2")
	d.Join("r3")

	op := n.op()
	cases := []struct {
		name string
		op   *BroadcastOperator
		want string
	}{
		{"all", op, "a,b,c,d"},
		{"one room", op.To("r1"), "a,b"},
		{"union, no duplicates", op.To("r1", "r2"), "a,b,c"},
		{"chained To is a union", op.To("r1").To("r3"), "a,b,d"},
		{"except", op.Except("r1"), "c,d"},
		{"room minus room", op.To("r2").Except("r1"), "c"},
		{"socket id as room", op.To("d"), "d"},
		{"missing room", op.To("nope"), ""},
		{"all but a (Broadcast)", a.Broadcast(), "b,c,d"},
		{"a.To(r1) excludes a", a.To("r1"), "b"},
	}
	for _, tc := range cases {
		if got := ids(tc.op.LocalSockets()); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	// Operators are immutable: deriving one does not change the base.
	base := op.To("r1")
	_ = base.To("r3").Except("a")
	if got := ids(base.LocalSockets()); got != "a,b" {
		t.Errorf("base operator changed: %q", got)
	}

	a.Leave("r1")
	if a.InRoom("r1") || !a.InRoom("r2") {
		t.Error("Leave")
	}
	rooms := a.Rooms()
	sort.Strings(rooms)
	if strings.Join(rooms, ",") != "a,r2" {
		t.Errorf("rooms of a: %v", rooms)
	}
	n.adapter.DelAll(b)
	if got := ids(op.To("r1").LocalSockets()); got != "" {
		t.Errorf("after DelAll(b), r1 = %q", got)
	}
	if ma := n.adapter.(*MemoryAdapter); ma.RoomSize("r1") != 0 || ma.RoomSize("r2") != 2 {
		t.Errorf("room sizes r1=%d r2=%d", ma.RoomSize("r1"), ma.RoomSize("r2"))
	}
}

func TestMemoryAdapterRoomEvents(t *testing.T) {
	srv := &Server{opts: (&Options{}).withDefaults()}
	n := newNamespace(srv, "/", nil)
	var got []string
	n.adapter.(*MemoryAdapter).OnRoomEvent(func(ev RoomEvent, room, id string) {
		got = append(got, ev.String()+":"+room+":"+id)
	})
	ss := testSockets(n, "a", "b")
	ss[0].Join("r")
	ss[1].Join("r")
	ss[0].Leave("r")
	n.adapter.DelAll(ss[1])
	want := "create-room:a:,join-room:a:a,create-room:b:,join-room:b:b," +
		"create-room:r:,join-room:r:a,join-room:r:b,leave-room:r:a," +
		"leave-room:b:b,delete-room:b:,leave-room:r:b,delete-room:r:"
	// DelAll walks a map: compare as sets for its part.
	gs := strings.Join(got[:8], ",")
	if gs != strings.Join(strings.Split(want, ",")[:8], ",") {
		t.Fatalf("events: %v", got)
	}
	rest := append([]string(nil), got[8:]...)
	sort.Strings(rest)
	wantRest := strings.Split(want, ",")[8:]
	sort.Strings(wantRest)
	if strings.Join(rest, ",") != strings.Join(wantRest, ",") {
		t.Fatalf("events after DelAll: %v", got[8:])
	}
}

func TestRecoveryPacketMatch(t *testing.T) {
	p := loggedPacket{rooms: []string{"r1"}, except: []string{"x"}}
	if !p.matches([]string{"id", "r1"}) || p.matches([]string{"id"}) || p.matches([]string{"r1", "x"}) {
		t.Error("room filter")
	}
	all := loggedPacket{}
	if !all.matches([]string{"id"}) {
		t.Error("a packet for everyone matches every session")
	}
}
