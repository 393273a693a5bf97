//go:build !linux

package loadgen

import (
	"context"
	"errors"
)

// ErrUnsupported: the load engine is built on epoll.
var ErrUnsupported = errors.New("the load engine needs Linux (epoll)")

// Runner runs one configured load test (Linux only).
type Runner struct{ cfg Config }

// New reports ErrUnsupported outside Linux.
func New(cfg Config) (*Runner, error) { return nil, ErrUnsupported }

// Config returns the run's configuration.
func (rn *Runner) Config() Config { return rn.cfg }

// Snapshot reports progress.
func (rn *Runner) Snapshot() Snapshot { return Snapshot{} }

// Run reports ErrUnsupported outside Linux.
func (rn *Runner) Run(ctx context.Context, hooks Hooks) (*Result, error) { return nil, ErrUnsupported }

// ProcessCPU is not measured outside Linux.
func ProcessCPU() int64 { return 0 }

// PidCPU is not measured outside Linux.
func PidCPU(pid int) int64 { return -1 }

// PidCPUSplit is not measured outside Linux.
func PidCPUSplit(pid int) (user, sys int64) { return -1, -1 }

// PidRSS is not measured outside Linux.
func PidRSS(pid int) int64 { return -1 }

// FDLimit is not read outside Linux.
func FDLimit() int { return 1 << 20 }

// Cores is 1 outside Linux.
func Cores() int { return 1 }
