package sio

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sioloop/sioloop/eio"
)

// Observer watches a server from outside: the Admin UI's server side
// (package admin) and the Prometheus exporter (package metrics) are
// observers, so the core imports neither. Attach one with Server.Observe.
//
// While at least one observer is attached, the server also counts the
// packets and bytes it reads and writes (Server.Stats): a few atomic
// additions per packet. With none attached nothing is counted and no
// callback is made: the cost is one pointer load per packet.
//
// The session callbacks come once per Engine.IO session, for every
// observer. The socket, event and room callbacks are the detailed ones:
// made only for observers attached with detailed true (the Admin UI's
// development mode), since an event callback costs something per event.
// Callbacks run on the goroutine that caused them (an event loop, a
// worker, the application's own), with no server lock held except where
// noted; they must be quick and must not block. Embed NopObserver to
// implement only some of them.
type Observer interface {
	// SessionOpened: a new Engine.IO session (Node: the engine's
	// "connection" event), before its open packet is sent;
	// Session.Transport tells its first transport.
	SessionOpened(sess *eio.Session)
	// SessionUpgraded: the session moved from polling to WebSocket.
	SessionUpgraded(sess *eio.Session)
	// SessionClosed: the session ended with reason (Node: the engine
	// socket's "close"), before its sockets' disconnect handlers run.
	SessionClosed(sess *eio.Session, reason string)

	// SocketConnected (detailed): s joined its namespace, before the
	// namespace's connection handlers run.
	SocketConnected(s *Socket)
	// SocketDisconnected (detailed): s left its namespace (its rooms
	// already left), before its disconnect handlers run.
	SocketDisconnected(s *Socket, reason string)
	// EventReceived and EventSent (detailed): an event from the client, or
	// one emitted to this socket alone (not broadcasts, as with Node's
	// onAnyOutgoing). args are the raw JSON arguments, event name
	// excluded, valid until the call returns.
	EventReceived(s *Socket, event string, args [][]byte)
	EventSent(s *Socket, event string, args [][]byte)
	// RoomJoined and RoomLeft (detailed): socket id joined or left room of
	// nsp, its own room included. They run with the namespace adapter's
	// lock held (an adapter that does not embed MemoryAdapter reports
	// none): do not call back into that namespace from them.
	RoomJoined(nsp *Namespace, room, id string)
	RoomLeft(nsp *Namespace, room, id string)
}

// NopObserver implements Observer with methods that do nothing: embed it
// and override what you need.
type NopObserver struct{}

func (NopObserver) SessionOpened(*eio.Session)                 {}
func (NopObserver) SessionUpgraded(*eio.Session)               {}
func (NopObserver) SessionClosed(*eio.Session, string)         {}
func (NopObserver) SocketConnected(*Socket)                    {}
func (NopObserver) SocketDisconnected(*Socket, string)         {}
func (NopObserver) EventReceived(*Socket, string, [][]byte)    {}
func (NopObserver) EventSent(*Socket, string, [][]byte)        {}
func (NopObserver) RoomJoined(nsp *Namespace, room, id string) {}
func (NopObserver) RoomLeft(nsp *Namespace, room, id string)   {}

// Transport indexes of Stats.
const (
	TransportPolling   = 0
	TransportWebSocket = 1
)

// TransportStats are the Engine.IO message packets one transport carried
// and their payload bytes (a Socket.IO packet and each of its binary
// attachments are one packet each; pings are not counted), as the Admin
// UI's packetsIn/Out and bytesIn/Out count them.
type TransportStats struct {
	PacketsIn, PacketsOut int64
	BytesIn, BytesOut     int64
}

// Stats are the running totals counted while an observer is attached
// (Server.Observe); zero when none ever was.
type Stats struct {
	// Transports: [TransportPolling] and [TransportWebSocket].
	Transports [2]TransportStats
	// Broadcasts is the number of broadcasts that reached at least one
	// local socket; Deliveries the sockets they reached.
	Broadcasts, Deliveries int64
	// VolatileDropped is the number of volatile packets dropped for
	// sockets not ready to take them: polling ones without a waiting GET
	// (counted while observed), and WebSocket ones with output still
	// waiting for the kernel on the event loops of ListenAndServe
	// (counted by the loops from the start; a loop.Server mounted by hand
	// tells its own: loop.Server.VolatileDropped).
	VolatileDropped int64
	// Writes is the number of network writes of the event loops
	// (loop.Server.Writes; 0 in net/http mode): packets out divided by
	// Writes is the frames per write.
	Writes int64
}

// counterLine is one transport's counts in one direction, alone on its
// cache line.
type counterLine struct {
	packets, bytes atomic.Int64
	_              [48]byte
}

type counters struct {
	in, out                [2]counterLine
	broadcasts, deliveries atomic.Int64
	volatiles              atomic.Int64
}

// observers is the attached set, replaced whole on every change (readers
// load it with one atomic load).
type observers struct {
	all      []Observer
	detailed []Observer
}

// obsState is the Server's observation state.
type obsState struct {
	list  atomic.Pointer[observers] // nil: none attached, nothing counted
	mu    sync.Mutex                // writers of list
	rooms bool                      // the room forwarders are installed (under mu)
	fwd   sync.Map                  // *Namespace → struct{}: its forwarder is installed
	ctr   counters
}

