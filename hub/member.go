package hub

import "sync"

// defaultMaxPending bounds the live frames a joining member buffers while
// it replays from the store. Past it the buffer is dropped and the replay
// runs again: messages are recovered from the store, ephemeral frames
// (typing, receipts, conversation updates) of that window are lost.
const defaultMaxPending = 1024

// member is one subscriber's place in a room. It delivers frames in order
// and drops any message at or below the last sequence it delivered.
type member struct {
	sub        Subscriber
	maxPending int

	mu       sync.Mutex
	last     int64   // highest message sequence delivered
	syncing  bool    // replay in progress: live frames go to pending
	pending  []Frame // live frames received while syncing
	overflow bool    // pending exceeded maxPending and was dropped
	closed   bool    // left: deliver nothing more
}

// deliver hands a live frame to the subscriber, or buffers it while the
// member is still replaying.
func (m *member) deliver(f Frame) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncing {
		m.bufferLocked(f)
		return
	}
	m.pushLocked(f)
}

// bufferLocked keeps f for the end of the replay, within maxPending.
func (m *member) bufferLocked(f Frame) {
	if m.overflow {
		return
	}
	if len(m.pending) >= m.maxPending {
		m.pending, m.overflow = nil, true
		return
	}
	m.pending = append(m.pending, f)
}

// pushLocked delivers f unless the member left or already has the message.
// Non-message frames (Seq 0) always pass.
//
// Live message frames reach a member without gaps: the room orders them
// across nodes and fills gaps from the store before fanning out (route,
// order.go), so the member only drops what its own replay already
// delivered.
func (m *member) pushLocked(f Frame) {
	if m.closed {
		return
	}
	if f.Seq > 0 {
		if f.Seq <= m.last {
			return
		}
		m.last = f.Seq
	}
	m.sub.Deliver(f)
}

// replayed delivers a message frame read from the store during the replay.
func (m *member) replayed(f Frame) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pushLocked(f)
}

// lastSeq returns the highest message sequence delivered.
func (m *member) lastSeq() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// finishSync flushes the frames buffered during the replay and goes live,
// returning true — or, if the buffer overflowed, discards it and returns
// false: the caller must replay again from lastSeq.
func (m *member) finishSync() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.overflow {
		m.pending, m.overflow = nil, false
		return false
	}
	for _, f := range m.pending {
		m.pushLocked(f)
	}
	m.pending, m.syncing = nil, false
	return true
}

// close stops all delivery; after it returns, Deliver is not called again.
func (m *member) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed, m.pending = true, nil
}
