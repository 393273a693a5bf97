package loop

import (
	"bytes"
	"context"
	"net"
	"sync"

	"github.com/panjf2000/gnet/v2"
)

// Virtual runs the server's connection code without gnet or the kernel:
// connections whose output goes to counters, on loops whose posted tasks
// run when RunLoops is called. Benchmarks use it to measure the server's
// own work per recipient over far more connections than file descriptors
// allow (the fan-out to a million connections).
type Virtual struct {
	srv     *Server
	h       *handler
	loops   []*vloop
	scratch []byte
}

// NewVirtual returns a virtual server with n loops.
func NewVirtual(cfg Config, n int) (*Virtual, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	v := &Virtual{srv: s, h: &handler{srv: s}}
	for range n {
		v.loops = append(v.loops, &vloop{})
	}
	return v, nil
}

// Close stops the server's timers.
func (v *Virtual) Close() { v.srv.wheel.Close() }

// Dial opens a connection on loop i.
func (v *Virtual) Dial(i int) *VConn {
	vc := &VConn{el: v.loops[i%len(v.loops)]}
	v.h.OnOpen(vc)
	return vc
}

// Feed delivers inbound bytes to vc, as one OnTraffic pass.
func (v *Virtual) Feed(vc *VConn, b []byte) {
	if len(vc.in) == 0 {
		vc.in = append(v.scratch[:0], b...) // the bytes are consumed at once, mostly
		v.scratch = vc.in[:0]
	} else {
		vc.in = append(vc.in, b...)
	}
	v.h.OnTraffic(vc)
	if len(vc.in) > 0 {
		vc.in = bytes.Clone(vc.in) // a partial frame stays with its connection
	} else {
		vc.in = nil
	}
}

// RunLoops runs the tasks posted to the loops (the flushes of writes made
// outside a pass) until none is left; it returns how many ran.
func (v *Virtual) RunLoops() int {
	n := 0
	for again := true; again; {
		again = false
		for _, l := range v.loops {
			l.mu.Lock()
			tasks := l.tasks
			l.tasks = l.spare[:0]
			l.mu.Unlock()
			for i, t := range tasks {
				_ = t.Run(context.Background())
				tasks[i] = nil
				n++
				again = true
			}
			l.spare = tasks[:0]
		}
	}
	return n
}

type vloop struct {
	gnet.EventLoop // only Execute is used
	mu             sync.Mutex
	tasks, spare   []gnet.Runnable
}

func (l *vloop) Execute(_ context.Context, r gnet.Runnable) error {
	l.mu.Lock()
	l.tasks = append(l.tasks, r)
	l.mu.Unlock()
	return nil
}

// VConn is a virtual connection: what the server writes is counted, not
// kept.
type VConn struct {
	gnet.Conn // the methods the server does not use
	el        *vloop
	ctx       any
	in        []byte
	// Written and Writes count the bytes and the write calls (a writev is
	// one call) the server made.
	Written, Writes int
	Closed          bool
	// Record keeps what is written in Out.
	Record bool
	Out    []byte
}

var vaddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}

func (c *VConn) Peek(n int) ([]byte, error) {
	if n < 0 || n > len(c.in) {
		n = len(c.in)
	}
	return c.in[:n], nil
}

func (c *VConn) Discard(n int) (int, error) {
	if n < 0 || n > len(c.in) {
		n = len(c.in)
	}
	c.in = c.in[n:]
	return n, nil
}

func (c *VConn) InboundBuffered() int { return len(c.in) }

// Fd is -1: a virtual connection has no socket (arrivedAt then finds no stamp).
func (c *VConn) Fd() int { return -1 }
func (c *VConn) Write(b []byte) (int, error) {
	if c.Record {
		c.Out = append(c.Out, b...)
	}
	c.Written += len(b)
	c.Writes++
	return len(b), nil
}

func (c *VConn) Writev(bs [][]byte) (int, error) {
	n := 0
	for _, b := range bs {
		n += len(b)
		if c.Record {
			c.Out = append(c.Out, b...)
		}
	}
	c.Written += n
	c.Writes++
	return n, nil
}
func (c *VConn) OutboundBuffered() int         { return 0 }
func (c *VConn) Close() error                  { c.Closed = true; return nil }
func (c *VConn) Wake(gnet.AsyncCallback) error { return nil }
func (c *VConn) RemoteAddr() net.Addr          { return vaddr }
func (c *VConn) EventLoop() gnet.EventLoop     { return c.el }
func (c *VConn) SetContext(ctx any)            { c.ctx = ctx }
func (c *VConn) Context() any                  { return c.ctx }
