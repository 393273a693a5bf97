package redis

import (
	"context"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/sio"
)

// classic is the protocol of the Node createAdapter: broadcasts as
// msgpack [uid, packet, opts] on K#<nsp># (K#<nsp>#<room># for one room,
// received through a pattern subscription), requests as JSON (msgpack for
// a broadcast with acks) on K-request#<nsp>#, answers as JSON (msgpack for
// an acknowledgement) on K-response#<nsp># or K-response#<nsp>#<uid>#.
// The node count is PUBSUB NUMSUB of the request channel.
type classic struct {
	id                            string
	nsp                           string
	specific                      bool
	bcastCh, reqCh, resCh, specCh string
}

func newClassic(nsp string, o Options) *classic {
	w := &classic{id: newUID(), nsp: nsp, specific: o.PublishOnSpecificResponseChannel}
	w.bcastCh = o.Key + "#" + nsp + "#"
	w.reqCh = o.Key + "-request#" + nsp + "#"
	w.resCh = o.Key + "-response#" + nsp + "#"
	w.specCh = w.resCh + w.id + "#"
	return w
}

func (w *classic) uid() string       { return w.id }
func (w *classic) requestID() string { return newUID() }

func (w *classic) subscribe(ctx context.Context, c goredis.UniversalClient) *goredis.PubSub {
	ps := c.PSubscribe(ctx, w.bcastCh+"*")
	_ = ps.Subscribe(ctx, w.reqCh, w.resCh, w.specCh)
	return ps
}

func (w *classic) watchRooms(*Adapter) {}
func (w *classic) settle(*Adapter)     {}

func (w *classic) publish(ctx context.Context, c goredis.Cmdable, ch string, msg []byte) *goredis.IntCmd {
	return c.Publish(ctx, ch, msg)
}

func (w *classic) serverCount(ctx context.Context, c goredis.UniversalClient) (int, error) {
	m, err := c.PubSubNumSub(ctx, w.reqCh).Result()
	if err != nil {
		return 0, err
	}
	return int(m[w.reqCh]), nil
}

// replyTo is where answers to a request of node uid go.
func (w *classic) replyTo(uid string) string {
	if w.specific && uid != "" {
		return w.resCh + uid + "#"
	}
	return w.resCh
}

func (w *classic) broadcast(b *Broadcast) (string, []byte, error) {
	msg, err := AppendBroadcast(nil, b)
	ch := w.bcastCh
	if len(b.Rooms) == 1 {
		ch += b.Rooms[0] + "#"
	}
	return ch, msg, err
}

func (w *classic) ackBroadcast(b *Broadcast, id string, timeoutMs int64) (string, []byte, error) {
	msg, err := AppendAckRequest(nil, b, id, timeoutMs)
	return w.reqCh, msg, err
}

func (w *classic) json(ch string, v any) (string, []byte, error) {
	msg, err := jsonMarshal(v)
	return ch, msg, err
}

func (w *classic) roomsOp(op int, opts *sio.BroadcastOptions, rooms []string, close bool) (string, []byte, error) {
	m := map[string]any{"uid": w.id, "opts": wireOf(opts)}
	switch op {
	case opJoin:
		m["type"], m["rooms"] = reqRemoteJoin, rooms
	case opLeave:
		m["type"], m["rooms"] = reqRemoteLeave, rooms
	default:
		m["type"], m["close"] = reqRemoteDisconnect, close
	}
	return w.json(w.reqCh, m)
}

func (w *classic) fetch(opts *sio.BroadcastOptions, id string) (string, []byte, error) {
	return w.json(w.reqCh, map[string]any{"uid": w.id, "requestId": id, "type": reqRemoteFetch, "opts": wireOf(opts)})
}

// serverSideEmit: JSON, binary as Node's {"type":"Buffer","data":[…]}.
func (w *classic) serverSideEmit(args []any, id string) (string, []byte, error) {
	data, err := sio.AppendServerSideJSON(nil, args)
	if err != nil {
		return "", nil, err
	}
	m := map[string]any{"uid": w.id, "type": reqServerSideEmit, "data": rawJSON(data)}
	if id != "" {
		m["requestId"] = id
	}
	return w.json(w.reqCh, m)
}

func (w *classic) answerFetch(to, id string, sockets []*sio.RemoteSocket) (string, []byte, error) {
	return w.json(to, map[string]any{"requestId": id, "sockets": sockets})
}

// answerServerSideEmit: always the common channel, as the Node adapter.
func (w *classic) answerServerSideEmit(_, id string, v []byte) (string, []byte, error) {
	return w.json(w.resCh, map[string]any{"type": reqServerSideEmit, "requestId": id, "data": rawJSON(v)})
}

