package redis

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/sonic"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/sio/parser"
)

// Options configures the adapter.
type Options struct {
	// Key prefixes the channels (default "socket.io", as the Node adapter).
	Key string
	// RequestsTimeout bounds how long FetchSockets and ServerSideEmit with
	// acks wait for the other nodes (default 5 s, as the Node adapter).
	RequestsTimeout time.Duration
	// PublishOnSpecificResponseChannel answers a request on the asking
	// node's own channel (K-response#<nsp>#<uid>#) instead of the common
	// one; the Node adapter's option of the same name. Every node of a
	// cluster must agree.
	PublishOnSpecificResponseChannel bool
	// PublishQueue bounds the messages waiting to be published (default
	// 4096): nothing waits for Redis; past the bound a message is dropped
	// and counted (Dropped), and OnError is told.
	PublishQueue int
	// OnError, when set, is told what could not be published or decoded
	// (rate-limited to one call per second per kind by the caller's own
	// means if needed). It runs on the adapter's goroutines: keep it short.
	OnError func(err error)
}

// Adapter is the classic Redis adapter for one namespace, wire-compatible
// with @socket.io/redis-adapter 8.3 (createAdapter), so Go and Node.js
// nodes serve one cluster. Rooms are kept in memory as by
// sio.MemoryAdapter; broadcasts go to the other nodes as msgpack on
// K#<nsp># (K#<nsp>#<room># for one room), requests as JSON (msgpack for
// broadcasts with acks) on K-request#<nsp>#, answers on K-response#<nsp>#.
//
// Nothing on an event loop waits for Redis: messages go through a bounded
// queue to one publishing goroutine, and are handled as they arrive on one
// receiving goroutine. Redis pub/sub delivers at most once: what is
// published while a connection is down is lost (counted when the publish
// fails here; a node that was disconnected misses what others sent).
type Adapter struct {
	*sio.MemoryAdapter
	nsp  *sio.Namespace
	c    goredis.UniversalClient
	uid  string
	opts Options

	bcastCh, reqCh, resCh, specCh string

	pub      chan published
	dropped  atomic.Int64
	timeouts atomic.Int64
	ps       *goredis.PubSub
	ctx      context.Context
	cancel   context.CancelFunc
	done     sync.WaitGroup

	mu       sync.Mutex
	requests map[string]*request
}

type published struct {
	channel string
	msg     []byte
}

// request is a request of this node waiting for answers.
type request struct {
	kind    int
	want    int // answers expected (fetch: nodes, self counted)
	got     int
	sockets []*sio.RemoteSocket
	answers []*sio.Args
	acks    sio.AckSink // broadcast with acks
	done    chan struct{}
	fn      sio.MultiAckFunc // server-side emit with ack
	timer   *time.Timer
}

// New returns the constructor of sio.Options.Adapter for a cluster on c.
func New(c goredis.UniversalClient, o *Options) func(nsp *sio.Namespace) sio.Adapter {
	opts := Options{}
	if o != nil {
		opts = *o
	}
	if opts.Key == "" {
		opts.Key = "socket.io"
	}
	if opts.PublishQueue <= 0 {
		opts.PublishQueue = 4096
	}
	if opts.RequestsTimeout <= 0 {
		opts.RequestsTimeout = 5 * time.Second
	}
	return func(nsp *sio.Namespace) sio.Adapter {
		ctx, cancel := context.WithCancel(context.Background())
		a := &Adapter{
			MemoryAdapter: sio.NewMemoryAdapter(nsp),
			nsp:           nsp,
			c:             c,
			uid:           newUID(),
			opts:          opts,
			pub:           make(chan published, opts.PublishQueue),
			ctx:           ctx,
			cancel:        cancel,
			requests:      make(map[string]*request),
		}
		k, n := opts.Key, nsp.Name()
		a.bcastCh = k + "#" + n + "#"
		a.reqCh = k + "-request#" + n + "#"
		a.resCh = k + "-response#" + n + "#"
		a.specCh = a.resCh + a.uid + "#"
		a.ps = c.PSubscribe(ctx, a.bcastCh+"*")
		_ = a.ps.Subscribe(ctx, a.reqCh, a.resCh, a.specCh)
		a.done.Add(2)
		go a.publishLoop()
		go a.receiveLoop()
		return a
	}
}

