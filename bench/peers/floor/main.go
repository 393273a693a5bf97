// Command floor is the thinnest server siobench can drive: gnet plus
// gobwas/ws, moving WebSocket frames with just enough Engine.IO and
// Socket.IO bytes for the bench app contract of docs/bench-app.md. It is the
// naive cost of this stack; the distance from sioloop to it is the
// framework's tax.
//
// What it does, by byte matching (no JSON, no sessions beyond the
// handshake):
//
//	GET /socket.io/?EIO=4&transport=websocket → 101 (gobwas/ws), then the open packet
//	40                      → 40{"sid":"…"}
//	42["echo",X]            → 42["echo",X]
//	42N["echoack",X]        → 43N[X]
//	42["bcast",X]           → the same frame to every connection
//	42N["join",R]           → join room R, then 43N["ok"]
//	42["toroom",{"room":R…}] → the same frame to room R
//	41, Engine.IO close, WebSocket close → close the connection
//
// Every outgoing frame is its own Conn.Write (AsyncWrite when the target
// connection lives on another event loop): one write per delivery, no
// coalescing. Pings go out every -ping-interval. Usage:
//
//	go build -o /tmp/floor ./bench/peers/floor && /tmp/floor -addr 127.0.0.1:3000
//
// Once listening it prints "listening on http://ADDR".
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"

	"github.com/sioloop/sioloop/wsframe"
)

// peer is one connection.
type peer struct {
	c         gnet.Conn
	loop      gnet.EventLoop
	sid       []byte
	upgraded  bool
	connected bool // in the main namespace: receives broadcasts
	closed    bool
	idx       int     // index in hub.all while connected
	rooms     []*room // rooms joined
}

type room struct {
	name    string
	members []*peer
}

// hub holds the connected peers and the rooms. Callbacks of every loop use
// it; writes happen outside the lock (a failed write closes its connection,
// and OnClose takes the lock).
type hub struct {
	mu    sync.RWMutex
	all   []*peer
	rooms map[string]*room
}

var (
	h       = hub{rooms: map[string]*room{}}
	nextSID atomic.Uint64
	pingMS  int64
	snaps   = sync.Pool{New: func() any { s := make([]*peer, 0, 1024); return &s }}
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen on `host:port` (port 0: a free one)")
	loops := flag.Int("loops", 0, "event loops (default GOMAXPROCS)")
	ping := flag.Duration("ping-interval", 25*time.Second, "Engine.IO ping interval (pingTimeout 20s); 0: no pings, none announced")
	flag.Parse()
	if *loops <= 0 {
		*loops = runtime.GOMAXPROCS(0)
	}
	pingMS = ping.Milliseconds()
	a := *addr
	if _, port, err := net.SplitHostPort(a); err == nil && port == "0" {
		ln, err := net.Listen("tcp", a) // pick a free port (gnet does not report it)
		if err != nil {
			fatal(err)
		}
		a = ln.Addr().String()
		ln.Close()
	}
	s := &server{addr: a, ping: *ping}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		os.Exit(0)
	}()
	err := gnet.Run(s, "tcp://"+a,
		gnet.WithNumEventLoop(*loops),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithReuseAddr(true),
		gnet.WithTicker(*ping > 0),
		gnet.WithLogLevel(logging.ErrorLevel))
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}

type server struct {
	gnet.BuiltinEventEngine
	addr   string
	ping   time.Duration
	ticked bool
}

func (s *server) OnBoot(gnet.Engine) gnet.Action {
	fmt.Printf("listening on http://%s\n", s.addr)
	return gnet.None
}

func (s *server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&peer{c: c, loop: c.EventLoop()})
	return nil, gnet.None
}

func (s *server) OnClose(c gnet.Conn, _ error) gnet.Action {
	p, _ := c.Context().(*peer)
	if p == nil {
		return gnet.None
	}
	p.closed = true
	if p.connected {
		h.mu.Lock()
		last := len(h.all) - 1
		h.all[p.idx] = h.all[last]
		h.all[p.idx].idx = p.idx
		h.all[last] = nil
		h.all = h.all[:last]
		for _, r := range p.rooms {
			for i, m := range r.members {
				if m == p {
					r.members[i] = r.members[len(r.members)-1]
					r.members[len(r.members)-1] = nil
					r.members = r.members[:len(r.members)-1]
					break
				}
			}
			if len(r.members) == 0 {
				delete(h.rooms, r.name)
			}
		}
		h.mu.Unlock()
	}
	return gnet.None
}

// OnTick pings every connection (the ticker is not an event loop: AsyncWrite).
func (s *server) OnTick() (time.Duration, gnet.Action) {
	if !s.ticked {
		s.ticked = true // the first tick fires at start
		return s.ping, gnet.None
	}
	snap := snapshot()
	for _, p := range *snap {
		_ = p.c.AsyncWrite(pingFrame, nil)
	}
	release(snap)
	return s.ping, gnet.None
}

