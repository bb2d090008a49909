package ws

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Defaults of the re-validation pool: a few workers, since the reads are
// one per session and mostly waiting on the store, and a queue deep enough
// for a sweep period's worth of stale sessions on a busy node.
const (
	revalidateWorkers = 4
	revalidateQueue   = 4096
	// revalidateTimeout bounds one re-validation's wait (the session cache
	// bounds its store read at 10 s too).
	revalidateTimeout = 10 * time.Second
)

// revalidator re-validates, off the sweeper's goroutine, the tokens whose
// cached grant the sweeper found stale: a bounded queue of token hashes
// served by at most workers goroutines, which run only while there is
// work. Each hash is read once however many connections wait on it; every
// one of them gets the result. Safe for concurrent use.
type revalidator struct {
	workers  int
	validate func(ctx context.Context, hash [32]byte) error
	apply    func(c *conn, hash [32]byte, err error)

	mu      sync.Mutex
	pending map[[32]byte][]*conn // queued or being read
	ring    [][32]byte           // queued, oldest at head
	head, n int
	running int
	idle    *sync.Cond // signalled when running drops to zero
}

func newRevalidator(workers, queue int, validate func(context.Context, [32]byte) error, apply func(*conn, [32]byte, error)) *revalidator {
	r := &revalidator{
		workers: workers, validate: validate, apply: apply,
		pending: make(map[[32]byte][]*conn),
		ring:    make([][32]byte, queue),
	}
	r.idle = sync.NewCond(&r.mu)
	return r
}

// submit asks for c's token (hash) to be re-validated. It never blocks:
// false when the queue is full (the caller retries later); true when the
// hash was queued, or was already queued or being read (c then shares that
// read's result).
func (r *revalidator) submit(hash [32]byte, c *conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if list, ok := r.pending[hash]; ok {
		if !slices.Contains(list, c) {
			r.pending[hash] = append(list, c)
		}
		return true
	}
	if r.n == len(r.ring) {
		return false
	}
	r.pending[hash] = []*conn{c}
	r.ring[(r.head+r.n)%len(r.ring)] = hash
	r.n++
	if r.running < r.workers {
		r.running++
		go r.work()
	}
	return true
}

// work re-validates queued hashes until the queue is empty.
func (r *revalidator) work() {
	for {
		hash, ok := r.take()
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), revalidateTimeout)
		err := r.validate(ctx, hash)
		cancel()
		for _, c := range r.finish(hash) {
			r.apply(c, hash, err)
		}
	}
}

// take dequeues the oldest hash; false (and the worker ends) when none.
func (r *revalidator) take() ([32]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		r.running--
		if r.running == 0 {
			r.idle.Broadcast()
		}
		return [32]byte{}, false
	}
	hash := r.ring[r.head]
	r.head = (r.head + 1) % len(r.ring)
	r.n--
	return hash, true
}

// finish returns the connections waiting on hash, which is no longer
// pending: a later submit reads the store again.
func (r *revalidator) finish(hash [32]byte) []*conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.pending[hash]
	delete(r.pending, hash)
	return list
}

// wait blocks until no worker runs (for shutdown and tests).
func (r *revalidator) wait() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.running > 0 {
		r.idle.Wait()
	}
}