// newUID is a random id of 6 characters of [A-Za-z0-9], as the Node
// adapter's uid2(6) (node ids and request ids).
func newUID() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b[:])
}

// UID is this node's id in the cluster.
func (a *Adapter) UID() string { return a.uid }

// Dropped is how many messages (broadcasts, requests, answers) were not
// published: queue full, Redis failing, or not encodable.
func (a *Adapter) Dropped() int64 { return a.dropped.Load() }

// RequestTimeouts is how many requests of this node ended at their timeout
// with answers missing.
func (a *Adapter) RequestTimeouts() int64 { return a.timeouts.Load() }

func (a *Adapter) report(err error) {
	if a.opts.OnError != nil {
		a.opts.OnError(err)
	}
}

// publish queues msg for channel; it never waits.
func (a *Adapter) publish(channel string, msg []byte) {
	select {
	case a.pub <- published{channel, msg}:
	default:
		a.dropped.Add(1)
		a.report(fmt.Errorf("redis adapter %s: publish queue full (%d): message to %s dropped", a.nsp.Name(), cap(a.pub), channel))
	}
}

func (a *Adapter) publishLoop() {
	defer a.done.Done()
	for {
		select {
		case <-a.ctx.Done():
			return
		case p := <-a.pub:
			if err := a.c.Publish(a.ctx, p.channel, p.msg).Err(); err != nil && a.ctx.Err() == nil {
				a.dropped.Add(1)
				a.report(fmt.Errorf("redis adapter %s: publish to %s: %w", a.nsp.Name(), p.channel, err))
			}
		}
	}
}

// publishJSON queues v, marshalled, for channel.
func (a *Adapter) publishJSON(channel string, v any) {
	b, err := jsonMarshal(v)
	if err != nil {
		a.dropped.Add(1)
		a.report(err)
		return
	}
	a.publish(channel, b)
}

// responseChannel is where answers to a request of node uid go.
func (a *Adapter) responseChannel(uid string) string {
	if a.opts.PublishOnSpecificResponseChannel && uid != "" {
		return a.resCh + uid + "#"
	}
	return a.resCh
}

// --- broadcasts ---

// Broadcast delivers p to the local sockets and, unless opts.Local,
// publishes it for the other nodes (encoded once).
func (a *Adapter) Broadcast(p *sio.Encoded, opts *sio.BroadcastOptions) {
	a.MemoryAdapter.Broadcast(p, opts)
	if opts.Local {
		return
	}
	b, ok := a.broadcastOf(p, opts)
	if !ok {
		return
	}
	msg, err := AppendBroadcast(nil, b)
	if err != nil {
		a.dropped.Add(1)
		return
	}
	ch := a.bcastCh
	if len(opts.Rooms) == 1 {
		ch += opts.Rooms[0] + "#"
	}
	a.publish(ch, msg)
}

// broadcastOf describes p for the other nodes.
func (a *Adapter) broadcastOf(p *sio.Encoded, opts *sio.BroadcastOptions) (*Broadcast, bool) {
	pk, err := parser.ParsePacket(p.Packet)
	if err != nil {
		a.dropped.Add(1)
		return nil, false
	}
	b := &Broadcast{UID: a.uid, Nsp: a.nsp.Name(), Data: pk.Data, Attachments: p.Attachments,
		Rooms: opts.Rooms, Except: opts.Except, Volatile: opts.Volatile}
	if b.Rooms == nil {
		b.Rooms = []string{}
	}
	return b, true
}

// BroadcastWithAck sends p to the matching sockets of every node and
// reports every node's count and every answer to acks. The other nodes
// answer with the first argument of each acknowledgement (that is all the
// Node adapter carries).
func (a *Adapter) BroadcastWithAck(p *sio.Encoded, opts *sio.BroadcastOptions, timeout time.Duration, acks sio.AckSink) {
	if opts.Local {
		a.MemoryAdapter.BroadcastWithAck(p, opts, timeout, acks)
		return
	}
	id := newUID()
	if b, ok := a.broadcastOf(p, opts); ok {
		life := timeout
		if life <= 0 {
			life = a.opts.RequestsTimeout
		}
		msg, err := AppendAckRequest(nil, b, id, timeout.Milliseconds())
		if err == nil {
			r := &request{kind: reqBroadcast, acks: acks}
			a.mu.Lock()
			a.requests[id] = r
			a.mu.Unlock()
			// The answers of other nodes are taken until the sender's
			// timeout; then the request is forgotten.
			r.timer = time.AfterFunc(life, func() { a.forget(id) })
			a.publish(a.reqCh, msg)
		} else {
			a.dropped.Add(1)
		}
	}
	a.MemoryAdapter.BroadcastWithAck(p, opts, timeout, localSink{acks})
	go func() {
		n, err := a.ServerCount(a.ctx)
		if err != nil || n < 1 {
			n = 1 // Redis is away: only this node will report
		}
		acks.Expect(n)
	}()
}

