//go:build !linux

package loop

import "golang.org/x/sys/unix"

// accept4 accepts a connection of the listening socket lfd, non-blocking
// and close-on-exec (two more calls where accept4(2) is missing).
func accept4(lfd int) (int, error) {
	nfd, _, err := unix.Accept(lfd)
	if err != nil {
		return -1, err
	}
	unix.CloseOnExec(nfd)
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}
