package ws

import "sync"

// sendQueue is a connection's outgoing frame queue, capped in bytes. Producers
// (the hub's fan-out, the connection's own replies) never block: a push that
// would exceed the cap fails, and the connection is then closed as a slow
// consumer.
//
// The queue also decides when the connection's writer runs. There is no
// writer while nothing is queued: an idle connection holds no writer
// goroutine and no write buffers. The first push to an idle queue (or its
// closing) calls wake, which must start one writer; that writer drains the
// queue and parks (see park) when it is empty, so at most one writer runs
// at a time. A new queue is held: nothing wakes until release.
type sendQueue struct {
	mu       sync.Mutex
	frames   [][]byte
	bytes    int
	capBytes int
	closed   bool
	writing  bool   // a writer runs, or the queue is held
	wake     func() // starts a writer; nil: never (tests drain by hand)
}

// keptQueueFrames is the largest backing array (in frames) a drained queue
// keeps for its next push, so that the common wake-up (one frame queued on
// an idle connection) allocates nothing; larger ones are released so that an
// idle connection holds no more than this.
const keptQueueFrames = 2

func newSendQueue(capBytes int) *sendQueue {
	return &sendQueue{capBytes: capBytes, writing: true}
}

// push appends a frame. It reports false when the queue is closed or the
// frame would take it over its byte cap; the frame is then dropped.
func (q *sendQueue) push(frame []byte) bool {
	q.mu.Lock()
	if q.closed || q.bytes+len(frame) > q.capBytes {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, frame)
	q.bytes += len(frame)
	start := q.claimLocked()
	q.mu.Unlock()
	if start {
		q.wake()
	}
	return true
}

// claimLocked marks a writer as running if none was, reporting whether the
// caller must start it.
func (q *sendQueue) claimLocked() bool {
	if q.writing || q.wake == nil {
		return false
	}
	q.writing = true
	return true
}

// release ends the hold of a new queue: from now on pushes wake a writer,
// and one starts at once if anything is queued or the queue is closed.
func (q *sendQueue) release() {
	q.mu.Lock()
	q.writing = false
	start := (len(q.frames) > 0 || q.closed) && q.claimLocked()
	q.mu.Unlock()
	if start {
		q.wake()
	}
}

// park is the writer's exit: when nothing is queued and the queue is open
// it marks the writer stopped and reports true; otherwise the writer must
// go on (to write, or to finish a closed queue).
func (q *sendQueue) park() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) > 0 || q.closed {
		return false
	}
	q.writing = false
	return true
}

// drain moves up to maxFrames queued frames, at most about maxBytes in all
// (always at least one), into dst and returns it.
func (q *sendQueue) drain(dst [][]byte, maxFrames, maxBytes int) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	n, size := 0, 0
	for n < len(q.frames) && n < maxFrames {
		if n > 0 && size+len(q.frames[n]) > maxBytes {
			break
		}
		size += len(q.frames[n])
		n++
	}
	dst = append(dst, q.frames[:n]...)
	clear(q.frames[:n])
	switch {
	case n < len(q.frames):
		q.frames = q.frames[n:]
	case cap(q.frames) <= keptQueueFrames:
		q.frames = q.frames[:0] // a wake-up for a frame or two: reuse the array
	default:
		q.frames = nil // let a large backing array go once drained
	}
	q.bytes -= size
	return dst
}

// close refuses further pushes and wakes a writer if none runs, so that
// the connection's ending is written. Frames already queued can still be
// drained.
func (q *sendQueue) close() {
	q.mu.Lock()
	q.closed = true
	start := q.claimLocked()
	q.mu.Unlock()
	if start {
		q.wake()
	}
}

// isClosed reports whether close has been called.
func (q *sendQueue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// empty reports whether nothing is waiting to be written.
func (q *sendQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.frames) == 0
}
