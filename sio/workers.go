package sio

import (
	"hash/maphash"
	"sync"
	"unsafe"
)

// workerPool runs handlers off the event loops. A socket always maps to
// the same worker, so its events keep their order.
type workerPool struct {
	seed   maphash.Seed
	queues []chan func()
	wg     sync.WaitGroup
}

func newWorkerPool(n int) *workerPool {
	p := &workerPool{seed: maphash.MakeSeed(), queues: make([]chan func(), n)}
	for i := range p.queues {
		q := make(chan func(), 1024)
		p.queues[i] = q
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for fn := range q {
				fn()
			}
		}()
	}
	return p
}

func (p *workerPool) submit(s *Socket, fn func()) {
	ptr := uintptr(unsafe.Pointer(s))
	var b [8]byte
	for i := range b {
		b[i] = byte(ptr >> (8 * i))
	}
	p.queues[maphash.Bytes(p.seed, b[:])%uint64(len(p.queues))] <- fn
}

func (p *workerPool) close() {
	for _, q := range p.queues {
		close(q)
	}
	p.wg.Wait()
}
