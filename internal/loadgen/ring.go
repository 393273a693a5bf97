package loadgen

import "bytes"

// ring is a FIFO of op times (the low 56 bits: Clock ns; the high bits
// may carry a workload's tag, see timeMask).
type ring struct {
	q    []int64
	h, n uint32
}

// timeMask extracts the time from a ring value.
const timeMask = 1<<56 - 1

// push appends v; false when the ring holds maxPending values.
func (r *ring) push(v int64) bool {
	if int(r.n) == len(r.q) {
		if len(r.q) >= maxPending {
			return false
		}
		q := make([]int64, max(4, 2*len(r.q)))
		for i := range r.n {
			q[i] = r.q[(r.h+i)%uint32(len(r.q))]
		}
		r.q, r.h = q, 0
	}
	r.q[(r.h+r.n)%uint32(len(r.q))] = v
	r.n++
	return true
}

// pop removes and returns the oldest value; r.n must be > 0.
func (r *ring) pop() int64 {
	v := r.q[r.h]
	r.h++
	if r.h == uint32(len(r.q)) {
		r.h = 0
	}
	r.n--
	return v
}

// head returns the oldest value; r.n must be > 0.
func (r *ring) head() int64 { return r.q[r.h] }

// maxPending bounds a session's outstanding ops (paced runs against a
// stalled server): beyond it paced ops are not sent and count as not sent.
const maxPending = 4096

// jsonInt finds key (with its colon) in a flat JSON object and reads the
// unsigned integer after it; -1 if absent.
func jsonInt(b []byte, key string) int64 {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return -1
	}
	v, n := parseDigits(b[i+len(key):])
	if n == 0 {
		return -1
	}
	return v
}

// jsonString finds key (with colon and opening quote) and returns the string
// after it, up to the next quote (no escapes expected).
func jsonString(b []byte, key string) (string, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := b[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}

func itoa(v int64) string { return string(appendInt(nil, v)) }

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}
