package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
	// Key prefixes the channels (default "socket.io", as the Node
	// adapters: their key and channelPrefix options).
	Key string
	// RequestsTimeout bounds how long FetchSockets and ServerSideEmit with
	// acks wait for the other nodes (default 5 s, as the Node adapters).
	RequestsTimeout time.Duration
	// PublishOnSpecificResponseChannel (classic adapter only) answers a
	// request on the asking node's own channel (K-response#<nsp>#<uid>#)
	// instead of the common one, as the Node option of that name. Every
	// node of a cluster must agree. The sharded adapter always does.
	PublishOnSpecificResponseChannel bool
	// PublishQueue bounds the messages waiting to be published (default
	// 4096): nothing waits for Redis; past the bound a message is dropped,
	// counted (Dropped) and reported (OnError).
	PublishQueue int
	// OnError, when set, is told of every message that could not be
	// published. It runs on the adapter's goroutines: keep it short.
	OnError func(err error)
}

// Subscription modes of the sharded adapter (the Node option
// subscriptionMode).
const (
	// Dynamic (the default): besides the namespace's channel, one channel
	// per public room (not a socket's own room) with sockets on this node;
	// a broadcast to exactly one such room goes to that room's channel
	// only, so nodes without its sockets never see it.
	Dynamic = "dynamic"
	// DynamicPrivate: as Dynamic, for sockets' own rooms too.
	DynamicPrivate = "dynamic-private"
	// Static: two channels per namespace, every node sees every broadcast.
	Static = "static"
)

// ShardedOptions configures the sharded adapter.
type ShardedOptions struct {
	Options
	// SubscriptionMode is Dynamic (default), DynamicPrivate or Static.
	SubscriptionMode string
}

// Adapter is a Redis adapter for one namespace, wire-compatible with
// @socket.io/redis-adapter 8.3: the classic one (New: createAdapter,
// PUBLISH/PSUBSCRIBE) or the sharded one (NewSharded:
// createShardedAdapter, Redis 7 SPUBLISH/SSUBSCRIBE), so Go and Node.js
// nodes serve one cluster. Rooms are kept in memory as by
// sio.MemoryAdapter; broadcasts and requests go to the other nodes.
//
// Nothing on an event loop waits for Redis: messages go through a bounded
// queue to one publishing goroutine (in order), and are handled as they
// arrive on one receiving goroutine. Redis pub/sub delivers at most once:
// what is published while a connection is down is lost (counted when the
// publish fails here; a node that was disconnected misses what the others
// sent meanwhile). Operations applied to the sockets of every node
// (SocketsJoin, DisconnectSockets, ...) are applied here at once and sent
// to the others.
type Adapter struct {
	*sio.MemoryAdapter
	nsp  *sio.Namespace
	c    goredis.UniversalClient
	opts Options
	w    wire

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
	want    int // answers expected from the other nodes
	got     int
	sockets []*sio.RemoteSocket
	answers []*sio.Args
	acks    sio.AckSink // broadcast with acks
	done    chan struct{}
	fn      sio.MultiAckFunc // server-side emit with ack
	timer   *time.Timer
}

// New returns the constructor of sio.Options.Adapter for a cluster on c
// with the classic adapter's protocol.
func New(c goredis.UniversalClient, o *Options) func(nsp *sio.Namespace) sio.Adapter {
	opts := withDefaults(o)
	return func(nsp *sio.Namespace) sio.Adapter {
		return start(nsp, c, opts, newClassic(nsp.Name(), opts))
	}
}

// NewSharded returns the constructor of sio.Options.Adapter for a cluster
// on c with the sharded adapter's protocol (Redis 7 or later).
func NewSharded(c goredis.UniversalClient, o *ShardedOptions) func(nsp *sio.Namespace) sio.Adapter {
	var so ShardedOptions
	if o != nil {
		so = *o
	}
	opts := withDefaults(&so.Options)
	switch so.SubscriptionMode {
	case "":
		so.SubscriptionMode = Dynamic
	case Dynamic, DynamicPrivate, Static:
	default:
		panic("redis: unknown SubscriptionMode " + so.SubscriptionMode)
	}
	return func(nsp *sio.Namespace) sio.Adapter {
		return start(nsp, c, opts, newSharded(nsp.Name(), opts.Key, so.SubscriptionMode))
	}
}

