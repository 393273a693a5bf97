package sio

import (
	"runtime/debug"
	"sync"
)

// workerPool runs handlers off the event loops (Options.Workers). Each
// socket has its own queue, drained by one worker at a time, so a socket's
// events keep their order; any idle worker takes the next socket with
// work, so a handler that blocks holds up only its own socket.
type workerPool struct {
	ready chan *Socket // sockets with queued work, each at most once
	wg    sync.WaitGroup
}

// socketQueue is a socket's pending handler calls (guarded by its mu).
type socketQueue struct {
	mu      sync.Mutex
	fns     []func()
	running bool // queued on ready or being drained
}

func newWorkerPool(n int) *workerPool {
	p := &workerPool{ready: make(chan *Socket, 1024)}
	for i := 0; i < n; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for s := range p.ready {
				p.drain(s)
			}
		}()
	}
	return p
}

func (p *workerPool) submit(s *Socket, fn func()) {
	q := s.work
	q.mu.Lock()
	q.fns = append(q.fns, fn)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		p.ready <- s
	}
}

// drain runs s's queued calls until the queue is empty.
func (p *workerPool) drain(s *Socket) {
	q := s.work
	for {
		q.mu.Lock()
		if len(q.fns) == 0 {
			q.running = false
			q.fns = nil
			q.mu.Unlock()
			return
		}
		fn := q.fns[0]
		q.fns[0] = nil
		q.fns = q.fns[1:]
		q.mu.Unlock()
		p.run(s, fn)
	}
}

// run runs one of s's handler calls; a panic is reported and costs s only.
func (p *workerPool) run(s *Socket, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			srv := s.client.srv
			srv.eio.ReportPanic(v, debug.Stack())
			s.client.contain(s.nsp.name)
		}
	}()
	fn()
}

func (p *workerPool) close() {
	close(p.ready)
	p.wg.Wait()
}
