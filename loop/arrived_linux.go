package loop

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Arrival stamps. Requests of one Engine.IO session may come on several
// connections that different event loops serve; the order in which the
// loops get to them is not the order in which they reached the server
// (eio.Request.Arrived). The listener asks the kernel to stamp what it
// receives (SO_TIMESTAMPNS, inherited by accepted sockets), and OnOpen,
// which runs before the connection is first read, peeks at the stamp of
// the first bytes waiting; when none are waiting yet, the connection is
// stamped with the time it was opened.

// enableArrivalStamps turns on receive stamps on the listening socket fd.
func enableArrivalStamps(fd int) {
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
}

// arrivedAt returns when the first bytes waiting on fd reached the kernel
// (Unix ns), or -1 when none are waiting yet or the stamp is unavailable.
func arrivedAt(fd int) int64 {
	var b [1]byte
	var oob [64]byte
	_, oobn, _, _, err := unix.Recvmsg(fd, b[:], oob[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
	if err != nil || oobn < unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
		return -1
	}
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	if h.Level != unix.SOL_SOCKET || h.Type != unix.SCM_TIMESTAMPNS {
		return -1
	}
	ts := (*unix.Timespec)(unsafe.Pointer(&oob[unix.CmsgLen(0)]))
	return ts.Nano()
}