func withDefaults(o *Options) Options {
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
	return opts
}

func start(nsp *sio.Namespace, c goredis.UniversalClient, opts Options, w wire) *Adapter {
	ctx, cancel := context.WithCancel(context.Background())
	a := &Adapter{
		MemoryAdapter: sio.NewMemoryAdapter(nsp),
		nsp:           nsp,
		c:             c,
		opts:          opts,
		w:             w,
		pub:           make(chan published, opts.PublishQueue),
		ctx:           ctx,
		cancel:        cancel,
		requests:      make(map[string]*request),
	}
	a.ps = w.subscribe(ctx, c)
	w.watchRooms(a)
	a.done.Add(2)
	go a.publishLoop()
	go a.receiveLoop()
	return a
}

// newUID is a random id of 6 characters of [A-Za-z0-9], as the classic
// Node adapter's uid2(6) (node ids and request ids).
func newUID() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b[:])
}

// newHexID is 16 hexadecimal digits, as the cluster adapter's randomId().
func newHexID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// UID is this node's id in the cluster.
func (a *Adapter) UID() string { return a.w.uid() }

// Dropped is how many messages (broadcasts, requests, answers) were not
// published: queue full, Redis failing, or not encodable.
func (a *Adapter) Dropped() int64 { return a.dropped.Load() }

// RequestTimeouts is how many requests of this node ended at their
// timeout with answers missing.
func (a *Adapter) RequestTimeouts() int64 { return a.timeouts.Load() }

func (a *Adapter) fail(err error) {
	a.dropped.Add(1)
	a.report(err)
}

// report hands err to Options.OnError.
func (a *Adapter) report(err error) {
	if a.opts.OnError != nil {
		defer a.contain()
		a.opts.OnError(err)
	}
}

// contain, deferred around application code the adapter runs on its own
// goroutines (OnError, ack callbacks, outgoing-packet hooks of the local
// fan-out), reports a panic there like any other instead of losing the
// process.
func (a *Adapter) contain() {
	if v := recover(); v != nil {
		a.nsp.Server().Engine().ReportPanic(v, nil)
	}
}

// send queues an encoded message; it never waits.
func (a *Adapter) send(channel string, msg []byte, err error) {
	if err != nil {
		a.fail(fmt.Errorf("redis adapter %s: %w", a.nsp.Name(), err))
		return
	}
	select {
	case a.pub <- published{channel, msg}:
	default:
		a.fail(fmt.Errorf("redis adapter %s: publish queue full (%d): message to %s dropped", a.nsp.Name(), cap(a.pub), channel))
	}
}

// maxPipeline bounds the messages published in one round trip.
const maxPipeline = 256

// publishLoop publishes the queue in order. What has queued up while a
// publish was on its way goes in one pipeline (one round trip to Redis),
// so the publisher keeps up with bursts instead of paying a round trip
// per message.
func (a *Adapter) publishLoop() {
	defer a.done.Done()
	batch := make([]published, 0, maxPipeline)
	for {
		select {
		case <-a.ctx.Done():
			return
		case p := <-a.pub:
			batch = append(batch[:0], p)
		}
	more:
		for len(batch) < maxPipeline {
			select {
			case p := <-a.pub:
				batch = append(batch, p)
			default:
				break more
			}
		}
		if len(batch) == 1 {
			a.published(batch[0], a.w.publish(a.ctx, a.c, batch[0].channel, batch[0].msg).Err())
			continue
		}
		cmds, _ := a.c.Pipelined(a.ctx, func(pl goredis.Pipeliner) error {
			for _, p := range batch {
				a.w.publish(a.ctx, pl, p.channel, p.msg)
			}
			return nil
		})
		for i, p := range batch {
			var err error
			if i < len(cmds) {
				err = cmds[i].Err()
			} else {
				err = errors.New("not sent")
			}
			a.published(p, err)
		}
		clear(batch)
	}
}

// published counts and reports a failed publish.
func (a *Adapter) published(p published, err error) {
	if err != nil && a.ctx.Err() == nil {
		a.fail(fmt.Errorf("redis adapter %s: publish to %s: %w", a.nsp.Name(), p.channel, err))
	}
}

