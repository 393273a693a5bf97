package sio

import (
	"context"
	"sync"
	"time"
)

// BroadcastOptions selects the recipients of a broadcast.
type BroadcastOptions struct {
	Rooms  []string // union; empty means every socket
	Except []string // sockets in any of these rooms are skipped
	// Local: do not forward to other nodes. Volatile: drop for sockets
	// that cannot take it now.
	Local, Volatile bool
}

// Adapter keeps the room membership of one namespace and fans packets out.
// The in-memory MemoryAdapter is the default; a multi-node adapter (Redis)
// wraps it and forwards broadcasts and requests to other nodes. Methods are
// called from any goroutine, event loops included: none may wait for the
// network except FetchSockets and ServerCount, which take a context. They
// neither change nor keep opts.
type Adapter interface {
	// AddAll adds s to rooms.
	AddAll(s *Socket, rooms []string)
	// Del removes s from room.
	Del(s *Socket, room string)
	// DelAll removes s from every room.
	DelAll(s *Socket)
	// Rooms lists the rooms of s.
	Rooms(s *Socket) []string
	// Has reports whether s is in room.
	Has(s *Socket, room string) bool
	// Apply calls fn once for every local socket matching opts, without
	// holding the adapter's lock (fn may join or leave rooms).
	Apply(opts *BroadcastOptions, fn func(*Socket))
	// Broadcast sends a pre-encoded packet to every socket matching opts.
	Broadcast(p *Encoded, opts *BroadcastOptions)
	// BroadcastWithAck sends p, an EVENT with ack id p.AckID, to every
	// socket matching opts and reports to acks (see AckSink). timeout
	// (0: none) is how long the sender waits: other nodes may forget
	// the request after it.
	BroadcastWithAck(p *Encoded, opts *BroadcastOptions, timeout time.Duration, acks AckSink)
	// AddSockets makes the sockets matching opts join rooms; DelSockets
	// leave them; DisconnectSockets disconnects them (close: their
	// connections too). On every node unless opts.Local.
	AddSockets(opts *BroadcastOptions, rooms []string)
	DelSockets(opts *BroadcastOptions, rooms []string)
	DisconnectSockets(opts *BroadcastOptions, close bool)
	// FetchSockets describes the sockets matching opts, on every node
	// unless opts.Local; it gives up on the others at ctx's end or the
	// adapter's request timeout (and returns what it has, with the error).
	FetchSockets(ctx context.Context, opts *BroadcastOptions) ([]*RemoteSocket, error)
	// ServerSideEmit sends an event to the other nodes' namespaces. With
	// ack, it waits for one answer per other node (the adapter's request
	// timeout bounds it; ack gets ErrAckTimeout and what came).
	ServerSideEmit(event string, args []any, ack MultiAckFunc) error
	// ServerCount is the number of nodes, this one included.
	ServerCount(ctx context.Context) (int, error)
	// Close releases the adapter.
	Close()
}

// RoomEvent is a room lifecycle event of the MemoryAdapter.
type RoomEvent uint8

const (
	RoomCreated RoomEvent = iota // first socket joined
	RoomDeleted                  // last socket left
	RoomJoined                   // a socket joined
	RoomLeft                     // a socket left
)

func (e RoomEvent) String() string {
	return [...]string{"create-room", "delete-room", "join-room", "leave-room"}[e]
}

// MemoryAdapter is the in-memory Adapter.
//
// Every socket is in the room named by its own id; that room is not
// stored (it would cost a map per socket): it is the namespace's socket
// table. Only rooms joined explicitly are kept here.
type MemoryAdapter struct {
	nsp *Namespace

	mu     sync.RWMutex
	rooms  map[string]map[*Socket]struct{}
	sids   map[*Socket]map[string]struct{} // explicit rooms only
	events []func(ev RoomEvent, room string, socketID string)

	pool sync.Pool // *[]*Socket scratch for Apply
}

// NewMemoryAdapter returns the in-memory adapter of nsp.
func NewMemoryAdapter(nsp *Namespace) *MemoryAdapter {
	return &MemoryAdapter{
		nsp:   nsp,
		rooms: make(map[string]map[*Socket]struct{}),
		sids:  make(map[*Socket]map[string]struct{}),
	}
}

