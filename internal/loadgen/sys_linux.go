//go:build linux

package loadgen

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epollWait waits up to timeoutNs (< 0: forever) with nanosecond precision
// (epoll_pwait2, Linux 5.11+), falling back to epoll_wait's milliseconds.
func epollWait(epfd int, evs []unix.EpollEvent, timeoutNs int64, noPwait2 *bool) (int, error) {
	if !*noPwait2 {
		var tsp uintptr
		var ts unix.Timespec
		if timeoutNs >= 0 {
			ts = unix.NsecToTimespec(timeoutNs)
			tsp = uintptr(unsafe.Pointer(&ts))
		}
		n, _, e := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(unsafe.Pointer(&evs[0])), uintptr(len(evs)), tsp, 0, 0)
		if e == 0 {
			return int(n), nil
		}
		if e != unix.ENOSYS {
			return 0, e
		}
		*noPwait2 = true
	}
	ms := -1
	if timeoutNs >= 0 {
		ms = int((timeoutNs + 999_999) / 1_000_000)
	}
	return unix.EpollWait(epfd, evs, ms)
}

// dialSock opens a non-blocking TCP socket to addr (from src when set) and
// starts connecting. The connection completes (or fails) asynchronously:
// the socket becomes writable, and SO_ERROR says how it went.
func dialSock(addr *net.TCPAddr, src net.IP) (int, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr
	if ip4 := addr.IP.To4(); ip4 != nil {
		s := &unix.SockaddrInet4{Port: addr.Port}
		copy(s.Addr[:], ip4)
		sa = s
	} else {
		family = unix.AF_INET6
		s := &unix.SockaddrInet6{Port: addr.Port}
		copy(s.Addr[:], addr.IP.To16())
		sa = s
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if src != nil && family == unix.AF_INET {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		s := &unix.SockaddrInet4{}
		copy(s.Addr[:], src.To4())
		if err := unix.Bind(fd, s); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// errnoKind names a socket error for the error table.
func errnoKind(prefix string, err error) string {
	switch err {
	case unix.ECONNREFUSED:
		return prefix + ": refused"
	case unix.ECONNRESET, unix.EPIPE:
		return prefix + ": reset by server"
	case unix.ETIMEDOUT:
		return prefix + ": timed out"
	case unix.EADDRNOTAVAIL:
		return prefix + ": no local port (EADDRNOTAVAIL)"
	case unix.EMFILE, unix.ENFILE:
		return prefix + ": too many open files"
	case unix.ENETUNREACH, unix.EHOSTUNREACH:
		return prefix + ": unreachable"
	}
	if e, ok := err.(syscall.Errno); ok {
		return prefix + ": " + e.Error()
	}
	return prefix + ": " + err.Error()
}

// threadCPU returns the calling thread's user+sys CPU time in ns.
func threadCPU() int64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// ProcessCPU returns this process's user+sys CPU time in ns.
func ProcessCPU() int64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// Cores returns the number of CPUs this process may run on.
func Cores() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return 1
	}
	return max(1, set.Count())
}

// PidCPU returns the user+sys CPU time of process pid in ns (from
// /proc/pid/stat), or -1.
func PidCPU(pid int) int64 {
	u, s := PidCPUSplit(pid)
	if u < 0 {
		return -1
	}
	return u + s
}

// PidCPUSplit returns the user and the system CPU time of process pid in ns
// (from /proc/pid/stat), or -1, -1.
func PidCPUSplit(pid int) (user, sys int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1, -1
	}
	// the command may contain spaces: fields start after the last ')'
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1, -1
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return -1, -1
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return ut * (1e9 / hz), st * (1e9 / hz)
}

// PidRSS returns VmRSS of process pid (0 = self) in KiB, or -1.
func PidRSS(pid int) int64 {
	p := "/proc/self/status"
	if pid != 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return -1
}

// FDLimit returns this process's descriptor limit (RLIMIT_NOFILE; the Go
// runtime raises the soft limit to the hard one at start).
func FDLimit() int {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) != nil || rl.Cur > 1<<30 {
		return 1 << 20
	}
	return int(rl.Cur)
}

// setTimerSlack asks for precise timer wake-ups on the calling thread.
func setTimerSlack() { _ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) }

func writeFD(fd int, b []byte) (int, error) { return unix.Write(fd, b) }
