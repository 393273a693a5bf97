package loadgen

import "time"

// Clock reads the run's shared time line: nanoseconds since the run's origin,
// a wall-clock instant (Unix nanoseconds) chosen by the parent process and
// passed to its children. Within one process the reading is monotonic (it is
// the origin offset plus time.Since of a monotonic base), so it never jumps;
// across processes of one machine readings agree to within the skew of the
// system clock during the run.
//
// The zero Clock is not usable: make one with NewClock. Now is safe from any
// goroutine.
type Clock struct {
	base time.Time // monotonic reading taken by NewClock
	off  int64     // base's wall time minus the origin, in ns
}

// NewClock returns a clock whose zero is origin (Unix nanoseconds); origin 0
// means now.
func NewClock(origin int64) Clock {
	now := time.Now()
	if origin == 0 {
		origin = now.UnixNano()
	}
	return Clock{base: now, off: now.UnixNano() - origin}
}

// Now returns nanoseconds since the origin.
func (c *Clock) Now() int64 { return int64(time.Since(c.base)) + c.off }

// Origin returns the origin in Unix nanoseconds.
func (c *Clock) Origin() int64 { return c.base.UnixNano() - c.off }

// stampBase is added to a Clock reading carried in a payload so that it always
// has stampDigits decimal digits (a fixed width lets a pre-encoded frame be
// patched in place) and stays below 2^53, exact in JavaScript's numbers:
// a Node.js server re-serialises the payload unchanged.
const (
	stampBase   = 1_000_000_000_000_000
	stampDigits = 16
	stampMax    = 8_999_999_999_999_999 - stampBase // ~104 days after the origin
)

// ackBase offsets ack ids for the same reason: 10 digits, below 2^31.
const (
	ackBase   = 1_000_000_000
	ackDigits = 10
	ackSpan   = 1_000_000_000
)
