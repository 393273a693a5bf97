//go:build linux

package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TLS (https:// and wss:// targets).
//
// The TLS handshake of a connection runs on a goroutine of its own with
// crypto/tls over an ordinary net.Conn. Once it is done, the socket is
// handed to the connection's event loop (a duplicate of its descriptor; the
// net.Conn is closed) and the tls.Conn is switched to the loop's buffers: the
// loop reads ciphertext from the socket into the pipe and takes plaintext
// out of tls.Conn.Read, which reports "would block" as a temporary error
// (crypto/tls keeps a record it has only in part and tries again later);
// plaintext written to tls.Conn comes out as ciphertext in the pipe, which
// the loop writes to the socket. Connections to plain http:// targets never
// touch any of this: the loop's read and write paths test one nil slice.

// tlsSock is the TLS state of one socket on a loop.
type tlsSock struct {
	conn *tls.Conn
	pipe *tlsPipe
}

// tlsDial is one handshake in progress on its goroutine.
type tlsDial struct {
	k    *sock
	fd   int
	ts   *tlsSock
	kind string // error kind when it failed
}

// errWouldBlock is tlsPipe's "no more input for now": a temporary net.Error,
// which crypto/tls does not remember as the connection's failure.
var errWouldBlock = &wouldBlock{}

type wouldBlock struct{}

func (*wouldBlock) Error() string   { return "would block" }
func (*wouldBlock) Timeout() bool   { return true }
func (*wouldBlock) Temporary() bool { return true }

// tlsPipe is the net.Conn under a tls.Conn: the real connection during the
// handshake, then the loop's buffers.
type tlsPipe struct {
	c   net.Conn // during the handshake; nil after
	in  []byte   // ciphertext read by the loop, not yet consumed
	off int
	out []byte // ciphertext waiting to be written by the loop
}

func (p *tlsPipe) Read(b []byte) (int, error) {
	if p.c != nil {
		return p.c.Read(b)
	}
	if p.off >= len(p.in) {
		p.in, p.off = p.in[:0], 0
		return 0, errWouldBlock
	}
	n := copy(b, p.in[p.off:])
	p.off += n
	return n, nil
}

func (p *tlsPipe) Write(b []byte) (int, error) {
	if p.c != nil {
		return p.c.Write(b)
	}
	p.out = append(p.out, b...)
	return len(b), nil
}

func (p *tlsPipe) Close() error {
	if p.c != nil {
		return p.c.Close()
	}
	return nil
}

func (p *tlsPipe) LocalAddr() net.Addr {
	if p.c != nil {
		return p.c.LocalAddr()
	}
	return &net.TCPAddr{}
}

func (p *tlsPipe) RemoteAddr() net.Addr {
	if p.c != nil {
		return p.c.RemoteAddr()
	}
	return &net.TCPAddr{}
}

func (p *tlsPipe) SetDeadline(t time.Time) error {
	if p.c != nil {
		return p.c.SetDeadline(t)
	}
	return nil
}

func (p *tlsPipe) SetReadDeadline(t time.Time) error {
	if p.c != nil {
		return p.c.SetReadDeadline(t)
	}
	return nil
}

func (p *tlsPipe) SetWriteDeadline(t time.Time) error {
	if p.c != nil {
		return p.c.SetWriteDeadline(t)
	}
	return nil
}

// tlsLoop is a loop's side of the TLS connections: their states by
// descriptor, the handshakes in progress and the wake-up of finished ones.
type tlsLoop struct {
	socks   []*tlsSock // by fd, as loop.socks
	dialing map[*sock]*tlsDial
	mu      sync.Mutex
	done    []*tlsDial // finished handshakes, for the loop
	closed  bool       // the loop has exited: its eventfd is closed
}

// closeTLS closes the eventfd once no handshake goroutine can write it.
func (l *loop) closeTLS() {
	l.tls.mu.Lock()
	defer l.tls.mu.Unlock()
	l.tls.closed = true
	unix.Close(l.wakeFd)
	for _, d := range l.tls.done {
		if d.fd >= 0 {
			unix.Close(d.fd)
		}
	}
	l.tls.done = nil
}

// initTLS prepares loop l for TLS targets: an eventfd the handshake
// goroutines wake it with.
func (l *loop) initTLS() error {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		return err
	}
	l.wakeFd = fd
	l.tls = &tlsLoop{socks: make([]*tlsSock, 0), dialing: map[*sock]*tlsDial{}}
	return nil
}

