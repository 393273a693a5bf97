package sio

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/bytedance/sonic"

	"github.com/sioloop/sioloop/internal/timer"
	"github.com/sioloop/sioloop/sio/parser"
)

// What a cluster of nodes needs from the server: sockets described across
// nodes (RemoteSocket), broadcasts with acknowledgements counted on every
// node (AckSink), and events between servers (ServerSideEmit,
// OnServerSideEmit). With the in-memory adapter the cluster is this node.

// HandshakeInfo is a socket's handshake as plain data, in the JSON form
// of Node's socket.handshake (what a Node.js node sends for fetchSockets).
type HandshakeInfo struct {
	// Headers: lower-case names; a value is a string (repeated headers
	// joined by ", ").
	Headers map[string]any `json:"headers"`
	// Time is the JavaScript Date string of the opening request.
	Time    string `json:"time"`
	Address string `json:"address"`
	XDomain bool   `json:"xdomain"`
	Secure  bool   `json:"secure"`
	Issued  int64  `json:"issued"` // ms since the Unix epoch
	URL     string `json:"url"`
	// Query: a value is a string, or a list of strings for a repeated key.
	Query map[string]any `json:"query"`
	// Auth is the CONNECT payload (raw JSON).
	Auth json.RawMessage `json:"auth"`
}