// localSink passes this node's report on, without its Expect(1): the
// number of nodes comes from Redis.
type localSink struct{ sio.AckSink }

func (localSink) Expect(int) {}

func (a *Adapter) forget(id string) {
	a.mu.Lock()
	delete(a.requests, id)
	a.mu.Unlock()
}

// --- requests ---

type wireOpts struct {
	Rooms  []string `json:"rooms"`
	Except []string `json:"except"`
}

func wireOf(o *sio.BroadcastOptions) wireOpts {
	w := wireOpts{Rooms: o.Rooms, Except: o.Except}
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	if w.Except == nil {
		w.Except = []string{}
	}
	return w
}

// AddSockets makes the matching sockets join rooms, here at once and on
// the other nodes through Redis.
func (a *Adapter) AddSockets(opts *sio.BroadcastOptions, rooms []string) {
	a.MemoryAdapter.AddSockets(opts, rooms)
	if !opts.Local {
		a.publishJSON(a.reqCh, map[string]any{"uid": a.uid, "type": reqRemoteJoin, "opts": wireOf(opts), "rooms": nonNil(rooms)})
	}
}

// DelSockets makes the matching sockets leave rooms, on every node.
func (a *Adapter) DelSockets(opts *sio.BroadcastOptions, rooms []string) {
	a.MemoryAdapter.DelSockets(opts, rooms)
	if !opts.Local {
		a.publishJSON(a.reqCh, map[string]any{"uid": a.uid, "type": reqRemoteLeave, "opts": wireOf(opts), "rooms": nonNil(rooms)})
	}
}

// DisconnectSockets disconnects the matching sockets, on every node.
func (a *Adapter) DisconnectSockets(opts *sio.BroadcastOptions, close bool) {
	a.MemoryAdapter.DisconnectSockets(opts, close)
	if !opts.Local {
		a.publishJSON(a.reqCh, map[string]any{"uid": a.uid, "type": reqRemoteDisconnect, "opts": wireOf(opts), "close": close})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ErrTimeout is the error of a request that ended at its timeout with
// answers missing (what came is returned with it).
var ErrTimeout = errors.New("redis adapter: timeout reached while waiting for the other nodes")

// FetchSockets describes the matching sockets of every node. It waits for
// as many answers as Redis counts subscribed nodes, at most ctx's life and
// RequestsTimeout; on a timeout it returns what came with ErrTimeout.
func (a *Adapter) FetchSockets(ctx context.Context, opts *sio.BroadcastOptions) ([]*sio.RemoteSocket, error) {
	local, _ := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	n, err := a.ServerCount(ctx)
	if err != nil {
		return local, err
	}
	if n <= 1 {
		return local, nil
	}
	id := newUID()
	r := &request{kind: reqRemoteFetch, want: n, got: 1, sockets: local, done: make(chan struct{})}
	a.mu.Lock()
	a.requests[id] = r
	a.mu.Unlock()
	a.publishJSON(a.reqCh, map[string]any{"uid": a.uid, "requestId": id, "type": reqRemoteFetch, "opts": wireOf(opts)})
	tm := time.NewTimer(a.opts.RequestsTimeout)
	defer tm.Stop()
	select {
	case <-r.done:
		return r.sockets, nil
	case <-tm.C:
		err = fmt.Errorf("%w (fetchSockets: %d of %d nodes answered)", ErrTimeout, a.settle(id, r), n)
		a.timeouts.Add(1)
	case <-ctx.Done():
		a.settle(id, r)
		err = ctx.Err()
	}
	a.mu.Lock()
	out := r.sockets
	a.mu.Unlock()
	return out, err
}

// settle forgets request id and returns how many answers it got.
func (a *Adapter) settle(id string, r *request) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.requests, id)
	return r.got
}