var pingFrame = wsframe.AppendFrame(nil, ws.OpText, []byte("2"))

func (s *server) OnTraffic(c gnet.Conn) gnet.Action {
	p := c.Context().(*peer)
	buf, _ := c.Peek(-1)
	if !p.upgraded {
		end := bytes.Index(buf, []byte("\r\n\r\n"))
		if end < 0 {
			if len(buf) > 8192 {
				return gnet.Close
			}
			return gnet.None
		}
		end += 4
		if !p.upgrade(buf[:end]) {
			return gnet.Close
		}
		_, _ = c.Discard(end)
		if buf, _ = c.Peek(-1); len(buf) == 0 { // (Discard may recycle what Peek returned)
			return gnet.None
		}
	}
	off := 0
	for off < len(buf) {
		hd, n, err := wsframe.ParseHeader(buf[off:])
		if err == wsframe.ErrNeedMore {
			break
		}
		if err != nil || !hd.Masked || !hd.Fin || hd.Length > 1<<20 {
			return gnet.Close
		}
		end := off + n + int(hd.Length)
		if end > len(buf) {
			break
		}
		pay := buf[off+n : end]
		wsframe.Unmask(pay, hd.Mask, 0)
		// buf[off:off+n] (the client header, mask included) is free space
		// in front of the payload: a server header (shorter) goes there.
		if !p.frame(hd.OpCode, buf[off:end], n) || p.closed {
			return gnet.Close
		}
		off = end
	}
	_, _ = c.Discard(off)
	return gnet.None
}

// upgrade answers the WebSocket handshake in req and sends the open packet.
func (p *peer) upgrade(req []byte) bool {
	u := ws.Upgrader{OnRequest: func(uri []byte) error {
		if !bytes.HasPrefix(uri, []byte("/socket.io/")) || !bytes.Contains(uri, []byte("EIO=4")) ||
			!bytes.Contains(uri, []byte("transport=websocket")) {
			return ws.RejectConnectionError(ws.RejectionStatus(400))
		}
		return nil
	}}
	if _, err := u.Upgrade(&reqRW{r: bytes.NewReader(req), c: p.c}); err != nil {
		return false
	}
	p.upgraded = true
	p.sid = strconv.AppendUint([]byte("f"), nextSID.Add(1), 36)
	var b [160]byte
	o := append(b[:0], `0{"sid":"`...)
	o = append(o, p.sid...)
	o = append(o, `","upgrades":[],`...)
	if pingMS > 0 { // without them siobench expects no pings
		o = append(o, `"pingInterval":`...)
		o = strconv.AppendInt(o, pingMS, 10)
		o = append(o, `,"pingTimeout":20000,`...)
	}
	o = append(o, `"maxPayload":1000000}`...)
	_, err := p.c.Write(wsframe.AppendFrame(nil, ws.OpText, o))
	return err == nil
}

// reqRW feeds the buffered request to gobwas/ws and writes its answer to the connection.
type reqRW struct {
	r *bytes.Reader
	c gnet.Conn
}

func (rw *reqRW) Read(b []byte) (int, error)  { return rw.r.Read(b) }
func (rw *reqRW) Write(b []byte) (int, error) { return rw.c.Write(b) }

var _ io.ReadWriter = (*reqRW)(nil)

// frame handles one client frame: fr is header+payload, the payload (from
// hl) already unmasked. false closes the connection.
func (p *peer) frame(op ws.OpCode, fr []byte, hl int) bool {
	pay := fr[hl:]
	switch op {
	case ws.OpText:
	case ws.OpClose:
		return false
	case ws.OpPing:
		_, err := p.c.Write(wsframe.AppendFrame(nil, ws.OpPong, pay))
		return err == nil
	default:
		return true // pong, binary: ignored
	}
	if len(pay) < 2 || pay[0] != '4' {
		return len(pay) == 0 || pay[0] != '1' // 1: Engine.IO close; 3: pong
	}
	switch pay[1] {
	case '0':
		if !p.connected {
			h.mu.Lock()
			p.idx = len(h.all)
			h.all = append(h.all, p)
			h.mu.Unlock()
			p.connected = true
		}
		var b [64]byte
		o := append(b[:0], 0x81, 0)
		o = append(o, `40{"sid":"`...)
		o = append(o, p.sid...)
		o = append(o, `"}`...)
		o[1] = byte(len(o) - 2)
		_, err := p.c.Write(o)
		return err == nil
	case '1':
		return false
	case '2':
		return p.event(fr, hl)
	}
	return true
}

