package broadcast

// ShareThreshold is the frame size from which a connection keeps a
// reference to the shared Frames instead of copying them into its own
// output buffer: below it, a copy costs less than the reference count
// (an atomic on a line every loop touches) and the vectored write.
const ShareThreshold = 2048

// Conn is one recipient connection of a network layer.
type Conn interface {
	// Enqueue queues f after the connection's pending output, by copy when
	// f is shorter than ShareThreshold, else by reference (f.Retain). A
	// volatile f is dropped when the connection has an output backlog.
	// Enqueue does not wake the connection's loop: it returns that loop
	// when the connection had nothing pending (the caller must Schedule
	// it), nil when it is already scheduled or f was dropped. Any
	// goroutine.
	Enqueue(f *Frames, volatile bool) Loop
}

// Loop is an event loop of a network layer.
type Loop interface {
	// Schedule makes the loop write the pending output of conns, each of
	// which was returned by its Enqueue; conns is not kept. One call per
	// loop per batch: it wakes the loop at most once. Any goroutine.
	Schedule(conns []Conn)
}

// Batch groups the connections of one fan-out by loop, so that each loop
// is woken once whatever the number of recipients, and no lock is shared
// by recipients. A Batch is used by one goroutine at a time; reuse it.
type Batch struct {
	loops []Loop
	conns [][]Conn
}

// Send queues f on c.
func (b *Batch) Send(c Conn, f *Frames, volatile bool) {
	l := c.Enqueue(f, volatile)
	if l == nil {
		return
	}
	for i, x := range b.loops {
		if x == l {
			b.conns[i] = append(b.conns[i], c)
			return
		}
	}
	b.loops = append(b.loops, l)
	if len(b.conns) < len(b.loops) {
		b.conns = append(b.conns, nil)
	}
	i := len(b.loops) - 1
	b.conns[i] = append(b.conns[i][:0], c)
}

// Flush schedules every loop that has connections to write, and resets
// the batch for reuse.
func (b *Batch) Flush() {
	for i, l := range b.loops {
		l.Schedule(b.conns[i])
		// Kept whatever its size: 16 bytes per recipient is ~1 % of
		// what each recipient connection holds anyway, and a server that
		// fans out to a million sockets should not regrow it per message.
		clear(b.conns[i])
		b.conns[i] = b.conns[i][:0]
		b.loops[i] = nil
	}
	b.loops = b.loops[:0]
}
