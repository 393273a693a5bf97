package admin

import (
	"net/http"
	"strings"
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

func (o *devObserver) SocketConnected(s *sio.Socket) {
	ts := now()
	o.a.notify(func() {
		sess := s.Session()
		o.bySession[sess] = append(o.bySession[sess], s)
		o.a.broadcast("socket_connected", serialize(s), ts)
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
	Address string            `json:"address"`
	Headers map[string]string `json:"headers"`
	Query   map[string]string `json:"query"`
	Issued  int64             `json:"issued"`
	Secure  bool              `json:"secure"`
	Time    string            `json:"time"`
	URL     string            `json:"url"`
	XDomain bool              `json:"xdomain"`
}

func serialize(s *sio.Socket) serializedSocket {
	sess := s.Session()
	cid := sess.ID()
	if len(cid) > 12 {
		cid = cid[:12] // as Node's admin: the full id is sensitive
	}
	h := s.Handshake()
	headers := flatten(h.Headers())
	addr := headers["cf-connecting-ip"]
	if addr == "" {
		addr = headers["x-forwarded-for"]
	}
	if addr == "" {
		addr = h.Address()
	}
	query := make(map[string]string)
	for k, v := range h.Query() {
		if len(v) > 0 {
			query[k] = v[0]
		}
	}
	data := sio.RawJSON("{}")
	if _, own := s.Data.(*adminSocket); !own && s.Data != nil {
		if b, err := sonic.ConfigStd.Marshal(s.Data); err == nil {
			data = b
		}
	}
	return serializedSocket{
		ID:        s.ID(),
		ClientID:  cid,
		Transport: sess.Transport(),
		Nsp:       s.Namespace().Name(),
		Data:      data,
		Handshake: serializedHandshake{
			Address: addr,
			Headers: headers,
			Query:   query,
			Issued:  h.Issued(),
			Secure:  h.Secure(),
			Time:    h.Time().Format("Mon Jan 02 2006 15:04:05 GMT-0700 (MST)"),
			URL:     h.URL(),
			XDomain: h.XDomain(),
		},
		Rooms: s.Rooms(),
	}
}

// flatten gives headers as Node does: lower-case names, values joined.
func flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return out
}

// allSockets serializes the sockets of every namespace of this node.
func (a *Instrumentation) allSockets() []serializedSocket {
	out := []serializedSocket{}
	for _, n := range a.srv.Namespaces() {
		for _, s := range n.FetchSockets() {
			out = append(out, serialize(s))
		}
	}
	return out
}
