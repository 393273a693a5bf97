package sio

import (
	"errors"
	"reflect"
	"runtime"
	"strings"

	"github.com/sioloop/sioloop/eio"
	"github.com/sioloop/sioloop/internal/timer"
)

// ErrAckWouldBlock is returned at once by EmitWithAck called where waiting
// would hold up the answer itself: in a handler that runs on an event loop
// (the default), on the connection goroutine of net/http mode, or in a
// callback on the timer goroutine. The loop that would read the client's
// ack is the one waiting for it, so the call could only time out. Pass an
// AckFunc to Emit instead (it runs when the answer arrives), wait in a
// goroutine of your own, or set Options.Workers so handlers run off the
// loops.
var ErrAckWouldBlock = errors.New("sio: EmitWithAck would block the goroutine that delivers the ack (a handler on an event loop): use Emit with an AckFunc, a goroutine, or Options.Workers")

// Where packets are delivered from: a frame of one of these packages on
// the caller's stack means the caller runs on a delivering goroutine, unless
// a worker of the pool (Options.Workers) runs it.
var (
	deliverers = []string{
		"github.com/panjf2000/gnet/",
		reflect.TypeFor[eio.Server]().PkgPath() + ".",
		reflect.TypeFor[timer.Wheel]().PkgPath() + ".",
	}
	workerFrame = runtime.FuncForPC(reflect.ValueOf((*workerPool).drain).Pointer()).Name()
)

// onDeliveringGoroutine reports whether the caller would hold up packet
// delivery by blocking (see ErrAckWouldBlock). It walks the stack: a few
// microseconds, paid only by the blocking emit forms.
func onDeliveringGoroutine() bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	for n == len(pcs) {
		pcs = make([]uintptr, 2*len(pcs))
		n = runtime.Callers(2, pcs)
	}
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function == workerFrame {
			return false
		}
		for _, p := range deliverers {
			if strings.HasPrefix(f.Function, p) {
				return true
			}
		}
		if !more {
			return false
		}
	}
}
