package redis

import (
	"context"
	"errors"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sioloop/sioloop/sio"
	"github.com/sioloop/sioloop/sio/parser"
)

// emitterUID is the node id the Node.js @socket.io/redis-emitter uses:
// every node takes its messages as another node's.
const emitterUID = "emitter"

// Emitter sends to the sockets of a cluster from a process that serves
// none (a worker, a cron job): broadcasts, socketsJoin/Leave,
// disconnectSockets and serverSideEmit, published to Redis in the format
// of @socket.io/redis-emitter 5.x, so Go and Node.js nodes with the
// classic adapter both act on them. Like the Node emitter it cannot wait
// for answers (no acknowledgements, no fetchSockets).
//
// An Emitter is a value: each chaining method returns a new one, so one
// can be kept and reused from any goroutine.
type Emitter struct {
	c        goredis.UniversalClient
	key, nsp string
	rooms    []string
	except   []string
	volatile bool
	compress *bool
}

// NewEmitter returns an emitter for the main namespace of the cluster on
// c whose nodes use key (empty: "socket.io", as the adapters' default).
func NewEmitter(c goredis.UniversalClient, key string) *Emitter {
	if key == "" {
		key = "socket.io"
	}
	return &Emitter{c: c, key: key, nsp: "/"}
}

func (e *Emitter) clone() *Emitter {
	c := *e
	c.rooms = append([]string(nil), e.rooms...)
	c.except = append([]string(nil), e.except...)
	return &c
}

// Of returns an emitter for namespace nsp (a leading "/" is added when
// missing), with no rooms or flags.
func (e *Emitter) Of(nsp string) *Emitter {
	if nsp == "" || nsp[0] != '/' {
		nsp = "/" + nsp
	}
	return &Emitter{c: e.c, key: e.key, nsp: nsp}
}

// To adds rooms (union).
func (e *Emitter) To(rooms ...string) *Emitter {
	c := e.clone()
	for _, r := range rooms {
		if !contains(c.rooms, r) {
			c.rooms = append(c.rooms, r)
		}
	}
	return c
}

// In is To.
func (e *Emitter) In(rooms ...string) *Emitter { return e.To(rooms...) }

// Except excludes the sockets of rooms.
func (e *Emitter) Except(rooms ...string) *Emitter {
	c := e.clone()
	for _, r := range rooms {
		if !contains(c.except, r) {
			c.except = append(c.except, r)
		}
	}
	return c
}

// Volatile lets nodes drop the packet for sockets not ready for it.
func (e *Emitter) Volatile() *Emitter {
	c := e.clone()
	c.volatile = true
	return c
}

// Compress sets the compress flag.
func (e *Emitter) Compress(on bool) *Emitter {
	c := e.clone()
	c.compress = &on
	return c
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

var errEmitterAck = errors.New("redis emitter: acknowledgements are not supported")

// Emit broadcasts an event to the selected sockets of every node. Binary
// arguments ([]byte, sio.Binary) travel as msgpack bin and reach clients
// as binary attachments.
func (e *Emitter) Emit(ctx context.Context, event string, args ...any) error {
	if err := checkEvent(event, args); err != nil {
		return err
	}
	data, atts, err := parser.AppendEventArgs(nil, append([]any{event}, args...), nil)
	if err != nil {
		return err
	}
	b := &Broadcast{UID: emitterUID, Nsp: e.nsp, Data: data, Attachments: atts,
		Rooms: nonNil(e.rooms), Except: nonNil(e.except), Volatile: e.volatile, Compress: e.compress}
	msg, err := AppendBroadcast(nil, b)
	if err != nil {
		return err
	}
	ch := e.key + "#" + e.nsp + "#"
	if len(e.rooms) == 1 {
		ch += e.rooms[0] + "#"
	}
	return e.c.Publish(ctx, ch, msg).Err()
}

func checkEvent(event string, args []any) error {
	switch event {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return errors.New("redis emitter: \"" + event + "\" is a reserved event name")
	}
	if n := len(args); n > 0 {
		switch args[n-1].(type) {
		case sio.MultiAckFunc, func([]*sio.Args, error), sio.AckFunc, func(*sio.Args, error):
			return errEmitterAck
		}
	}
	return nil
}

func (e *Emitter) request(ctx context.Context, v map[string]any) error {
	b, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	return e.c.Publish(ctx, e.key+"-request#"+e.nsp+"#", b).Err()
}

func (e *Emitter) wireOpts() wireOpts {
	return wireOpts{Rooms: nonNil(e.rooms), Except: nonNil(e.except)}
}

// SocketsJoin makes the selected sockets of every node join rooms.
func (e *Emitter) SocketsJoin(ctx context.Context, rooms ...string) error {
	return e.request(ctx, map[string]any{"type": reqRemoteJoin, "opts": e.wireOpts(), "rooms": nonNil(rooms)})
}

// SocketsLeave makes the selected sockets of every node leave rooms.
func (e *Emitter) SocketsLeave(ctx context.Context, rooms ...string) error {
	return e.request(ctx, map[string]any{"type": reqRemoteLeave, "opts": e.wireOpts(), "rooms": nonNil(rooms)})
}

// DisconnectSockets disconnects the selected sockets of every node (close:
// their connections too).
func (e *Emitter) DisconnectSockets(ctx context.Context, close bool) error {
	return e.request(ctx, map[string]any{"type": reqRemoteDisconnect, "opts": e.wireOpts(), "close": close})
}

// ServerSideEmit sends an event to the namespace of every node (their
// OnServerSideEmit handlers, or io.on on Node.js nodes).
func (e *Emitter) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	if err := checkEvent(event, args); err != nil {
		return err
	}
	data, err := sio.AppendServerSideJSON(nil, append([]any{event}, args...))
	if err != nil {
		return err
	}
	return e.request(ctx, map[string]any{"uid": emitterUID, "type": reqServerSideEmit, "data": rawJSON(data)})
}
