//go:build linux

package client

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill the Node server if the test binary
// dies first, so an aborted test leaks no process.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