// ServerSideEmit sends an event to the other nodes; with ack, it collects
// one answer per other node, for at most RequestsTimeout.
func (a *Adapter) ServerSideEmit(event string, args []any, ack sio.MultiAckFunc) error {
	data, err := sio.AppendServerSideJSON(nil, append([]any{event}, args...))
	if err != nil {
		return err
	}
	raw := rawJSON(data)
	if ack == nil {
		a.publishJSON(a.reqCh, map[string]any{"uid": a.uid, "type": reqServerSideEmit, "data": raw})
		return nil
	}
	go func() {
		n, err := a.ServerCount(a.ctx)
		if err != nil {
			ack(nil, err)
			return
		}
		if n--; n <= 0 {
			ack(nil, nil)
			return
		}
		id := newUID()
		r := &request{kind: reqServerSideEmit, want: n, fn: ack}
		a.mu.Lock()
		a.requests[id] = r
		a.mu.Unlock()
		r.timer = time.AfterFunc(a.opts.RequestsTimeout, func() {
			a.mu.Lock()
			if a.requests[id] != r {
				a.mu.Unlock()
				return
			}
			delete(a.requests, id)
			res := r.answers
			a.mu.Unlock()
			a.timeouts.Add(1)
			ack(res, fmt.Errorf("%w (serverSideEmit: %d of %d nodes answered)", sio.ErrAckTimeout, len(res), n))
		})
		a.publishJSON(a.reqCh, map[string]any{"uid": a.uid, "requestId": id, "type": reqServerSideEmit, "data": raw})
	}()
	return nil
}

// ServerCount is the number of nodes subscribed to this namespace's
// request channel (this one included), as Redis counts them.
func (a *Adapter) ServerCount(ctx context.Context) (int, error) {
	m, err := a.c.PubSubNumSub(ctx, a.reqCh).Result()
	if err != nil {
		return 0, err
	}
	return int(m[a.reqCh]), nil
}

// --- receiving ---

func (a *Adapter) receiveLoop() {
	defer a.done.Done()
	for m := range a.ps.Channel() {
		a.receive(m)
	}
}

// receive handles one message; a panic on the way (the codec, or an
// outgoing-packet hook of the application run by the local fan-out) is
// reported like any other and costs this message only.
func (a *Adapter) receive(m *goredis.Message) {
	defer func() {
		if v := recover(); v != nil {
			a.nsp.Server().Engine().ReportPanic(v, nil)
		}
	}()
	switch {
	case m.Channel == a.reqCh:
		a.onRequest([]byte(m.Payload))
	case m.Channel == a.resCh || m.Channel == a.specCh:
		a.onResponse([]byte(m.Payload))
	case strings.HasPrefix(m.Channel, a.bcastCh):
		room := strings.TrimSuffix(m.Channel[len(a.bcastCh):], "#")
		if room != "" && a.RoomSize(room) == 0 {
			return // a room nobody here is in: not even decoded
		}
		b, err := ParseBroadcast([]byte(m.Payload))
		if err != nil || b.UID == a.uid || b.Nsp != a.nsp.Name() {
			return
		}
		a.deliver(b)
	}
}

// deliver broadcasts a message from another node to the local sockets:
// encoded once, through the same batched fan-out as a local broadcast.
func (a *Adapter) deliver(b *Broadcast) {
	enc := a.nsp.EncodeEvent(b.Data, b.Attachments, false)
	a.MemoryAdapter.Broadcast(enc, &sio.BroadcastOptions{Rooms: b.Rooms, Except: b.Except, Local: true, Volatile: b.Volatile})
	enc.Release()
}

// jsonRequest is any JSON request or response of the Node adapter.
type jsonRequest struct {
	UID         string    `json:"uid"`
	RequestID   string    `json:"requestId"`
	Type        int       `json:"type"`
	Opts        *wireOpts `json:"opts"`
	Rooms       []string  `json:"rooms"`
	Close       bool      `json:"close"`
	Data        rawJSON   `json:"data"`
	SID         string    `json:"sid"`  // legacy single-socket forms
	Room        string    `json:"room"` // legacy single-socket forms
	Sockets     []rawJSON `json:"sockets"`
	ClientCount int       `json:"clientCount"`
}