// tlsConfig returns the client TLS configuration of target t.
func (r *run) tlsConfig(t *target) *tls.Config {
	host := t.host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: r.cfg.Insecure,
		NextProtos:         []string{"http/1.1"},
		ClientSessionCache: r.tlsCache,
	}
}

// dialTLS starts k's connection and TLS handshake on a goroutine; the loop
// takes the socket over when it is done (tlsWake).
func (l *loop) dialTLS(k *sock, t *target, src net.IP) {
	k.fd = -1
	k.state = sockConnecting
	d := &tlsDial{k: k, fd: -1}
	l.tls.dialing[k] = d
	cfg := l.r.tlsConfigs[t]
	timeout := l.r.cfg.HandshakeTimeout
	tl, wake := l.tls, l.wakeFd
	go func() {
		d.fd, d.ts, d.kind = handshakeTLS(t.addr, src, cfg, timeout)
		tl.mu.Lock()
		defer tl.mu.Unlock()
		if tl.closed { // the loop is gone
			if d.fd >= 0 {
				unix.Close(d.fd)
			}
			return
		}
		tl.done = append(tl.done, d)
		var one = [8]byte{1}
		_, _ = unix.Write(wake, one[:])
	}()
}

// handshakeTLS connects to addr and runs the TLS handshake; it returns a
// non-blocking duplicate of the socket and the TLS state switched to the
// loop's buffers, or an error kind.
func handshakeTLS(addr *net.TCPAddr, src net.IP, cfg *tls.Config, timeout time.Duration) (int, *tlsSock, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dl := net.Dialer{}
	if src != nil {
		dl.LocalAddr = &net.TCPAddr{IP: src}
	}
	c, err := dl.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return -1, nil, dialErrKind("connect", err)
	}
	p := &tlsPipe{c: c}
	tc := tls.Client(p, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return -1, nil, tlsErrKind(err)
	}
	fd := -1
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err == nil {
		cerr := rc.Control(func(s uintptr) {
			fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
		})
		if err == nil {
			err = cerr
		}
	}
	c.Close()
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, nil, errnoKind("tls", err)
	}
	p.c = nil
	return fd, &tlsSock{conn: tc, pipe: p}, ""
}

func dialErrKind(prefix string, err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errnoKind(prefix, errno)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return prefix + ": timeout"
	}
	return prefix + ": " + err.Error()
}

// tlsErrKind names a failed handshake.
func tlsErrKind(err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		return "tls: certificate signed by unknown authority (--insecure skips verification)"
	case errors.As(err, &host):
		return "tls: certificate not valid for this host (--insecure skips verification)"
	case errors.Is(err, context.DeadlineExceeded):
		return "tls: handshake timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "tls: closed by server during the handshake"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errnoKind("tls", errno)
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "tls: "); i >= 0 {
		return msg[i:]
	}
	return "tls: " + msg
}

// tlsWake takes over the sockets of finished handshakes.
func (l *loop) tlsWake() {
	var b [8]byte
	_, _ = unix.Read(l.wakeFd, b[:])
	l.tls.mu.Lock()
	done := l.tls.done
	l.tls.done = nil
	l.tls.mu.Unlock()
	l.now = l.r.clock.Now()
	for _, d := range done {
		k := d.k
		if l.tls.dialing[k] != d {
			// the session gave up (timeout, end of run) meanwhile
			if d.fd >= 0 {
				unix.Close(d.fd)
			}
			continue
		}
		delete(l.tls.dialing, k)
		if d.kind != "" {
			k.state = sockClosed
			k.s.sockDown(l, k, d.kind)
			continue
		}
		if err := l.register(k, d.fd); err != nil {
			unix.Close(d.fd)
			k.state = sockClosed
			k.s.sockDown(l, k, errnoKind("connect", err))
			continue
		}
		for len(l.tls.socks) <= d.fd {
			l.tls.socks = append(l.tls.socks, make([]*tlsSock, max(1024, len(l.tls.socks)))...)
		}
		l.tls.socks[d.fd] = d.ts
		// register leaves it connecting: EPOLLOUT (at once, the socket is
		// connected) runs connected → sockUp as for a plain socket.
	}
}