// Info returns h as HandshakeInfo.
func (h *Handshake) Info() HandshakeInfo {
	hi := HandshakeInfo{Headers: map[string]any{}, Query: map[string]any{},
		Time: h.Time().Format("Mon Jan 02 2006 15:04:05 GMT-0700 (MST)"), Address: h.Address(),
		XDomain: h.XDomain(), Secure: h.Secure(), Issued: h.Issued(), URL: h.URL(), Auth: h.Auth}
	for k, vs := range h.Headers() {
		hi.Headers[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	for k, vs := range h.Query() {
		if len(vs) == 1 {
			hi.Query[k] = vs[0]
		} else {
			l := make([]any, len(vs))
			for i, v := range vs {
				l[i] = v
			}
			hi.Query[k] = l
		}
	}
	if len(hi.Auth) == 0 {
		hi.Auth = json.RawMessage("{}")
	}
	return hi
}

// RemoteSocket is a socket as FetchSockets returns it: on this node or on
// another one of the cluster (Node: RemoteSocket). Its fields are a
// snapshot; its methods act on the socket wherever it is.
type RemoteSocket struct {
	ID        string        `json:"id"`
	Handshake HandshakeInfo `json:"handshake"`
	Rooms     []string      `json:"rooms"`
	// Data is the socket's Data: the value itself for a socket of this
	// node, the decoded JSON (map[string]any, []any, float64, ...) for
	// one of another node.
	Data any `json:"data"`

	local *Socket
	nsp   *Namespace
}

// NewRemoteSocket describes a socket of another node of nsp's cluster
// (for adapters: it makes the socket's methods reach it through nsp).
func NewRemoteSocket(nsp *Namespace, id string, hs HandshakeInfo, rooms []string, data any) *RemoteSocket {
	return &RemoteSocket{ID: id, Handshake: hs, Rooms: rooms, Data: data, nsp: nsp}
}

// remoteOf describes a socket of this node.
func remoteOf(s *Socket) *RemoteSocket {
	return &RemoteSocket{ID: s.id, Handshake: s.handshake.Info(), Rooms: s.Rooms(), Data: s.Data, local: s, nsp: s.nsp}
}

// Local returns the socket when it is connected to this node, else nil.
func (r *RemoteSocket) Local() *Socket { return r.local }

// Emit sends an event to the socket (no acknowledgement: use
// Namespace.To(id).Timeout(d).Emit with a MultiAckFunc).
func (r *RemoteSocket) Emit(event string, args ...any) error {
	if r.local != nil {
		return r.local.Emit(event, args...)
	}
	return r.nsp.To(r.ID).Emit(event, args...)
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(rooms ...string) {
	if r.local != nil {
		r.local.Join(rooms...)
		return
	}
	r.nsp.In(r.ID).SocketsJoin(rooms...)
}

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(rooms ...string) {
	if r.local != nil {
		for _, room := range rooms {
			r.local.Leave(room)
		}
		return
	}
	r.nsp.In(r.ID).SocketsLeave(rooms...)
}

// Disconnect disconnects the socket (close: also its connection).
func (r *RemoteSocket) Disconnect(close bool) {
	if r.local != nil {
		r.local.Disconnect(close)
		return
	}
	r.nsp.In(r.ID).DisconnectSockets(close)
}

// AckSink gathers a broadcast with acknowledgements across nodes. The
// adapter calls Expect once with the number of nodes that will report
// (this one included; it may come after their reports), ClientCount once
// per node with the number of sockets it sent the packet to (0 included),
// and Ack for every answer. Any goroutine, any order.
type AckSink interface {
	Expect(nodes int)
	ClientCount(n int)
	Ack(res *Args)
}

// ackCollector is the AckSink of a broadcast operator: it calls fn once,
// when every node reported and every counted socket answered, or at the
// timeout.
type ackCollector struct {
	fn    MultiAckFunc
	tm    timer.Node
	wheel *timer.Wheel // set when tm is scheduled

	mu      sync.Mutex
	nodes   int // -1 until Expect
	counted int // nodes that reported
	clients int // sockets counted so far
	res     []*Args
	done    bool
}

func newAckCollector(fn MultiAckFunc) *ackCollector { return &ackCollector{fn: fn, nodes: -1} }

func (c *ackCollector) Expect(nodes int) {
	c.mu.Lock()
	c.nodes = nodes
	c.check()
}

func (c *ackCollector) ClientCount(n int) {
	c.mu.Lock()
	c.counted++
	c.clients += n
	c.check()
}

func (c *ackCollector) Ack(res *Args) {
	c.mu.Lock()
	if !c.done {
		c.res = append(c.res, res.Clone())
	}
	c.check()
}

// check ends the collection when complete; called with c.mu held, it
// releases it.
func (c *ackCollector) check() {
	if c.done || c.nodes < 0 || c.counted < c.nodes || len(c.res) < c.clients {
		c.mu.Unlock()
		return
	}
	c.done = true
	out := c.res
	w := c.wheel
	c.mu.Unlock()
	if w != nil {
		w.Stop(&c.tm)
	}
	c.fn(out, nil)
}

func (c *ackCollector) OnTimer(*timer.Node) {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	c.done = true
	out := c.res
	c.mu.Unlock()
	c.fn(out, ErrAckTimeout)
}

// ServerSideEvent is an event sent by another node with ServerSideEmit.
// Binary arguments are attachments (Bytes) with the sharded Redis adapter,
// and {"type":"Buffer","data":[…]} objects with the classic one, which
// sends server-side events as JSON (as between Node.js nodes). Valid until
// the handler returns unless Cloned.
type ServerSideEvent struct {
	Args
	name  string
	ack   func(res []byte)
	acked bool
}

// Name is the event name.
func (e *ServerSideEvent) Name() string { return e.name }

// HasAck reports whether the sending node waits for an answer.
func (e *ServerSideEvent) HasAck() bool { return e.ack != nil }

// Ack answers the sending node with one value (as Node's callback, only
// the first argument travels). Once; later calls are no-ops.
func (e *ServerSideEvent) Ack(v any) error {
	if e.ack == nil || e.acked {
		return nil
	}
	b, err := AppendServerSideJSON(nil, []any{v})
	if err != nil {
		return err
	}
	e.acked = true
	// b is "[v]": send v.
	e.ack(b[1 : len(b)-1])
	return nil
}

var errServerSideData = errors.New("sio: server-side event data is not [event, ...args]")

// OnServerSideEmit registers h for event when another node of the cluster
// sends it with ServerSideEmit (Node: io.on(event) on the server).
func (n *Namespace) OnServerSideEmit(event string, h func(e *ServerSideEvent)) {
	n.mu.Lock()
	if n.sse == nil {
		n.sse = make(map[string][]func(*ServerSideEvent))
	}
	n.sse[event] = append(n.sse[event], h)
	n.mu.Unlock()
}

// DeliverServerSideEmit runs the OnServerSideEmit handlers for data, the
// JSON [event, ...args] another node sent, whose placeholders refer to
// atts (for adapters). ack, when not nil, sends the first answer back
// (raw JSON).
func (n *Namespace) DeliverServerSideEmit(data []byte, atts [][]byte, ack func(res []byte)) error {
	name, err := parser.EventName(data)
	if err != nil {
		return errServerSideData
	}
	n.mu.RLock()
	hs := n.sse[string(name)]
	n.mu.RUnlock()
	if len(hs) == 0 {
		return nil
	}
	e := &ServerSideEvent{name: string(name), ack: ack}
	if err := e.Args.Fill(data, 1, atts); err != nil {
		return errServerSideData
	}
	for _, h := range hs {
		h(e)
	}
	return nil
}

// AppendServerSideJSON appends args as a JSON array the way Node.js nodes
// exchange server-side events: JSON, with []byte as {"type":"Buffer",
// "data":[…]}.
func AppendServerSideJSON(dst []byte, args []any) ([]byte, error) {
	data, atts, err := parser.AppendEventArgs(nil, args, nil)
	if err != nil {
		return nil, err
	}
	if len(atts) == 0 {
		return append(dst, data...), nil
	}
	vals, err := parser.DecodeArgs(data, atts)
	if err != nil {
		return nil, err
	}
	b, err := sonic.ConfigStd.Marshal(nodeBuffers(vals))
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// nodeBuffers replaces []byte in v by Node's JSON form of a Buffer.
func nodeBuffers(v any) any {
	switch x := v.(type) {
	case []byte:
		d := make([]int, len(x))
		for i, c := range x {
			d[i] = int(c)
		}
		return map[string]any{"type": "Buffer", "data": d}
	case []any:
		for i := range x {
			x[i] = nodeBuffers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = nodeBuffers(x[k])
		}
	}
	return v
}

// ServerSideEmitWithAck sends an event to the other nodes and waits for
// one answer from each (or ctx's end, or the adapter's request timeout).
// The answers are in no particular order.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]*Args, error) {
	if onDeliveringGoroutine() {
		return nil, ErrAckWouldBlock
	}
	type result struct {
		res []*Args
		err error
	}
	ch := make(chan result, 1)
	err := n.adapter.ServerSideEmit(event, args, func(res []*Args, err error) { ch <- result{res, err} })
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.res, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ServerCount is the number of nodes of the cluster (1 with the in-memory
// adapter).
func (n *Namespace) ServerCount(ctx context.Context) (int, error) { return n.adapter.ServerCount(ctx) }
