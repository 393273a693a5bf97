package loop

import "golang.org/x/sys/unix"

// accept4 accepts a connection of the listening socket lfd, non-blocking
// and close-on-exec, in one call.
func accept4(lfd int) (int, error) {
	nfd, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	return nfd, err
}