// Observe attaches o (see Observer) and returns the function that
// detaches it. With detailed, o also gets the per-socket, per-event and
// per-room callbacks. Any goroutine, any time.
func (s *Server) Observe(o Observer, detailed bool) (detach func()) {
	st := &s.obs
	st.mu.Lock()
	next := &observers{}
	if cur := st.list.Load(); cur != nil {
		*next = *cur
	}
	next.all = append(slices.Clip(next.all), o)
	if detailed {
		next.detailed = append(slices.Clip(next.detailed), o)
	}
	st.list.Store(next)
	install := detailed && !st.rooms
	st.rooms = st.rooms || detailed
	st.mu.Unlock()
	if install {
		s.OnNewNamespace(s.forwardRooms)
		for _, n := range s.Namespaces() {
			s.forwardRooms(n)
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			st.mu.Lock()
			defer st.mu.Unlock()
			cur := st.list.Load()
			next := &observers{
				all:      deleteFirst(cur.all, o),
				detailed: cur.detailed,
			}
			if detailed {
				next.detailed = deleteFirst(cur.detailed, o)
			}
			if len(next.all) == 0 {
				next = nil
			}
			st.list.Store(next)
		})
	}
}

func deleteFirst(list []Observer, o Observer) []Observer {
	out := slices.Clone(list)
	if i := slices.Index(out, o); i >= 0 {
		out = slices.Delete(out, i, i+1)
	}
	return out
}

// forwardRooms passes nsp's room events to the detailed observers, when
// its adapter reports them (MemoryAdapter, and adapters embedding it).
func (s *Server) forwardRooms(nsp *Namespace) {
	ra, ok := nsp.adapter.(interface {
		OnRoomEvent(fn func(ev RoomEvent, room string, socketID string))
	})
	if !ok {
		return
	}
	if _, dup := s.obs.fwd.LoadOrStore(nsp, struct{}{}); dup {
		return
	}
	ra.OnRoomEvent(func(ev RoomEvent, room, id string) {
		if ev != RoomJoined && ev != RoomLeft {
			return
		}
		o := s.obs.list.Load()
		if o == nil {
			return
		}
		for _, x := range o.detailed {
			if ev == RoomJoined {
				x.RoomJoined(nsp, room, id)
			} else {
				x.RoomLeft(nsp, room, id)
			}
		}
	})
}

// Stats returns the totals counted so far (see Stats).
func (s *Server) Stats() Stats {
	c := &s.obs.ctr
	var st Stats
	for t := range st.Transports {
		st.Transports[t] = TransportStats{
			PacketsIn:  c.in[t].packets.Load(),
			PacketsOut: c.out[t].packets.Load(),
			BytesIn:    c.in[t].bytes.Load(),
			BytesOut:   c.out[t].bytes.Load(),
		}
	}
	st.Broadcasts = c.broadcasts.Load()
	st.Deliveries = c.deliveries.Load()
	st.VolatileDropped = c.volatiles.Load()
	s.lmu.Lock()
	ls := s.loop
	s.lmu.Unlock()
	if ls != nil {
		st.VolatileDropped += ls.VolatileDropped()
		st.Writes = ls.Writes()
	}
	return st
}

// observing reports whether anything is attached (counting is on).
func (s *Server) observing() bool { return s.obs.list.Load() != nil }

// detailed returns the detailed observers, or nil.
func (s *Server) detailed() []Observer {
	if o := s.obs.list.Load(); o != nil {
		return o.detailed
	}
	return nil
}

// transportOf is sess's Stats index, without the session lock for a v4
// session.
func transportOf(sess *eio.Session) int {
	if sess.Direct() != nil {
		return TransportWebSocket
	}
	if sess.Protocol() == 3 && sess.Transport() == "websocket" {
		return TransportWebSocket
	}
	return TransportPolling
}

// countIn counts one packet read from sess (when observed).
func (s *Server) countIn(sess *eio.Session, n int) {
	if !s.observing() {
		return
	}
	l := &s.obs.ctr.in[transportOf(sess)]
	l.packets.Add(1)
	l.bytes.Add(int64(n))
}

// countOut counts a packet and its attachments written to sess.
func (s *Server) countOut(sess *eio.Session, text []byte, atts [][]byte) {
	if !s.observing() {
		return
	}
	n := len(text)
	for _, a := range atts {
		n += len(a)
	}
	l := &s.obs.ctr.out[transportOf(sess)]
	l.packets.Add(int64(1 + len(atts)))
	l.bytes.Add(int64(n))
}

// countDropped counts a volatile packet dropped by sio itself.
func (s *Server) countDropped() {
	if s.observing() {
		s.obs.ctr.volatiles.Add(1)
	}
}

// countShared counts the WebSocket recipients of a broadcast (ws of
// recipients, all transports) at once, when its packet is released.
func (s *Server) countShared(e *Encoded, recipients, ws int32) {
	if !s.observing() {
		return
	}
	c := &s.obs.ctr
	c.broadcasts.Add(1)
	c.deliveries.Add(int64(recipients))
	if ws == 0 {
		return
	}
	n, parts := len(e.Packet), 1+len(e.Attachments)
	for _, a := range e.Attachments {
		n += len(a)
	}
	if e.mp != nil { // ParserMsgpack: one message
		n, parts = len(e.mp), 1
	}
	l := &c.out[TransportWebSocket]
	l.packets.Add(int64(ws) * int64(parts))
	l.bytes.Add(int64(ws) * int64(n))
}

// OnUpgrade implements eio.UpgradeWatcher.
func (c *client) OnUpgrade(sess *eio.Session) {
	if o := c.srv.obs.list.Load(); o != nil {
		for _, x := range o.all {
			x.SessionUpgraded(sess)
		}
	}
}