// register keeps r under a new request id.
func (a *Adapter) register(r *request) string {
	id := a.w.requestID()
	a.mu.Lock()
	a.requests[id] = r
	a.mu.Unlock()
	return id
}

func (a *Adapter) forget(id string) {
	a.mu.Lock()
	delete(a.requests, id)
	a.mu.Unlock()
}

// --- outgoing ---

// broadcastOf describes p for the other nodes.
func (a *Adapter) broadcastOf(p *sio.Encoded, opts *sio.BroadcastOptions) (*Broadcast, error) {
	pk, err := parser.ParsePacket(p.Packet)
	if err != nil {
		return nil, err
	}
	return &Broadcast{UID: a.w.uid(), Nsp: a.nsp.Name(), Data: pk.Data, Attachments: p.Attachments,
		Rooms: nonNil(opts.Rooms), Except: nonNil(opts.Except), Volatile: opts.Volatile}, nil
}

// Broadcast delivers p to the local sockets and, unless opts.Local,
// publishes it for the other nodes (encoded once).
func (a *Adapter) Broadcast(p *sio.Encoded, opts *sio.BroadcastOptions) {
	a.MemoryAdapter.Broadcast(p, opts)
	if opts.Local {
		return
	}
	b, err := a.broadcastOf(p, opts)
	if err != nil {
		a.send("", nil, err)
		return
	}
	a.send(a.w.broadcast(b))
}