// OnRoomEvent registers fn for room lifecycle events (the reference's
// create-room, delete-room, join-room, leave-room; a socket's own room
// included). fn runs with the adapter's lock held: it must not call back
// into the adapter.
func (a *MemoryAdapter) OnRoomEvent(fn func(ev RoomEvent, room string, socketID string)) {
	a.mu.Lock()
	a.events = append(a.events, fn)
	a.mu.Unlock()
}

func (a *MemoryAdapter) emitLocked(ev RoomEvent, room, id string) {
	for _, fn := range a.events {
		fn(ev, room, id)
	}
}

// AddAll implements Adapter.
func (a *MemoryAdapter) AddAll(s *Socket, rooms []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range rooms {
		if r == s.id {
			// The own room exists by construction; report it as joined.
			if len(a.events) > 0 {
				a.emitLocked(RoomCreated, r, "")
				a.emitLocked(RoomJoined, r, s.id)
			}
			continue
		}
		set := a.sids[s]
		if set == nil {
			set = make(map[string]struct{}, 1)
			a.sids[s] = set
		}
		if _, ok := set[r]; ok {
			continue
		}
		set[r] = struct{}{}
		m := a.rooms[r]
		if m == nil {
			m = make(map[*Socket]struct{})
			a.rooms[r] = m
			a.emitLocked(RoomCreated, r, "")
		}
		m[s] = struct{}{}
		a.emitLocked(RoomJoined, r, s.id)
	}
}

// Del implements Adapter. A socket cannot leave its own room.
func (a *MemoryAdapter) Del(s *Socket, room string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if set := a.sids[s]; set != nil {
		delete(set, room)
		if len(set) == 0 {
			delete(a.sids, s)
		}
	}
	a.delLocked(s, room)
}

func (a *MemoryAdapter) delLocked(s *Socket, room string) {
	m := a.rooms[room]
	if m == nil {
		return
	}
	if _, ok := m[s]; !ok {
		return
	}
	delete(m, s)
	a.emitLocked(RoomLeft, room, s.id)
	if len(m) == 0 {
		delete(a.rooms, room)
		a.emitLocked(RoomDeleted, room, "")
	}
}

// DelAll implements Adapter.
func (a *MemoryAdapter) DelAll(s *Socket) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for r := range a.sids[s] {
		a.delLocked(s, r)
	}
	delete(a.sids, s)
	if len(a.events) > 0 {
		a.emitLocked(RoomLeft, s.id, s.id)
		a.emitLocked(RoomDeleted, s.id, "")
	}
}

// Rooms implements Adapter: the socket's own room first.
func (a *MemoryAdapter) Rooms(s *Socket) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]string, 1, 1+len(a.sids[s]))
	out[0] = s.id
	for r := range a.sids[s] {
		out = append(out, r)
	}
	return out
}

