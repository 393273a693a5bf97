package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/sio/parser"
)

// Message types of the cluster protocol (socket.io-adapter's
// ClusterAdapter), spoken by the Node createShardedAdapter.
const (
	cmInitialHeartbeat = iota + 1
	cmHeartbeat
	cmBroadcast
	cmSocketsJoin
	cmSocketsLeave
	cmDisconnectSockets
	cmFetchSockets
	cmFetchSocketsResponse
	cmServerSideEmit
	cmServerSideEmitResponse
	cmBroadcastClientCount
	cmBroadcastAck
	cmAdapterClose
)

// sharded is the protocol of the Node createShardedAdapter: every message
// is {type, data, uid, nsp}, JSON (msgpack when it carries binary), sent
// with SPUBLISH on K#<nsp># (requests and broadcasts), K#<nsp>#<uid>#
// (answers to node uid) and, in the dynamic modes, K#<nsp>#<room># for a
// broadcast to exactly one room. The node count is PUBSUB SHARDNUMSUB of
// K#<nsp>#.
type sharded struct {
	id, nsp, mode string
	ch, resCh     string
	rooms         *roomSubs // dynamic modes
}

func newSharded(nsp, key, mode string) *sharded {
	w := &sharded{id: newHexID(), nsp: nsp, mode: mode, ch: key + "#" + nsp + "#"}
	w.resCh = w.ch + w.id + "#"
	return w
}

func (w *sharded) uid() string       { return w.id }
func (w *sharded) requestID() string { return newHexID() }

func (w *sharded) subscribe(ctx context.Context, c goredis.UniversalClient) *goredis.PubSub {
	return c.SSubscribe(ctx, w.ch, w.resCh)
}

func (w *sharded) publish(ctx context.Context, c goredis.Cmdable, ch string, msg []byte) *goredis.IntCmd {
	return c.SPublish(ctx, ch, msg)
}

func (w *sharded) serverCount(ctx context.Context, c goredis.UniversalClient) (int, error) {
	m, err := c.PubSubShardNumSub(ctx, w.ch).Result()
	if err != nil {
		return 0, err
	}
	return int(m[w.ch]), nil
}

// roomChannel is the channel of a room in the dynamic modes.
func (w *sharded) roomChannel(room string) string { return w.ch + room + "#" }

// looksLikeSocketID is the Node adapter's test for a socket's own room.
func looksLikeSocketID(room string) bool { return len(room) == 20 }

// roomSubs keeps, in the dynamic modes, one subscription per room with
// sockets here: the room events of the in-memory adapter mark what is
// wanted (they run under its lock: no network there), and reconcile brings
// the subscriptions in line, in order: on a goroutine of its own for
// rooms joined by the application, and at once on the receiving goroutine
// after a request from another node (a remote join followed by a
// broadcast to that room then finds the subscription up, which Node's
// adapter does not ensure).
type roomSubs struct {
	mu   sync.Mutex
	want map[string]bool
	kick chan struct{}

	subMu      sync.Mutex // held while subscribing
	subscribed map[string]bool
}

func (w *sharded) watchRooms(a *Adapter) {
	if w.mode == Static {
		return
	}
	r := &roomSubs{want: map[string]bool{}, kick: make(chan struct{}, 1), subscribed: map[string]bool{}}
	w.rooms = r
	a.MemoryAdapter.OnRoomEvent(func(ev sio.RoomEvent, room, sid string) {
		switch ev {
		case sio.RoomJoined:
			if room != sid || w.mode == DynamicPrivate {
				r.mark(room, true)
			}
		case sio.RoomDeleted:
			r.mark(room, false)
		}
	})
	a.done.Add(1)
	go func() {
		defer a.done.Done()
		for {
			select {
			case <-a.ctx.Done():
				return
			case <-r.kick:
				w.settle(a)
			}
		}
	}()
}