// event handles 42[N][...].
func (p *peer) event(fr []byte, hl int) bool {
	pay := fr[hl:]
	i := 2
	for i < len(pay) && pay[i] >= '0' && pay[i] <= '9' {
		i++
	}
	id := pay[2:i]
	args := pay[i:]
	switch {
	case bytes.HasPrefix(args, []byte(`["echo",`)):
		return p.writeInPlace(fr, hl, len(pay))
	case bytes.HasPrefix(args, []byte(`["echoack",`)) && len(id) > 0:
		// 42N["echoack",X] → 43N[X]: X] is the payload's tail; 43N[ goes
		// right in front of X, over the event name.
		x := hl + i + len(`["echoack",`) - 1
		fr[x] = '['
		x -= len(id)
		copy(fr[x:], id)
		x -= 2
		fr[x], fr[x+1] = '4', '3'
		return p.writeInPlace(fr, x, len(fr)-x)
	case bytes.HasPrefix(args, []byte(`["bcast",`)):
		frame := serverFrame(fr, hl, len(pay))
		snap := snapshot()
		ok := fanout(p, frame, *snap)
		release(snap)
		return ok
	case bytes.HasPrefix(args, []byte(`["join",`)) && len(id) > 0:
		r := args[len(`["join",`) : len(args)-1]
		if len(r) > 1 && r[0] == '"' {
			r = r[1 : len(r)-1]
		}
		p.join(string(r))
		var b [40]byte
		o := append(b[:0], 0x81, 0, '4', '3')
		o = append(o, id...)
		o = append(o, `["ok"]`...)
		o[1] = byte(len(o) - 2)
		_, err := p.c.Write(o)
		return err == nil
	case bytes.HasPrefix(args, []byte(`["toroom",`)):
		name, ok := roomOf(args[len(`["toroom",`):])
		if !ok {
			return true
		}
		frame := serverFrame(fr, hl, len(pay))
		h.mu.RLock()
		r := h.rooms[string(name)]
		var snap *[]*peer
		if r != nil {
			snap = snaps.Get().(*[]*peer)
			*snap = append((*snap)[:0], r.members...)
		}
		h.mu.RUnlock()
		if snap == nil {
			return true
		}
		ok = fanout(p, frame, *snap)
		release(snap)
		return ok
	}
	return true
}

// roomOf finds "room":R at the start of an object and returns R's text
// (a string's contents, or a number's digits).
func roomOf(obj []byte) ([]byte, bool) {
	i := bytes.Index(obj, []byte(`"room":`))
	if i < 0 {
		return nil, false
	}
	v := obj[i+len(`"room":`):]
	if len(v) > 0 && v[0] == '"' {
		j := bytes.IndexByte(v[1:], '"')
		if j < 0 {
			return nil, false
		}
		return v[1 : 1+j], true
	}
	j := 0
	for j < len(v) && v[j] != ',' && v[j] != '}' {
		j++
	}
	return v[:j], j > 0
}

func (p *peer) join(name string) {
	h.mu.Lock()
	r := h.rooms[name]
	if r == nil {
		r = &room{name: name}
		h.rooms[name] = r
	}
	for _, q := range p.rooms {
		if q == r {
			h.mu.Unlock()
			return
		}
	}
	r.members = append(r.members, p)
	p.rooms = append(p.rooms, r)
	h.mu.Unlock()
}

// serverFrame writes a server text-frame header in front of the n payload
// bytes that start at fr[hl] (over the client header, which is longer) and
// returns the frame.
func serverFrame(fr []byte, hl, n int) []byte {
	sh := wsframe.HeaderSize(n, false)
	start := hl - sh
	wsframe.AppendHeader(fr[start:start], wsframe.Header{Fin: true, OpCode: ws.OpText, Length: int64(n)})
	return fr[start : hl+n]
}

// writeInPlace sends the n payload bytes at fr[hl:] as a server frame built in place.
func (p *peer) writeInPlace(fr []byte, hl, n int) bool {
	_, err := p.c.Write(serverFrame(fr, hl, n))
	return err == nil
}

// fanout writes frame to every peer of to: Write on the sender's loop,
// AsyncWrite (with a copy the loop may keep) on the others.
func fanout(from *peer, frame []byte, to []*peer) bool {
	var shared []byte
	for _, q := range to {
		if q.loop == from.loop {
			if !q.closed {
				_, _ = q.c.Write(frame)
			}
			continue
		}
		if shared == nil {
			shared = append([]byte(nil), frame...)
		}
		_ = q.c.AsyncWrite(shared, nil)
	}
	return !from.closed
}

// snapshot copies the connected peers (taken under the lock, written to
// outside it).
func snapshot() *[]*peer {
	s := snaps.Get().(*[]*peer)
	h.mu.RLock()
	*s = append((*s)[:0], h.all...)
	h.mu.RUnlock()
	return s
}

func release(s *[]*peer) {
	clear(*s)
	*s = (*s)[:0]
	snaps.Put(s)
}