func (a *Adapter) onRequest(msg []byte) {
	if len(msg) > 0 && msg[0] != '{' {
		r, err := parseMsgpackRequest(msg)
		if err != nil || r.Type != reqBroadcast {
			return
		}
		a.mu.Lock()
		_, mine := a.requests[r.RequestID]
		a.mu.Unlock()
		if !mine {
			a.onAckRequest(r)
		}
		return
	}
	var r jsonRequest
	if jsonUnmarshal(msg, &r) != nil {
		return
	}
	opts := func() *sio.BroadcastOptions {
		o := &sio.BroadcastOptions{Local: true}
		if r.Opts != nil {
			o.Rooms, o.Except = r.Opts.Rooms, r.Opts.Except
		}
		return o
	}
	switch r.Type {
	case reqSockets:
		if r.RequestID == "" || a.mine(r.RequestID) {
			return
		}
		ids := []string{}
		a.Apply(&sio.BroadcastOptions{Rooms: r.Rooms}, func(s *sio.Socket) { ids = append(ids, s.ID()) })
		a.publishJSON(a.responseChannel(r.UID), map[string]any{"requestId": r.RequestID, "sockets": ids})
	case reqAllRooms:
		if r.RequestID == "" || a.mine(r.RequestID) {
			return
		}
		a.publishJSON(a.responseChannel(r.UID), map[string]any{"requestId": r.RequestID, "rooms": a.allRooms()})
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect:
		if r.UID == a.uid {
			return // applied here when sent
		}
		if r.Opts == nil { // the legacy form: one socket by id, answered
			if s := a.nsp.Socket(r.SID); s != nil {
				switch r.Type {
				case reqRemoteJoin:
					s.Join(r.Room)
				case reqRemoteLeave:
					s.Leave(r.Room)
				default:
					s.Disconnect(r.Close)
				}
				a.publishJSON(a.responseChannel(r.UID), map[string]any{"requestId": r.RequestID})
			}
			return
		}
		switch r.Type {
		case reqRemoteJoin:
			a.MemoryAdapter.AddSockets(opts(), r.Rooms)
		case reqRemoteLeave:
			a.MemoryAdapter.DelSockets(opts(), r.Rooms)
		default:
			a.MemoryAdapter.DisconnectSockets(opts(), r.Close)
		}
	case reqRemoteFetch:
		if r.RequestID == "" || a.mine(r.RequestID) {
			return
		}
		list, _ := a.MemoryAdapter.FetchSockets(a.ctx, opts())
		if list == nil {
			list = []*sio.RemoteSocket{}
		}
		a.publishJSON(a.responseChannel(r.UID), map[string]any{"requestId": r.RequestID, "sockets": list})
	case reqServerSideEmit:
		if r.UID == a.uid || len(r.Data) == 0 {
			return
		}
		var ack func([]byte)
		if id := r.RequestID; id != "" {
			ack = func(res []byte) {
				// Always the common channel, as the Node adapter does.
				a.publishJSON(a.resCh, map[string]any{"type": reqServerSideEmit, "requestId": id, "data": rawJSON(res)})
			}
		}
		_ = a.nsp.DeliverServerSideEmit(r.Data, ack)
	}
}

// mine reports whether id is a request of this node (its own request,
// coming back from Redis).
func (a *Adapter) mine(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.requests[id]
	return ok
}

// allRooms lists the rooms of this node, the sockets' own rooms included
// (as the Node adapter's rooms map holds them).
func (a *Adapter) allRooms() []string {
	rooms := []string{}
	seen := map[string]bool{}
	a.Apply(&sio.BroadcastOptions{}, func(s *sio.Socket) {
		for _, r := range s.Rooms() {
			if !seen[r] {
				seen[r] = true
				rooms = append(rooms, r)
			}
		}
	})
	return rooms
}