func (w *classic) answerClientCount(to, id string, n int) (string, []byte, error) {
	return w.json(to, map[string]any{"type": reqBroadcastClientCount, "requestId": id, "clientCount": n})
}

func (w *classic) answerAck(to, id string, v []byte, atts [][]byte) (string, []byte, error) {
	msg, err := AppendAckResponse(nil, id, v, atts)
	return to, msg, err
}

func (w *classic) answerIDs(to, id, key string, list []string) (string, []byte, error) {
	m := map[string]any{"requestId": id}
	if key != "" {
		m[key] = nonNil(list)
	}
	return w.json(to, m)
}

// classicJSON is any JSON request or answer of the classic protocol.
type classicJSON struct {
	UID         string    `json:"uid"`
	RequestID   string    `json:"requestId"`
	Type        *int      `json:"type"`
	Opts        *wireOpts `json:"opts"`
	Rooms       []string  `json:"rooms"`
	Close       bool      `json:"close"`
	Data        rawJSON   `json:"data"`
	SID         string    `json:"sid"`
	Room        string    `json:"room"`
	Sockets     []rawJSON `json:"sockets"`
	ClientCount int       `json:"clientCount"`
}

func (w *classic) decode(a *Adapter, ch string, p []byte) *message {
	switch {
	case ch == w.reqCh:
		return w.decodeRequest(p)
	case ch == w.resCh || ch == w.specCh:
		return w.decodeAnswer(p)
	case strings.HasPrefix(ch, w.bcastCh):
		room := strings.TrimSuffix(ch[len(w.bcastCh):], "#")
		if room != "" && a.RoomSize(room) == 0 {
			return nil // a room nobody here is in: not even decoded
		}
		b, err := ParseBroadcast(p)
		if err != nil || b.Nsp != w.nsp {
			return nil
		}
		return &message{op: opBroadcast, uid: b.UID, b: *b}
	}
	return nil
}

func (w *classic) decodeRequest(p []byte) *message {
	if len(p) > 0 && p[0] != '{' {
		r, err := parseMsgpackRequest(p)
		if err != nil || r.Type != reqBroadcast || r.Broadcast.Nsp != w.nsp {
			return nil
		}
		return &message{op: opAckBroadcast, uid: r.UID, requestID: r.RequestID, replyTo: w.replyTo(r.UID), b: r.Broadcast}
	}
	var r classicJSON
	if jsonUnmarshal(p, &r) != nil || r.Type == nil {
		return nil
	}
	m := &message{uid: r.UID, requestID: r.RequestID, replyTo: w.replyTo(r.UID), rooms: r.Rooms, close: r.Close, sid: r.SID, room: r.Room}
	if r.Opts != nil {
		m.opts.Rooms, m.opts.Except = r.Opts.Rooms, r.Opts.Except
	}
	switch *r.Type {
	case reqSockets:
		m.op, m.opts.Rooms = opSockets, r.Rooms
	case reqAllRooms:
		m.op = opAllRooms
	case reqRemoteJoin:
		m.op = opJoin
	case reqRemoteLeave:
		m.op = opLeave
	case reqRemoteDisconnect:
		m.op = opDisconnect
	case reqRemoteFetch:
		m.op = opFetch
	case reqServerSideEmit:
		m.op, m.data = opServerSideEmit, r.Data
	default:
		return nil
	}
	if (m.op == opSockets || m.op == opAllRooms || m.op == opFetch) && m.requestID == "" ||
		(m.op == opJoin || m.op == opLeave || m.op == opDisconnect) && r.Opts == nil && r.SID == "" ||
		m.op == opServerSideEmit && len(m.data) == 0 {
		return nil
	}
	return m
}

// decodeAnswer: the classic answers carry no operation of their own (a
// fetch answer is {requestId, sockets}); the request they answer tells.
func (w *classic) decodeAnswer(p []byte) *message {
	if len(p) > 0 && p[0] != '{' {
		r, err := parseMsgpackRequest(p)
		if err != nil || r.Type != reqBroadcastAck {
			return nil
		}
		return &message{op: resAck, requestID: r.RequestID, data: r.Ack, atts: r.AckAttachments}
	}
	var r classicJSON
	if jsonUnmarshal(p, &r) != nil || r.RequestID == "" {
		return nil
	}
	m := &message{requestID: r.RequestID}
	switch {
	case r.Type != nil && *r.Type == reqServerSideEmit:
		m.op, m.data = resServerSideEmit, r.Data
	case r.Type != nil && *r.Type == reqBroadcastClientCount:
		m.op, m.count = resClientCount, r.ClientCount
	case r.Sockets != nil:
		m.op, m.sockets = resFetch, r.Sockets
	default:
		m.op = resIDs
	}
	return m
}
