package redis

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/sio/parser"
)

// Options configures the adapter.
type Options struct {
	// Key prefixes the channels (default "socket.io", as the Node adapter).
	Key string
	// PublishQueue bounds the broadcasts waiting to be published (default
	// 4096): a broadcast never waits for Redis; past the bound it is
	// dropped for the other nodes and counted (Dropped).
	PublishQueue int
}

// Adapter is the classic Redis adapter for one namespace: rooms are kept
// in memory as by sio.MemoryAdapter, and broadcasts also go to the other
// nodes through Redis pub/sub in the Node.js adapter's format, so Go and
// Node.js nodes serve one cluster.
//
// This first step carries broadcasts (to all, rooms, except, volatile) in
// both directions; the requests of the Node adapter (remote join/leave/
// disconnect, fetchSockets, serverSideEmit, broadcasts with acks, server
// count) are the next.
type Adapter struct {
	*sio.MemoryAdapter
	nsp *sio.Namespace
	c   goredis.UniversalClient
	uid string
	key string

	pub     chan published
	dropped atomic.Int64
	ps      *goredis.PubSub
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

type published struct {
	channel string
	msg     []byte
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
	return func(nsp *sio.Namespace) sio.Adapter {
		ctx, cancel := context.WithCancel(context.Background())
		a := &Adapter{
			MemoryAdapter: sio.NewMemoryAdapter(nsp),
			nsp:           nsp,
			c:             c,
			uid:           newUID(),
			key:           opts.Key,
			pub:           make(chan published, opts.PublishQueue),
			cancel:        cancel,
		}
		a.ps = c.PSubscribe(ctx, a.key+"#"+nsp.Name()+"#*")
		a.done.Add(2)
		go a.publishLoop(ctx)
		go a.receiveLoop()
		return a
	}
}

// newUID is the node's id: 6 characters of [A-Za-z0-9], as the Node
// adapter's uid2(6).
func newUID() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b[:])
}

// Dropped is how many broadcasts were not published to the other nodes
// (queue full, or not encodable).
func (a *Adapter) Dropped() int64 { return a.dropped.Load() }

// Broadcast delivers p to the local sockets and, unless opts.Local,
// publishes it for the other nodes.
func (a *Adapter) Broadcast(p *sio.Encoded, opts *sio.BroadcastOptions) {
	a.MemoryAdapter.Broadcast(p, opts)
	if opts.Local {
		return
	}
	pk, err := parser.ParsePacket(p.Packet)
	if err != nil || pk.ID >= 0 {
		a.dropped.Add(1) // acked broadcasts cross nodes in a later step
		return
	}
	b := Broadcast{UID: a.uid, Nsp: a.nsp.Name(), Data: pk.Data, Attachments: p.Attachments,
		Rooms: opts.Rooms, Except: opts.Except, Volatile: opts.Volatile}
	if b.Rooms == nil {
		b.Rooms = []string{}
	}
	msg, err := AppendBroadcast(nil, &b)
	if err != nil {
		a.dropped.Add(1)
		return
	}
	ch := a.key + "#" + a.nsp.Name() + "#"
	if len(opts.Rooms) == 1 {
		ch += opts.Rooms[0] + "#"
	}
	select {
	case a.pub <- published{ch, msg}:
	default:
		a.dropped.Add(1)
	}
}

func (a *Adapter) publishLoop(ctx context.Context) {
	defer a.done.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-a.pub:
			if err := a.c.Publish(ctx, p.channel, p.msg).Err(); err != nil && ctx.Err() == nil {
				a.dropped.Add(1)
			}
		}
	}
}

func (a *Adapter) receiveLoop() {
	defer a.done.Done()
	prefix := a.key + "#" + a.nsp.Name() + "#"
	for m := range a.ps.Channel() {
		room, _ := strings.CutPrefix(m.Channel, prefix)
		if room = strings.TrimSuffix(room, "#"); room != "" && a.RoomSize(room) == 0 {
			continue // a room nobody here is in: not even decoded
		}
		a.receive(m.Payload)
	}
}

// receive handles one message; a panic on the way (the codec, or an
// outgoing-packet hook of the application run by the local fan-out) is
// reported like any other and costs this message only.
func (a *Adapter) receive(payload string) {
	defer func() {
		if v := recover(); v != nil {
			a.nsp.Server().Engine().ReportPanic(v, nil)
		}
	}()
	b, err := ParseBroadcast([]byte(payload))
	if err != nil || b.UID == a.uid || b.Nsp != a.nsp.Name() {
		return
	}
	a.deliver(b)
}

// deliver broadcasts a message from another node to the local sockets.
func (a *Adapter) deliver(b *Broadcast) {
	pk := parser.Packet{Type: parser.PacketEvent, Namespace: []byte(b.Nsp), ID: -1, Data: b.Data}
	if len(b.Attachments) > 0 {
		pk.Type, pk.Attachments = parser.PacketBinaryEvent, len(b.Attachments)
	}
	enc := &sio.Encoded{Packet: parser.AppendPacket(nil, &pk), Attachments: b.Attachments}
	a.MemoryAdapter.Broadcast(enc, &sio.BroadcastOptions{Rooms: b.Rooms, Except: b.Except, Local: true, Volatile: b.Volatile})
	enc.Release()
}

// Close stops the adapter's subscription and publisher.
func (a *Adapter) Close() {
	a.cancel()
	_ = a.ps.Close()
	a.done.Wait()
	a.MemoryAdapter.Close()
}