// onAckRequest runs another node's broadcast with acks here: it answers
// the number of local recipients (even 0), then each acknowledgement.
func (a *Adapter) onAckRequest(r *msgpackRequest) {
	b := &r.Broadcast
	if b.Nsp != a.nsp.Name() {
		return
	}
	enc := a.nsp.EncodeEvent(b.Data, b.Attachments, true)
	sink := &remoteSink{a: a, id: r.RequestID, ch: a.responseChannel(r.UID)}
	a.MemoryAdapter.BroadcastWithAck(enc, &sio.BroadcastOptions{Rooms: b.Rooms, Except: b.Except, Local: true}, 0, sink)
	enc.Release()
}

// remoteSink answers another node's broadcast with acks.
type remoteSink struct {
	a  *Adapter
	id string
	ch string
}

func (s *remoteSink) Expect(int) {}

func (s *remoteSink) ClientCount(n int) {
	s.a.publishJSON(s.ch, map[string]any{"type": reqBroadcastClientCount, "requestId": s.id, "clientCount": n})
}

func (s *remoteSink) Ack(res *sio.Args) {
	var first []byte
	if res.Len() > 0 {
		first = res.Raw(0)
	}
	msg, err := AppendAckResponse(nil, s.id, first, res.Attachments())
	if err != nil {
		s.a.dropped.Add(1)
		return
	}
	s.a.publish(s.ch, msg)
}

func (a *Adapter) onResponse(msg []byte) {
	if len(msg) > 0 && msg[0] != '{' {
		r, err := parseMsgpackRequest(msg)
		if err != nil || r.Type != reqBroadcastAck {
			return
		}
		a.mu.Lock()
		q := a.requests[r.RequestID]
		a.mu.Unlock()
		if q == nil || q.kind != reqBroadcast {
			return
		}
		var args sio.Args
		arr := append(append([]byte{'['}, r.Ack...), ']')
		if args.Fill(arr, 0, r.AckAttachments) == nil {
			q.acks.Ack(&args)
		}
		return
	}
	var r jsonRequest
	if jsonUnmarshal(msg, &r) != nil || r.RequestID == "" {
		return
	}
	a.mu.Lock()
	q := a.requests[r.RequestID]
	if q == nil {
		a.mu.Unlock()
		return
	}
	switch q.kind {
	case reqBroadcast:
		a.mu.Unlock()
		if r.Type == reqBroadcastClientCount {
			q.acks.ClientCount(r.ClientCount)
		}
	case reqRemoteFetch:
		q.got++
		for _, raw := range r.Sockets {
			if rs := a.remoteSocket(raw); rs != nil {
				q.sockets = append(q.sockets, rs)
			}
		}
		if q.got >= q.want {
			delete(a.requests, r.RequestID)
			close(q.done)
		}
		a.mu.Unlock()
	case reqServerSideEmit:
		if r.Type != reqServerSideEmit {
			a.mu.Unlock()
			return
		}
		var args sio.Args
		data := r.Data
		if len(data) == 0 {
			data = rawJSON("null")
		}
		if args.Fill(append(append([]byte{'['}, data...), ']'), 0, nil) == nil {
			q.answers = append(q.answers, &args)
		}
		if len(q.answers) < q.want {
			a.mu.Unlock()
			return
		}
		delete(a.requests, r.RequestID)
		res := q.answers
		a.mu.Unlock()
		q.timer.Stop()
		q.fn(res, nil)
	default:
		a.mu.Unlock()
	}
}

// remoteSocket decodes one socket of a fetchSockets answer.
func (a *Adapter) remoteSocket(raw []byte) *sio.RemoteSocket {
	var w struct {
		ID        string            `json:"id"`
		Handshake sio.HandshakeInfo `json:"handshake"`
		Rooms     []string          `json:"rooms"`
		Data      any               `json:"data"`
	}
	if jsonUnmarshal(raw, &w) != nil || w.ID == "" {
		return nil
	}
	return sio.NewRemoteSocket(a.nsp, w.ID, w.Handshake, w.Rooms, w.Data)
}

// Close stops the adapter's subscriptions and publisher; requests waiting
// for answers end at their timeouts.
func (a *Adapter) Close() {
	a.cancel()
	_ = a.ps.Close()
	a.done.Wait()
	a.MemoryAdapter.Close()
}

// rawJSON is JSON kept as is.
type rawJSON = json.RawMessage

func jsonMarshal(v any) ([]byte, error)   { return sonic.ConfigStd.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return sonic.ConfigStd.Unmarshal(b, v) }