// tlsOf returns k's TLS state, nil for a plain socket.
func (l *loop) tlsOf(k *sock) *tlsSock {
	if k.fd < 0 || int(k.fd) >= len(l.tls.socks) {
		return nil
	}
	return l.tls.socks[k.fd]
}

// tlsPending reports whether k has ciphertext waiting to be written.
func (l *loop) tlsPending(k *sock) bool {
	t := l.tlsOf(k)
	return t != nil && len(t.pipe.out) > 0
}

// tlsClosed forgets k's TLS state (k is being closed).
func (l *loop) tlsClosed(k *sock) {
	delete(l.tls.dialing, k)
	if t := l.tlsOf(k); t != nil {
		l.tls.socks[k.fd] = nil
	}
}

// readableTLS reads k's ciphertext until the kernel has no more, decrypts
// it and hands the plaintext to the protocol as readable does.
func (l *loop) readableTLS(k *sock, t *tlsSock, hup bool) {
	eof := false
	for {
		n, err := unix.Read(int(k.fd), l.buf)
		if err != nil {
			if err == unix.EAGAIN {
				break
			}
			if err == unix.EINTR {
				continue
			}
			l.sockFailed(k, errnoKind("conn", err))
			return
		}
		if n == 0 {
			eof = true
			break
		}
		l.st.bytesIn += int64(n)
		t.pipe.in = append(t.pipe.in, l.buf[:n]...)
		if n < len(l.buf) && !hup {
			break
		}
	}
	l.now = l.r.clock.Now()
	k.s.lastRecv = l.now
	p := k.in
	if p == nil {
		p = l.getBuf(0)
	}
	for {
		if cap(p)-len(p) < 16<<10 {
			np := make([]byte, len(p), max(2*cap(p), len(p)+readBufSize))
			copy(np, p)
			l.putBuf(p)
			p = np
		}
		n, err := t.conn.Read(p[len(p):cap(p)])
		p = p[:len(p)+n]
		if err != nil {
			if err == errWouldBlock {
				break
			}
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			k.in = p
			l.sockFailed(k, tlsErrKind(err))
			return
		}
	}
	k.in = p
	if len(p) > 0 {
		used := l.input(k, p, eof)
		if used < 0 || k.state == sockClosed {
			return
		}
		k.in = k.in[:copy(k.in, k.in[used:])]
	}
	if len(k.in) == 0 {
		l.putBuf(k.in)
		k.in = nil
	}
	if eof {
		l.sockEOF(k)
		return
	}
	if len(t.pipe.out) > 0 {
		l.queue(k) // a TLS message of the server's wanted an answer
	}
}

// flushTLS encrypts k's pending output and writes the ciphertext.
func (l *loop) flushTLS(k *sock, t *tlsSock) {
	if len(k.out) > 0 {
		if _, err := t.conn.Write(k.out); err != nil {
			l.sockFailed(k, tlsErrKind(err))
			return
		}
		l.putBuf(k.out)
		k.out = nil
	}
	if len(t.pipe.out) == 0 {
		return
	}
	n, err := unix.Write(int(k.fd), t.pipe.out)
	if err != nil {
		if err == unix.EAGAIN || err == unix.EINTR {
			return // EPOLLOUT brings it back
		}
		l.sockFailed(k, errnoKind("conn", err))
		return
	}
	l.st.bytesOut += int64(n)
	t.pipe.out = t.pipe.out[:copy(t.pipe.out, t.pipe.out[n:])]
}