// BroadcastWithAck sends p to the matching sockets of every node and
// reports every node's count and every answer to acks. The other nodes
// answer with the first argument of each acknowledgement (that is all the
// Node adapters carry).
func (a *Adapter) BroadcastWithAck(p *sio.Encoded, opts *sio.BroadcastOptions, timeout time.Duration, acks sio.AckSink) {
	if opts.Local {
		a.MemoryAdapter.BroadcastWithAck(p, opts, timeout, acks)
		return
	}
	if b, err := a.broadcastOf(p, opts); err != nil {
		a.send("", nil, err)
	} else {
		id := a.register(&request{kind: opAckBroadcast, acks: acks})
		life := timeout
		if life <= 0 {
			life = a.opts.RequestsTimeout
		}
		// Answers are taken until the sender's timeout; then forgotten.
		time.AfterFunc(life, func() { a.forget(id) })
		a.send(a.w.ackBroadcast(b, id, timeout.Milliseconds()))
	}
	a.MemoryAdapter.BroadcastWithAck(p, opts, timeout, localSink{acks})
	go func() {
		defer a.contain() // Expect may complete the collection: the caller's callback runs here
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

// AddSockets makes the matching sockets join rooms, here at once and on
// the other nodes through Redis.
func (a *Adapter) AddSockets(opts *sio.BroadcastOptions, rooms []string) {
	a.MemoryAdapter.AddSockets(opts, rooms)
	if !opts.Local {
		a.send(a.w.roomsOp(opJoin, opts, nonNil(rooms), false))
	}
}

// DelSockets makes the matching sockets leave rooms, on every node.
func (a *Adapter) DelSockets(opts *sio.BroadcastOptions, rooms []string) {
	a.MemoryAdapter.DelSockets(opts, rooms)
	if !opts.Local {
		a.send(a.w.roomsOp(opLeave, opts, nonNil(rooms), false))
	}
}

// DisconnectSockets disconnects the matching sockets, on every node.
func (a *Adapter) DisconnectSockets(opts *sio.BroadcastOptions, close bool) {
	a.MemoryAdapter.DisconnectSockets(opts, close)
	if !opts.Local {
		a.send(a.w.roomsOp(opDisconnect, opts, nil, close))
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
// one answer from each other node Redis counts, at most ctx's life and
// RequestsTimeout; on a timeout it returns what came, with ErrTimeout.
// Call it from a goroutine of your own, not from a handler on an event
// loop: it waits for the network.
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
	r := &request{kind: opFetch, want: n - 1, sockets: local, done: make(chan struct{})}
	id := a.register(r)
	a.send(a.w.fetch(opts, id))
	tm := time.NewTimer(a.opts.RequestsTimeout)
	defer tm.Stop()
	select {
	case <-r.done:
		return r.sockets, nil
	case <-tm.C:
		err = fmt.Errorf("%w (fetchSockets: %d of %d other nodes answered)", ErrTimeout, a.settle(id, r), n-1)
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
	args = append([]any{event}, args...)
	if ack == nil {
		ch, msg, err := a.w.serverSideEmit(args, "")
		if err != nil {
			return err
		}
		a.send(ch, msg, nil)
		return nil
	}
	go func() {
		defer a.contain() // ack is the caller's
		n, err := a.ServerCount(a.ctx)
		if err != nil {
			ack(nil, err)
			return
		}
		if n--; n <= 0 {
			ack(nil, nil)
			return
		}
		r := &request{kind: opServerSideEmit, want: n, fn: ack}
		id := a.register(r)
		r.timer = time.AfterFunc(a.opts.RequestsTimeout, func() {
			defer a.contain()
			a.mu.Lock()
			if a.requests[id] != r {
				a.mu.Unlock()
				return
			}
			delete(a.requests, id)
			res := r.answers
			a.mu.Unlock()
			a.timeouts.Add(1)
			ack(res, fmt.Errorf("%w (serverSideEmit: %d of %d other nodes answered)", sio.ErrAckTimeout, len(res), n))
		})
		a.send(a.w.serverSideEmit(args, id))
	}()
	return nil
}

// ServerCount is the number of nodes subscribed to this namespace, this
// one included, as Redis counts them (PUBSUB NUMSUB, or SHARDNUMSUB for
// the sharded adapter).
func (a *Adapter) ServerCount(ctx context.Context) (int, error) { return a.w.serverCount(ctx, a.c) }

// --- incoming ---

// Operations, as decoded from either protocol.
const (
	opBroadcast = iota
	opAckBroadcast
	opJoin
	opLeave
	opDisconnect
	opFetch
	opServerSideEmit
	opSockets  // classic only: the ids of the sockets of rooms
	opAllRooms // classic only
	// answers
	resFetch
	resServerSideEmit
	resClientCount
	resAck
	resIDs // classic: the answer to a legacy single-socket request, SOCKETS or ALL_ROOMS (never asked here)
)

// message is one decoded message of either protocol.
type message struct {
	op        int
	uid       string // the sender; "" or "emitter" for emitters
	requestID string
	replyTo   string // the channel answers go to
	b         Broadcast
	opts      sio.BroadcastOptions // rooms, except (Local set: applied here only)
	rooms     []string
	close     bool
	data      []byte // server-side emit: [event, ...args]; answers: the value
	atts      [][]byte
	sockets   []rawJSON
	count     int
	sid, room string // classic's legacy single-socket forms
}

// maxBurst bounds the broadcasts from other nodes delivered in one
// fan-out.
const maxBurst = 64

// burst is the broadcasts from other nodes waiting for one fan-out:
// messages that arrive together from Redis go out together, so a socket
// that several of them reach gets them in one write, as when a loop reads
// several broadcasts of local clients in one pass.
type burst struct {
	encs []*sio.Encoded
	opts []sio.BroadcastOptions
}

func (a *Adapter) receiveLoop() {
	defer a.done.Done()
	ch := a.ps.Channel()
	var b burst
	for m := range ch {
		a.receive(m, &b)
	more:
		for len(b.encs) < maxBurst {
			select {
			case m, ok := <-ch:
				if !ok {
					break more
				}
				a.receive(m, &b)
			default:
				break more
			}
		}
		a.flush(&b)
	}
}

// flush delivers the burst (a panic in an outgoing-packet hook of the
// application is reported and costs this burst).
func (a *Adapter) flush(b *burst) {
	if len(b.encs) == 0 {
		return
	}
	defer func() {
		for i, e := range b.encs {
			e.Release()
			b.encs[i] = nil
		}
		clear(b.opts)
		b.encs, b.opts = b.encs[:0], b.opts[:0]
	}()
	defer a.contain() // runs first: the burst is released after a panic too
	a.MemoryAdapter.BroadcastAll(b.encs, b.opts)
}

// receive handles one message; a panic on the way (the codec, or an
// outgoing-packet hook of the application run by the local fan-out) is
// reported like any other and costs this message only. Broadcasts join
// the burst; anything else first delivers the burst, to keep the order.
func (a *Adapter) receive(m *goredis.Message, b *burst) {
	defer a.contain()
	msg := a.w.decode(a, m.Channel, []byte(m.Payload))
	if msg == nil || msg.uid == a.w.uid() {
		return // malformed, not for us, or our own coming back
	}
	if msg.op == opBroadcast {
		b.encs = append(b.encs, a.nsp.EncodeEvent(msg.b.Data, msg.b.Attachments, false))
		b.opts = append(b.opts, sio.BroadcastOptions{Rooms: msg.b.Rooms, Except: msg.b.Except, Local: true, Volatile: msg.b.Volatile})
		return
	}
	a.flush(b)
	if msg.op >= resFetch {
		a.onAnswer(msg)
		return
	}
	if msg.requestID != "" && a.mine(msg.requestID) {
		return
	}
	msg.opts.Local = true
	switch msg.op {
	case opAckBroadcast:
		enc := a.nsp.EncodeEvent(msg.b.Data, msg.b.Attachments, true)
		sink := &remoteSink{a: a, id: msg.requestID, to: msg.replyTo}
		a.MemoryAdapter.BroadcastWithAck(enc, &sio.BroadcastOptions{Rooms: msg.b.Rooms, Except: msg.b.Except, Local: true}, 0, sink)
		enc.Release()
	case opJoin, opLeave, opDisconnect:
		if msg.sid != "" { // classic's legacy form: one socket, answered
			if s := a.nsp.Socket(msg.sid); s != nil {
				switch msg.op {
				case opJoin:
					s.Join(msg.room)
				case opLeave:
					s.Leave(msg.room)
				default:
					s.Disconnect(msg.close)
				}
				a.send(a.w.answerIDs(msg.replyTo, msg.requestID, "", nil))
			}
			return
		}
		switch msg.op {
		case opJoin:
			a.MemoryAdapter.AddSockets(&msg.opts, msg.rooms)
		case opLeave:
			a.MemoryAdapter.DelSockets(&msg.opts, msg.rooms)
		default:
			a.MemoryAdapter.DisconnectSockets(&msg.opts, msg.close)
		}
		a.w.settle(a) // the rooms just joined are subscribed before what follows
	case opFetch:
		list, _ := a.MemoryAdapter.FetchSockets(a.ctx, &msg.opts)
		if list == nil {
			list = []*sio.RemoteSocket{}
		}
		for _, r := range list {
			if r.Data == nil {
				// Node's socket.data starts as {}, and Node.js peers read
				// it as an object (@socket.io/admin-ui's fetchSockets
				// throws on null and takes its process down).
				r.Data = struct{}{}
			} else if _, err := jsonMarshal(r.Data); err != nil {
				r.Data = struct{}{} // not JSON: {} rather than no answer at all
			}
		}
		a.send(a.w.answerFetch(msg.replyTo, msg.requestID, list))
	case opSockets:
		ids := []string{}
		a.Apply(&msg.opts, func(s *sio.Socket) { ids = append(ids, s.ID()) })
		a.send(a.w.answerIDs(msg.replyTo, msg.requestID, "sockets", ids))
	case opAllRooms:
		a.send(a.w.answerIDs(msg.replyTo, msg.requestID, "rooms", a.allRooms()))
	case opServerSideEmit:
		var ack func([]byte)
		if id, to := msg.requestID, msg.replyTo; id != "" {
			ack = func(res []byte) { a.send(a.w.answerServerSideEmit(to, id, res)) }
		}
		_ = a.nsp.DeliverServerSideEmit(msg.data, msg.atts, ack)
	}
}

// mine reports whether id is a request of this node (coming back).
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

// remoteSink answers another node's broadcast with acks.
type remoteSink struct {
	a      *Adapter
	id, to string
}

func (s *remoteSink) Expect(int) {}

func (s *remoteSink) ClientCount(n int) { s.a.send(s.a.w.answerClientCount(s.to, s.id, n)) }

func (s *remoteSink) Ack(res *sio.Args) {
	var first []byte
	if res.Len() > 0 {
		first = res.Raw(0)
	}
	s.a.send(s.a.w.answerAck(s.to, s.id, first, res.Attachments()))
}

// onAnswer hands an answer to the request of this node it answers.
func (a *Adapter) onAnswer(msg *message) {
	a.mu.Lock()
	q := a.requests[msg.requestID]
	if q == nil {
		a.mu.Unlock()
		return
	}
	switch {
	case q.kind == opAckBroadcast && msg.op == resClientCount:
		a.mu.Unlock()
		q.acks.ClientCount(msg.count)
	case q.kind == opAckBroadcast && msg.op == resAck:
		a.mu.Unlock()
		if args, ok := argsOf(msg.data, msg.atts); ok {
			q.acks.Ack(args)
		}
	case q.kind == opFetch && msg.op == resFetch:
		q.got++
		for _, raw := range msg.sockets {
			if rs := a.remoteSocket(raw); rs != nil {
				q.sockets = append(q.sockets, rs)
			}
		}
		if q.got >= q.want {
			delete(a.requests, msg.requestID)
			close(q.done)
		}
		a.mu.Unlock()
	case q.kind == opServerSideEmit && msg.op == resServerSideEmit:
		if args, ok := argsOf(msg.data, msg.atts); ok {
			q.answers = append(q.answers, args)
		}
		if len(q.answers) < q.want {
			a.mu.Unlock()
			return
		}
		delete(a.requests, msg.requestID)
		res := q.answers
		a.mu.Unlock()
		q.timer.Stop()
		q.fn(res, nil)
	default:
		a.mu.Unlock()
	}
}

// argsOf makes the one-value Args of an answer (null when absent).
func argsOf(v []byte, atts [][]byte) (*sio.Args, bool) {
	if len(v) == 0 {
		v = []byte("null")
	}
	var args sio.Args
	arr := make([]byte, 0, len(v)+2)
	arr = append(append(append(arr, '['), v...), ']')
	if args.Fill(arr, 0, atts) != nil {
		return nil, false
	}
	return &args, true
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

// wire is one of the two protocols of the Node adapters: how messages are
// encoded, published, received and counted. Each encoder returns the
// channel and the message (for Adapter.send).
type wire interface {
	uid() string
	requestID() string
	subscribe(ctx context.Context, c goredis.UniversalClient) *goredis.PubSub
	watchRooms(a *Adapter) // the sharded adapter's dynamic subscriptions
	settle(a *Adapter)     // brings them in line now
	publish(ctx context.Context, c goredis.Cmdable, channel string, msg []byte) *goredis.IntCmd
	serverCount(ctx context.Context, c goredis.UniversalClient) (int, error)
	decode(a *Adapter, channel string, payload []byte) *message

	broadcast(b *Broadcast) (string, []byte, error)
	ackBroadcast(b *Broadcast, id string, timeoutMs int64) (string, []byte, error)
	roomsOp(op int, opts *sio.BroadcastOptions, rooms []string, close bool) (string, []byte, error)
	fetch(opts *sio.BroadcastOptions, id string) (string, []byte, error)
	serverSideEmit(args []any, id string) (string, []byte, error)

	answerFetch(to, id string, sockets []*sio.RemoteSocket) (string, []byte, error)
	answerServerSideEmit(to, id string, v []byte) (string, []byte, error)
	answerClientCount(to, id string, n int) (string, []byte, error)
	answerAck(to, id string, v []byte, atts [][]byte) (string, []byte, error)
	answerIDs(to, id, key string, list []string) (string, []byte, error)
}

// wireOpts is the JSON form of broadcast options.
type wireOpts struct {
	Rooms  []string   `json:"rooms"`
	Except []string   `json:"except"`
	Flags  *wireFlags `json:"flags,omitempty"`
}

type wireFlags struct {
	Volatile bool  `json:"volatile,omitempty"`
	Timeout  int64 `json:"timeout,omitempty"`
}

func wireOf(o *sio.BroadcastOptions) wireOpts {
	return wireOpts{Rooms: nonNil(o.Rooms), Except: nonNil(o.Except)}
}

// rawJSON is JSON kept as is.
type rawJSON = json.RawMessage

func jsonMarshal(v any) ([]byte, error)   { return sonic.ConfigStd.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return sonic.ConfigStd.Unmarshal(b, v) }
