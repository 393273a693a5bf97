package loop

import (
	"context"
	"errors"
	"net"
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Running out of descriptors.
//
// gnet's acceptor ends the whole engine, every connection with it, when
// accept(2) fails with anything but EAGAIN, EINTR, ECONNRESET or
// ECONNABORTED: EMFILE (the process's descriptor table is full) takes the
// server down. Two defences:
//
//   - MaxConnections (default: the descriptor limit less a reserve for
//     everything else the process opens) refuses the connections past it
//     in OnOpen, with 503 and a close, before the table is full.
//   - When the table fills all the same (the application's own files,
//     other servers in the process), gnet logs "Accept() failed" on its
//     acceptor goroutine just before giving up. The logger takes that
//     goroutine over (takeOverAccept) and never returns until Shutdown: it
//     accepts in its place, hands each connection to the engine
//     (gnet.Engine.Register), and while descriptors are short, accepts the
//     waiting connection on a spare descriptor kept for the purpose,
//     answers 503 and closes it, backing off, so that clients are told
//     rather than left waiting, and the connections already open are
//     served throughout.

// defaultReserve is the descriptors MaxConnections leaves to the rest of
// the process by default (listener, pollers, timers, the application's
// files and clients), or a fiftieth of the limit if that is more.
const defaultReserve = 64

// defaultMaxConnections derives MaxConnections from RLIMIT_NOFILE.
func defaultMaxConnections() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY || rl.Cur > 1<<30 {
		return 1 << 30
	}
	n := int(rl.Cur)
	return max(n-max(defaultReserve, n/50), 1)
}

// resp503 answers a connection refused for want of capacity.
var resp503 = []byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n\r\nserver at capacity\r\n")

// ErrStopped is returned by Serve when the engine stopped without
// Shutdown (it wraps what stopped it when known).
var ErrStopped = errors.New("loop: the server stopped on its own")

// acceptFailed reports gnet's log line for a failed accept: what the
// takeover looks for.
func acceptFailed(format string, args []any) (error, bool) {
	if format != "Accept() failed due to error: %v" || len(args) != 1 {
		return nil, false
	}
	err, _ := args[0].(error)
	return err, err != nil
}

// takeOverAccept runs on gnet's acceptor goroutine after its accept failed
// with cause (see the comment at the top of this file) and accepts until
// Shutdown.
func (s *Server) takeOverAccept(cause error) {
	s.tookOver.Store(true)
	s.logf("loop: accept failed (%v): taking over the acceptor; open connections are served, new ones get 503 until descriptors free up", cause)
	lfd := s.lfd
	if lfd < 0 {
		s.logf("loop: no listener copy to take over with: the engine stops")
		return
	}
	spare := s.spare // opened at boot: the table is full by now
	s.spare = -1
	backoff := time.Duration(0)
	for !s.stopping.Load() {
		fds := []unix.PollFd{{Fd: int32(lfd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 100); err != nil || n == 0 {
			continue
		}
		nfd, err := accept4(lfd)
		switch {
		case err == nil:
			if s.register(nfd) {
				backoff = 0
				continue
			}
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR),
			errors.Is(err, unix.ECONNABORTED), errors.Is(err, unix.ECONNRESET):
			continue
		case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE),
			errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.ENOMEM):
			// Tell the waiting clients now rather than leave them waiting:
			// each is accepted on the spare descriptor, answered, closed.
			if spare < 0 {
				spare = openSpare()
			}
			for spare >= 0 {
				unix.Close(spare)
				nfd, err := accept4(lfd)
				if err == nil {
					refuse(nfd)
					s.refused.Add(1)
				}
				spare = openSpare()
				if err != nil {
					break
				}
			}
		default:
			s.logf("loop: accept: %v", err)
		}
		backoff = min(max(2*backoff, 5*time.Millisecond), 100*time.Millisecond)
		time.Sleep(backoff)
	}
	if spare >= 0 {
		unix.Close(spare)
	}
}

// register hands an accepted descriptor to the engine, which takes a copy
// of it. nfd is closed either way; false when there was no descriptor for
// the copies (the client got 503).
func (s *Server) register(nfd int) bool {
	f := os.NewFile(uintptr(nfd), "") // owns nfd from here
	nc, err := net.FileConn(f)        // a copy
	if err != nil {
		_, _ = unix.Write(nfd, resp503)
		f.Close()
		s.refused.Add(1)
		return false
	}
	f.Close()
	// The engine dups nc's descriptor on a goroutine of its own and closes
	// nc (if that dup fails, the client sees the connection close); its
	// result channel is buffered and needs no reader.
	if _, err := s.eng.Register(gnet.NewNetConnContext(context.Background(), nc)); err != nil {
		nc.Close()
		return false
	}
	return true
}

// refuse answers 503 on a descriptor and closes it.
func refuse(fd int) {
	_, _ = unix.Write(fd, resp503)
	unix.Close(fd)
}

// openSpare opens the descriptor kept to refuse connections with.
func openSpare() int {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}