// Has implements Adapter.
func (a *MemoryAdapter) Has(s *Socket, room string) bool {
	if room == s.id {
		return true
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	_, ok := a.sids[s][room]
	return ok
}

// RoomSize is the number of sockets in room.
func (a *MemoryAdapter) RoomSize(room string) int {
	if a.nsp.Socket(room) != nil {
		return 1
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.rooms[room])
}

// Apply implements Adapter.
func (a *MemoryAdapter) Apply(opts *BroadcastOptions, fn func(*Socket)) {
	bp, _ := a.pool.Get().(*[]*Socket)
	if bp == nil {
		bp = new([]*Socket)
	}
	list := a.collect((*bp)[:0], opts)
	for i, s := range list {
		fn(s)
		list[i] = nil
	}
	*bp = list[:0]
	a.pool.Put(bp)
}

// collect appends the matching sockets to dst. Lock order: the
// namespace's socket table, then the adapter.
func (a *MemoryAdapter) collect(dst []*Socket, opts *BroadcastOptions) []*Socket {
	n := a.nsp
	n.mu.RLock()
	defer n.mu.RUnlock()
	a.mu.RLock()
	defer a.mu.RUnlock()
	excluded := func(s *Socket) bool {
		for _, r := range opts.Except {
			if r == s.id {
				return true
			}
			if _, ok := a.rooms[r][s]; ok {
				return true
			}
		}
		return false
	}
	// members calls fn for every socket of room (its own room included).
	members := func(room string, fn func(*Socket)) {
		if s := n.sockets[room]; s != nil {
			fn(s)
		}
		for s := range a.rooms[room] {
			fn(s)
		}
	}
	switch len(opts.Rooms) {
	case 0:
		for _, s := range n.list {
			if !excluded(s) {
				dst = append(dst, s)
			}
		}
	case 1:
		members(opts.Rooms[0], func(s *Socket) {
			if !excluded(s) {
				dst = append(dst, s)
			}
		})
	default:
		seen := make(map[*Socket]struct{})
		for _, r := range opts.Rooms {
			members(r, func(s *Socket) {
				if _, ok := seen[s]; ok || excluded(s) {
					return
				}
				seen[s] = struct{}{}
				dst = append(dst, s)
			})
		}
	}
	return dst
}

// Broadcast implements Adapter.
func (a *MemoryAdapter) Broadcast(p *Encoded, opts *BroadcastOptions) {
	srv := a.nsp.srv
	b := srv.getBatch()
	a.Apply(opts, func(s *Socket) { s.sendShared(p, opts.Volatile, b) })
	srv.flushBatch(b)
}

// BroadcastAll sends ps[i] to the sockets matching opts[i], for every i,
// in one fan-out: a socket that several of them reach gets them in one
// write. For adapters delivering a burst of broadcasts from other nodes.
func (a *MemoryAdapter) BroadcastAll(ps []*Encoded, opts []BroadcastOptions) {
	srv := a.nsp.srv
	b := srv.getBatch()
	for i, p := range ps {
		o := &opts[i]
		a.Apply(o, func(s *Socket) { s.sendShared(p, o.Volatile, b) })
	}
	srv.flushBatch(b)
}

// BroadcastWithAck implements Adapter for this node: one node (Expect(1)),
// which counts its recipients once the packet is on its way.
func (a *MemoryAdapter) BroadcastWithAck(p *Encoded, opts *BroadcastOptions, _ time.Duration, acks AckSink) {
	srv := a.nsp.srv
	b := srv.getBatch()
	n := 0
	answer := func(res *Args, _ error) { acks.Ack(res) } // one for all recipients
	a.Apply(opts, func(s *Socket) {
		s.addAck(p.AckID, answer, 0)
		s.sendShared(p, opts.Volatile, b)
		n++
	})
	acks.Expect(1)
	acks.ClientCount(n)
	srv.flushBatch(b)
}

// AddSockets implements Adapter for this node.
func (a *MemoryAdapter) AddSockets(opts *BroadcastOptions, rooms []string) {
	a.Apply(opts, func(s *Socket) { a.AddAll(s, rooms) })
}

// DelSockets implements Adapter for this node.
func (a *MemoryAdapter) DelSockets(opts *BroadcastOptions, rooms []string) {
	a.Apply(opts, func(s *Socket) {
		for _, r := range rooms {
			a.Del(s, r)
		}
	})
}

// DisconnectSockets implements Adapter for this node.
func (a *MemoryAdapter) DisconnectSockets(opts *BroadcastOptions, close bool) {
	var list []*Socket
	a.Apply(opts, func(s *Socket) { list = append(list, s) })
	for _, s := range list {
		s.Disconnect(close)
	}
}

// FetchSockets implements Adapter for this node.
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts *BroadcastOptions) ([]*RemoteSocket, error) {
	var out []*RemoteSocket
	a.Apply(opts, func(s *Socket) { out = append(out, remoteOf(s)) })
	return out, nil
}

// ServerSideEmit implements Adapter: there are no other nodes (an ack
// gets no answers at once).
func (a *MemoryAdapter) ServerSideEmit(_ string, _ []any, ack MultiAckFunc) error {
	if ack != nil {
		ack(nil, nil)
	}
	return nil
}

// ServerCount implements Adapter: 1.
func (a *MemoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

// Close implements Adapter.
func (a *MemoryAdapter) Close() {}
