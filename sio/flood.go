package sio

import "time"

// FloodAction is what happens to an event past Options.EventRate.
type FloodAction uint8

const (
	// FloodDrop drops the event: its handlers do not run and an ack it
	// asked for is never sent.
	FloodDrop FloodAction = iota
	// FloodDisconnect disconnects every socket of the connection with
	// ReasonFlood and closes it.
	FloodDisconnect
)

// ReasonFlood is the disconnect reason of a connection that sent events
// faster than Options.EventRate with FloodDisconnect.
const ReasonFlood = "flood"

// FloodCount is how many events Options.EventRate refused.
func (s *Server) FloodCount() int64 { return s.floods.Load() }

// allowEvent takes a token from the connection's bucket (Options.EventRate).
// On the connection's goroutine (packets of one connection are handled one
// at a time).
func (c *client) allowEvent() bool {
	o := &c.srv.opts
	now := time.Now().UnixNano()
	if c.floodAt == 0 {
		c.floodTokens = float32(o.EventBurst)
	} else {
		c.floodTokens = min(float32(o.EventBurst), c.floodTokens+float32(float64(now-c.floodAt)*o.EventRate/1e9))
	}
	c.floodAt = now
	if c.floodTokens >= 1 {
		c.floodTokens--
		return true
	}
	return false
}

// flood handles an event refused by the bucket; true when the connection
// was closed.
func (c *client) flood(s *Socket, event string) bool {
	c.srv.floods.Add(1)
	if fn := c.srv.opts.OnFlood; fn != nil {
		func() {
			defer c.srv.recoverReport()
			fn(s, event)
		}()
	}
	if c.srv.opts.FloodAction == FloodDisconnect {
		if c.srv.trace {
			c.srv.logger().Debug("sio: flood: connection closed", "sid", c.sess.ID(), "rate", c.srv.opts.EventRate)
		}
		c.closeAll(ReasonFlood)
		return true
	}
	return false
}
