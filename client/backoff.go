package client

import (
	"math"
	"math/rand/v2"
	"time"
)

// backoff computes reconnection delays as the official client does
// (its contrib/backo2): min · 2^attempt, moved by up to jitter · that
// value up or down at random, capped at max.
type backoff struct {
	min, max time.Duration
	jitter   float64
	attempts int
	rand     func() float64 // [0, 1); nil: math/rand/v2
}

// maxExponent keeps min · 2^attempt finite; the cap applies long before.
const maxExponent = 62

func (b *backoff) duration() time.Duration {
	exp := min(b.attempts, maxExponent)
	b.attempts++
	ms := float64(b.min) * math.Pow(2, float64(exp))
	if b.jitter > 0 {
		r := b.random()
		deviation := math.Floor(r * b.jitter * ms)
		if int(math.Floor(r*10))&1 == 0 {
			ms -= deviation
		} else {
			ms += deviation
		}
	}
	if ms > float64(b.max) {
		return b.max
	}
	return time.Duration(ms)
}

func (b *backoff) random() float64 {
	if b.rand != nil {
		return b.rand()
	}
	return rand.Float64()
}

func (b *backoff) reset() { b.attempts = 0 }
