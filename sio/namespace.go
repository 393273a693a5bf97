package sio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Middleware runs for every CONNECT to a namespace before the socket is
// connected. Call next(nil) to go on, next(err) to refuse: the client gets
// a CONNECT_ERROR with err's message (and ErrorData's data when err
// implements it). next may be called later from any goroutine (async
// checks); until then the socket waits.
type Middleware func(s *Socket, next func(error))

// ErrorData is implemented by errors that carry a "data" field for the
// client's connect_error.
type ErrorData interface {
	error
	Data() any
}

// ConnectError is a middleware refusal with data.
type ConnectError struct {
	Message string
	Details any
}

func (e *ConnectError) Error() string { return e.Message }

// Data implements ErrorData.
func (e *ConnectError) Data() any { return e.Details }

// Namespace is a communication channel that splits the sockets of one
// connection ("/", "/admin"). All methods are safe from any goroutine.
type Namespace struct {
	srv    *Server
	name   string
	parent *Namespace // for namespaces created by OfFunc
	ids    atomic.Int64

	mu      sync.RWMutex
	sockets map[string]*Socket
	// list holds the sockets too, densely and mostly in connection order
	// (that is, memory order): a broadcast to all walks it, not the map.
	list     []*Socket
	mws      []Middleware
	onConn   []func(*Socket)
	children sync.Map // *Namespace → struct{} (parents only)

	adapter Adapter
	all     BroadcastOperator // every socket; operators never change
	sse     map[string][]func(*ServerSideEvent)
}

func newNamespace(s *Server, name string, parent *Namespace) *Namespace {
	n := &Namespace{srv: s, name: name, parent: parent, sockets: make(map[string]*Socket)}
	n.all.nsp = n
	if s.opts.Adapter != nil {
		n.adapter = s.opts.Adapter(n)
	} else {
		n.adapter = NewMemoryAdapter(n)
	}
	return n
}

// Name is the namespace name ("/" for the main one).
func (n *Namespace) Name() string { return n.name }

// Server returns the server.
func (n *Namespace) Server() *Server { return n.srv }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() Adapter { return n.adapter }

// Use adds a middleware.
func (n *Namespace) Use(mw Middleware) {
	n.mu.Lock()
	n.mws = append(n.mws, mw)
	n.mu.Unlock()
}

// OnConnection registers fn for every socket that connects.
func (n *Namespace) OnConnection(fn func(*Socket)) {
	n.mu.Lock()
	n.onConn = append(n.onConn, fn)
	n.mu.Unlock()
}

func (n *Namespace) handlers() ([]Middleware, []func(*Socket)) {
	h := n
	if n.parent != nil {
		h = n.parent
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.mws, h.onConn
}

// Socket returns the connected socket with id, or nil.
func (n *Namespace) Socket(id string) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// Len is the number of connected sockets.
func (n *Namespace) Len() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.sockets)
}

func (n *Namespace) add(s *Socket) {
	n.mu.Lock()
	n.sockets[s.id] = s
	s.idx = int32(len(n.list))
	n.list = append(n.list, s)
	n.mu.Unlock()
}

func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	if n.sockets[s.id] == s {
		delete(n.sockets, s.id)
		last := n.list[len(n.list)-1]
		n.list[s.idx] = last
		last.idx = s.idx
		n.list[len(n.list)-1] = nil
		n.list = n.list[:len(n.list)-1]
	}
	n.mu.Unlock()
}

// nextAckID hands out ack ids; like the reference, one counter per
// namespace, shared by socket emits and broadcasts.
func (n *Namespace) nextAckID() int64 { return n.ids.Add(1) - 1 }

// --- broadcasting shortcuts ---

func (n *Namespace) op() *BroadcastOperator { return &n.all }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error { return n.op().Emit(event, args...) }

// To selects rooms (union) for a broadcast.
func (n *Namespace) To(rooms ...string) *BroadcastOperator { return n.op().To(rooms...) }

// In is To.
func (n *Namespace) In(rooms ...string) *BroadcastOperator { return n.op().To(rooms...) }

// Except excludes rooms from a broadcast.
func (n *Namespace) Except(rooms ...string) *BroadcastOperator { return n.op().Except(rooms...) }

// Local restricts a broadcast to this node.
func (n *Namespace) Local() *BroadcastOperator { return n.op().Local() }

// Volatile marks a broadcast as droppable for sockets that are not ready.
func (n *Namespace) Volatile() *BroadcastOperator { return n.op().Volatile() }

// Compress is accepted for API parity (WebSocket compression is never
// negotiated).
func (n *Namespace) Compress(bool) *BroadcastOperator { return n.op() }

// Timeout sets how long a broadcast with an ack callback waits.
func (n *Namespace) Timeout(d time.Duration) *BroadcastOperator { return n.op().Timeout(d) }

// FetchSockets describes the sockets of the namespace on every node (see
// BroadcastOperator.FetchSockets).
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return n.op().FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace join rooms.
func (n *Namespace) SocketsJoin(rooms ...string) { n.op().SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave rooms.
func (n *Namespace) SocketsLeave(rooms ...string) { n.op().SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the namespace.
func (n *Namespace) DisconnectSockets(close bool) { n.op().DisconnectSockets(close) }

// ServerSideEmit sends an event to the other nodes' namespaces through the
// adapter (a no-op with the in-memory adapter, as in the reference); they
// receive it with OnServerSideEmit. A trailing MultiAckFunc collects one
// answer per other node (see ServerSideEmitWithAck).
func (n *Namespace) ServerSideEmit(event string, args ...any) error {
	if isReserved(event) {
		return errReserved(event)
	}
	var ack MultiAckFunc
	if k := len(args); k > 0 {
		switch f := args[k-1].(type) {
		case MultiAckFunc:
			ack, args = f, args[:k-1]
		case func([]*Args, error):
			ack, args = f, args[:k-1]
		}
	}
	return n.adapter.ServerSideEmit(event, args, ack)
}