func (r *roomSubs) mark(room string, on bool) {
	r.mu.Lock()
	r.want[room] = on
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// settle subscribes to the rooms marked since the last call (and
// unsubscribes from the deleted ones).
func (w *sharded) settle(a *Adapter) {
	r := w.rooms
	if r == nil {
		return
	}
	r.subMu.Lock()
	defer r.subMu.Unlock()
	r.mu.Lock()
	if len(r.want) == 0 {
		r.mu.Unlock()
		return
	}
	changes := r.want
	r.want = map[string]bool{}
	r.mu.Unlock()
	for room, on := range changes {
		if on == r.subscribed[room] {
			continue
		}
		var err error
		if on {
			err = a.ps.SSubscribe(a.ctx, w.roomChannel(room))
			r.subscribed[room] = true
		} else {
			err = a.ps.SUnsubscribe(a.ctx, w.roomChannel(room))
			delete(r.subscribed, room)
		}
		if err != nil && a.ctx.Err() == nil {
			a.report(fmt.Errorf("redis adapter %s: (un)subscribing room %q: %w", a.nsp.Name(), room, err))
		}
	}
}

// clusterMessage is the envelope of the cluster protocol, in its key
// order.
type clusterMessage struct {
	Type int    `json:"type"`
	Data any    `json:"data"`
	UID  string `json:"uid"`
	Nsp  string `json:"nsp"`
}

// encode makes a message of type t; data's JSON may hold placeholders for
// atts, in which case the whole message goes as msgpack (bin in place of
// the placeholders), as the Node adapter sends binary.
func (w *sharded) encode(ch string, t int, data any, atts [][]byte) (string, []byte, error) {
	msg, err := jsonMarshal(clusterMessage{Type: t, Data: data, UID: w.id, Nsp: w.nsp})
	if err != nil || len(atts) == 0 {
		return ch, msg, err
	}
	msg, err = AppendMsgpack(nil, msg, atts)
	return ch, msg, err
}

type clusterPacket struct {
	Type int     `json:"type"`
	Data rawJSON `json:"data"`
}

func optsOf(b *Broadcast, timeoutMs int64) wireOpts {
	return wireOpts{Rooms: nonNil(b.Rooms), Except: nonNil(b.Except), Flags: &wireFlags{Volatile: b.Volatile, Timeout: timeoutMs}}
}

func (w *sharded) broadcast(b *Broadcast) (string, []byte, error) {
	ch := w.ch
	if len(b.Rooms) == 1 && (w.mode == Dynamic && !looksLikeSocketID(b.Rooms[0]) || w.mode == DynamicPrivate) {
		ch = w.roomChannel(b.Rooms[0])
	}
	return w.encode(ch, cmBroadcast, map[string]any{"packet": clusterPacket{2, b.Data}, "opts": optsOf(b, 0)}, b.Attachments)
}

func (w *sharded) ackBroadcast(b *Broadcast, id string, timeoutMs int64) (string, []byte, error) {
	return w.encode(w.ch, cmBroadcast, map[string]any{"packet": clusterPacket{2, b.Data}, "requestId": id, "opts": optsOf(b, timeoutMs)}, b.Attachments)
}

func (w *sharded) roomsOp(op int, opts *sio.BroadcastOptions, rooms []string, close bool) (string, []byte, error) {
	o := wireOf(opts)
	o.Flags = &wireFlags{}
	switch op {
	case opJoin:
		return w.encode(w.ch, cmSocketsJoin, map[string]any{"opts": o, "rooms": rooms}, nil)
	case opLeave:
		return w.encode(w.ch, cmSocketsLeave, map[string]any{"opts": o, "rooms": rooms}, nil)
	}
	return w.encode(w.ch, cmDisconnectSockets, map[string]any{"opts": o, "close": close}, nil)
}

func (w *sharded) fetch(opts *sio.BroadcastOptions, id string) (string, []byte, error) {
	o := wireOf(opts)
	o.Flags = &wireFlags{}
	return w.encode(w.ch, cmFetchSockets, map[string]any{"opts": o, "requestId": id}, nil)
}

func (w *sharded) serverSideEmit(args []any, id string) (string, []byte, error) {
	data, atts, err := parser.AppendEventArgs(nil, args, nil)
	if err != nil {
		return "", nil, err
	}
	d := map[string]any{"packet": rawJSON(data)}
	if id != "" {
		d["requestId"] = id
	}
	return w.encode(w.ch, cmServerSideEmit, d, atts)
}

func (w *sharded) answerFetch(to, id string, sockets []*sio.RemoteSocket) (string, []byte, error) {
	return w.encode(to, cmFetchSocketsResponse, map[string]any{"requestId": id, "sockets": sockets}, nil)
}

func (w *sharded) answerServerSideEmit(to, id string, v []byte) (string, []byte, error) {
	return w.encode(to, cmServerSideEmitResponse, map[string]any{"requestId": id, "packet": rawJSON(orNull(v))}, nil)
}

func (w *sharded) answerClientCount(to, id string, n int) (string, []byte, error) {
	return w.encode(to, cmBroadcastClientCount, map[string]any{"requestId": id, "clientCount": n}, nil)
}

func (w *sharded) answerAck(to, id string, v []byte, atts [][]byte) (string, []byte, error) {
	return w.encode(to, cmBroadcastAck, map[string]any{"requestId": id, "packet": rawJSON(orNull(v))}, atts)
}

var errUnsupported = errors.New("not part of the sharded protocol")

func (w *sharded) answerIDs(string, string, string, []string) (string, []byte, error) {
	return "", nil, errUnsupported
}

func orNull(v []byte) []byte {
	if len(v) == 0 {
		return []byte("null")
	}
	return v
}

// clusterIn is a decoded cluster message.
type clusterIn struct {
	UID  string `json:"uid"`
	Nsp  string `json:"nsp"`
	Type int    `json:"type"`
	Data struct {
		RequestID   string    `json:"requestId"`
		Packet      rawJSON   `json:"packet"`
		Opts        *wireOpts `json:"opts"`
		Rooms       []string  `json:"rooms"`
		Close       bool      `json:"close"`
		Sockets     []rawJSON `json:"sockets"`
		ClientCount int       `json:"clientCount"`
	} `json:"data"`
}

func (w *sharded) decode(_ *Adapter, ch string, p []byte) *message {
	var atts [][]byte
	if len(p) > 0 && p[0] != '{' {
		j, _, err := AppendJSON(nil, p, &atts)
		if err != nil {
			return nil
		}
		p = j
	}
	var r clusterIn
	if jsonUnmarshal(p, &r) != nil || r.Nsp != w.nsp {
		return nil
	}
	d := &r.Data
	m := &message{uid: r.UID, requestID: d.RequestID, replyTo: w.ch + r.UID + "#", rooms: nonNil(d.Rooms), close: d.Close, atts: atts}
	if d.Opts != nil {
		m.opts.Rooms, m.opts.Except = d.Opts.Rooms, d.Opts.Except
	}
	if ch == w.resCh {
		switch r.Type {
		case cmFetchSocketsResponse:
			m.op, m.sockets = resFetch, d.Sockets
		case cmServerSideEmitResponse:
			m.op, m.data = resServerSideEmit, d.Packet
		case cmBroadcastClientCount:
			m.op, m.count = resClientCount, d.ClientCount
		case cmBroadcastAck:
			m.op, m.data = resAck, d.Packet
		default:
			return nil
		}
		return m
	}
	switch r.Type {
	case cmBroadcast:
		var pk clusterPacket
		if jsonUnmarshal(d.Packet, &pk) != nil || len(pk.Data) == 0 || pk.Data[0] != '[' {
			return nil
		}
		m.op = opBroadcast
		if d.RequestID != "" {
			m.op = opAckBroadcast
		}
		m.b = Broadcast{UID: r.UID, Nsp: r.Nsp, Data: pk.Data, Attachments: atts, Rooms: m.opts.Rooms, Except: m.opts.Except}
		if d.Opts != nil && d.Opts.Flags != nil {
			m.b.Volatile = d.Opts.Flags.Volatile
		}
	case cmSocketsJoin:
		m.op = opJoin
	case cmSocketsLeave:
		m.op = opLeave
	case cmDisconnectSockets:
		m.op = opDisconnect
	case cmFetchSockets:
		m.op = opFetch
	case cmServerSideEmit:
		if len(d.Packet) == 0 || d.Packet[0] != '[' {
			return nil
		}
		m.op, m.data = opServerSideEmit, d.Packet
	default:
		return nil // heartbeats and closes: this protocol counts nodes with Redis
	}
	if d.Opts == nil && (m.op == opJoin || m.op == opLeave || m.op == opDisconnect || m.op == opFetch) {
		return nil
	}
	return m
}
