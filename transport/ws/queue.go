package ws

import "sync"

// sendQueue is a connection's outgoing frame queue, capped in bytes. Producers
// (the hub's fan-out, the connection's own replies) never block: a push that
// would exceed the cap fails, and the connection is then closed as a slow
// consumer. The single writer goroutine drains it.
type sendQueue struct {
	mu       sync.Mutex
	frames   [][]byte
	bytes    int
	capBytes int
	closed   bool
	ready    chan struct{} // capacity 1: "there is something to write"
}

func newSendQueue(capBytes int) *sendQueue {
	return &sendQueue{capBytes: capBytes, ready: make(chan struct{}, 1)}
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
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
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
	q.frames = q.frames[n:]
	if len(q.frames) == 0 {
		q.frames = q.frames[:0:0] // let the backing array go once drained
	}
	q.bytes -= size
	if len(q.frames) > 0 {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return dst
}

// close refuses further pushes. Frames already queued can still be drained.
func (q *sendQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// empty reports whether nothing is waiting to be written.
func (q *sendQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.frames) == 0
}
