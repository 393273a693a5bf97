package admin

import (
	"context"
	"time"

	"github.com/bytedance/sonic"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/sio/parser"
)

// notify queues fn for the development goroutine; dropped (and counted)
// when the queue is full, so that the server never waits for the UI.
func (a *Instrumentation) notify(fn func()) {
	select {
	case a.dev <- fn:
	default:
		a.dropped.Add(1)
	}
}

// runDev runs the development notices in order. It alone touches
// bySession.
func (a *Instrumentation) runDev() {
	defer a.done.Done()
	for {
		select {
		case fn := <-a.dev:
			fn()
		case <-a.stop:
			return
		}
	}
}

// devObserver is the development mode's observer: sessions as in
// production, plus sockets, rooms and events.
type devObserver struct {
	sessionObserver
	a *Instrumentation
	// bySession: the sockets of each Engine.IO session, for the
	// "socket_updated" of an upgrade (dev goroutine only).
	bySession map[*eio.Session][]*sio.Socket
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

func (o *devObserver) init() {
	o.sessionObserver.a = o.a
	o.bySession = make(map[*eio.Session][]*sio.Socket)
}

func (o *devObserver) SessionUpgraded(sess *eio.Session) {
	o.sessionObserver.SessionUpgraded(sess)
	o.a.notify(func() {
		for _, s := range o.bySession[sess] {
			o.a.broadcast("socket_updated", socketUpdate{ID: s.ID(), Nsp: s.Namespace().Name(), Transport: "websocket"})
		}
	})
}

type socketUpdate struct {
	ID        string `json:"id"`
	Nsp       string `json:"nsp"`
	Transport string `json:"transport"`
}

// SocketConnected describes the socket at once, on its own goroutine and
// before the connection handlers run (as Node's admin does): its data as
// the middlewares left it, its own room.
func (o *devObserver) SocketConnected(s *sio.Socket) {
	ts, ser := now(), serialize(s)
	o.a.notify(func() {
		sess := s.Session()
		o.bySession[sess] = append(o.bySession[sess], s)
		o.a.broadcast("socket_connected", ser, ts)
	})
}

func (o *devObserver) SocketDisconnected(s *sio.Socket, reason string) {
	ts := now()
	o.a.notify(func() {
		sess := s.Session()
		list := o.bySession[sess]
		for i, x := range list {
			if x == s {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(o.bySession, sess)
		} else {
			o.bySession[sess] = list
		}
		o.a.broadcast("socket_disconnected", s.Namespace().Name(), s.ID(), reason, ts)
	})
}

func (o *devObserver) RoomJoined(n *sio.Namespace, room, id string) {
	ts := now()
	o.a.notify(func() { o.a.broadcast("room_joined", n.Name(), room, id, ts) })
}

func (o *devObserver) RoomLeft(n *sio.Namespace, room, id string) {
	ts := now()
	o.a.notify(func() { o.a.broadcast("room_left", n.Name(), room, id, ts) })
}

func (o *devObserver) EventReceived(s *sio.Socket, event string, args [][]byte) {
	o.event("event_received", s, event, args)
}

func (o *devObserver) EventSent(s *sio.Socket, event string, args [][]byte) {
	o.event("event_sent", s, event, args)
}

// event reports an event of a socket outside the admin namespace (as
// Node's admin: the UI's own traffic is not shown), its arguments copied
// into one JSON array led by the event name.
func (o *devObserver) event(kind string, s *sio.Socket, event string, args [][]byte) {
	if s.Namespace() == o.a.nsp {
		return
	}
	b := append(make([]byte, 0, 64), '[')
	b = parser.AppendJSONString(b, event)
	for _, x := range args {
		b = append(b, ',')
		b = append(b, x...)
	}
	b = append(b, ']')
	ts := now()
	o.a.notify(func() { o.a.broadcast(kind, s.Namespace().Name(), s.ID(), sio.RawJSON(b), ts) })
}

// serializedSocket is a socket as the UI shows it.
type serializedSocket struct {
	ID        string              `json:"id"`
	ClientID  string              `json:"clientId"`
	Transport string              `json:"transport"`
	Nsp       string              `json:"nsp"`
	Data      sio.RawJSON         `json:"data"`
	Handshake serializedHandshake `json:"handshake"`
	Rooms     []string            `json:"rooms"`
}

type serializedHandshake struct {
	Address string         `json:"address"`
	Headers map[string]any `json:"headers"`
	Query   map[string]any `json:"query"`
	Issued  int64          `json:"issued"`
	Secure  bool           `json:"secure"`
	Time    string         `json:"time"`
	URL     string         `json:"url"`
	XDomain bool           `json:"xdomain"`
	// the CONNECT payload (auth) is left out, as by Node's admin
}

// serialize describes a socket of this node.
func serialize(s *sio.Socket) serializedSocket {
	sess := s.Session()
	cid := sess.ID()
	if len(cid) > 12 {
		cid = cid[:12] // as Node's admin: the full id is sensitive
	}
	data := s.Data
	if _, own := data.(*adminSocket); own {
		data = nil
	}
	return serializeInfo(s.ID(), s.Namespace().Name(), s.Handshake().Info(), s.Rooms(), data, cid, sess.Transport())
}

// serializeRemote describes a socket FetchSockets returned: of this node,
// or of another one (a Node.js node's admin keeps the client id and the
// transport in the socket's data, under "_admin"; a Go node's are not
// known there).
func serializeRemote(r *sio.RemoteSocket, nsp string) serializedSocket {
	if s := r.Local(); s != nil {
		return serialize(s)
	}
	var cid, transport string
	if m, ok := r.Data.(map[string]any); ok {
		if a, ok := m["_admin"].(map[string]any); ok {
			cid, _ = a["clientId"].(string)
			transport, _ = a["transport"].(string)
		}
	}
	return serializeInfo(r.ID, nsp, r.Handshake, r.Rooms, r.Data, cid, transport)
}

func serializeInfo(id, nsp string, hs sio.HandshakeInfo, rooms []string, data any, cid, transport string) serializedSocket {
	addr := hs.Address
	if v, ok := hs.Headers["x-forwarded-for"].(string); ok && v != "" {
		addr = v
	}
	if v, ok := hs.Headers["cf-connecting-ip"].(string); ok && v != "" {
		addr = v
	}
	if hs.Headers == nil {
		hs.Headers = map[string]any{}
	}
	if hs.Query == nil {
		hs.Query = map[string]any{}
	}
	return serializedSocket{
		ID:        id,
		ClientID:  cid,
		Transport: transport,
		Nsp:       nsp,
		Data:      serializeData(data),
		Handshake: serializedHandshake{
			Address: addr,
			Headers: hs.Headers,
			Query:   hs.Query,
			Issued:  hs.Issued,
			Secure:  hs.Secure,
			Time:    hs.Time,
			URL:     hs.URL,
			XDomain: hs.XDomain,
		},
		Rooms: rooms,
	}
}

// serializeData is the socket's data as JSON, without the "_admin" member
// Node's admin keeps there; {} when absent or not encodable.
func serializeData(data any) sio.RawJSON {
	if m, ok := data.(map[string]any); ok {
		if _, has := m["_admin"]; has {
			c := make(map[string]any, len(m))
			for k, v := range m {
				if k != "_admin" {
					c[k] = v
				}
			}
			data = c
		}
	}
	if data == nil {
		return sio.RawJSON("{}")
	}
	b, err := sonic.ConfigStd.Marshal(data)
	if err != nil || len(b) == 0 || b[0] != '{' {
		return sio.RawJSON("{}")
	}
	return b
}

// allSockets serializes the sockets of every namespace, on every node
// the adapter reaches (FetchSockets; this node's alone if the cluster
// does not answer in time).
func (a *Instrumentation) allSockets() []serializedSocket {
	out := []serializedSocket{}
	for _, n := range a.srv.Namespaces() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rs, err := n.FetchSockets(ctx)
		cancel()
		if err != nil {
			for _, s := range n.In().LocalSockets() {
				out = append(out, serialize(s))
			}
			continue
		}
		for _, r := range rs {
			out = append(out, serializeRemote(r, n.Name()))
		}
	}
	return out
}
