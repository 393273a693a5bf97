//go:build !linux

package client

import "os/exec"

func setDeathSignal(cmd *exec.Cmd) {}
