package ws

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/wire"
)

// awaitEnd waits (generously: not a timing assertion) for the connection's
// writer to have written its ending, and returns that ending.
func awaitEnd(t *testing.T, c *conn) ending {
	t.Helper()
	select {
	case <-c.writerDone:
	case <-time.After(30 * time.Second):
		t.Fatal("the connection did not end")
	}
	return *c.why.Load()
}

// TestWriterStalledPeerIsSlowConsumer: a peer that stops reading while a
// write is under way (its socket buffers full, the send queue far from its
// cap) is ended by the write timer as a slow consumer (4009), not before
// the write timeout, and its socket is dropped so the writer is released.
func TestWriterStalledPeerIsSlowConsumer(t *testing.T) {
	const timeout = 200 * time.Millisecond
	r := newWriterRig(t, Config{WriteTimeout: timeout, SendQueueBytes: 64 << 20}, false, true)
	defer r.close()
	// One frame larger than any loopback socket buffer: its write blocks.
	big := bytes.Repeat([]byte("x"), 32<<20)
	start := time.Now()
	r.c.send(big)
	e := awaitEnd(t, r.c)
	if took := time.Since(start); took < timeout {
		t.Errorf("ended after %v, before the write timeout %v", took, timeout)
	}
	if e.code != websocket.StatusCode(wire.CloseSlowConsumer) || e.label != "slow_consumer" || !e.abort {
		t.Errorf("ending = %+v, want slow consumer 4009, socket dropped", e)
	}
	if got := r.c.s.cfg.Metrics.Rejections.With("slow_consumer").Value(); got != 1 {
		t.Errorf("slow_consumer rejections = %d, want 1", got)
	}
	r.resume()
	<-r.peerEnd
	if err := r.peerError(); err == nil || websocket.CloseStatus(err) == websocket.StatusNormalClosure {
		t.Errorf("peer read ended with %v, want the connection cut", err)
	}
}

// TestSlowConsumerStalledWriterOverflow: a peer that stops reading fills
// its send queue and is closed with 4009 at once; when it reads again
// (within the write timeout) it gets what was written, then the 4009 close
// frame: the documented code, not a silent drop.
func TestSlowConsumerStalledWriterOverflow(t *testing.T) {
	r := newWriterRig(t, Config{SendQueueBytes: 1 << 20}, false, true)
	defer r.close()
	frame := bytes.Repeat([]byte("y"), 64<<10)
	for i := 0; i < 100_000 && !r.c.ended(); i++ {
		r.c.send(frame)
	}
	if !r.c.ended() {
		t.Fatal("the queue never overflowed")
	}
	r.resume()
	e := awaitEnd(t, r.c)
	if e.code != websocket.StatusCode(wire.CloseSlowConsumer) || e.label != "slow_consumer" || e.abort {
		t.Errorf("ending = %+v, want slow consumer 4009 with a close frame", e)
	}
	<-r.peerEnd
	if got := websocket.CloseStatus(r.peerError()); got != websocket.StatusCode(wire.CloseSlowConsumer) {
		t.Errorf("peer saw close %d (%v), want 4009", got, r.peerError())
	}
}

// TestWriterSlowPeerWithinTimeout: a peer that pauses for less than the
// write timeout is not cut off; everything arrives once it reads again.
func TestWriterSlowPeerWithinTimeout(t *testing.T) {
	r := newWriterRig(t, Config{WriteTimeout: time.Minute, SendQueueBytes: 64 << 20}, false, true)
	defer r.close()
	big := bytes.Repeat([]byte("z"), 16<<20)
	r.c.send(big)
	r.c.send([]byte("after"))
	time.Sleep(50 * time.Millisecond) // the writer blocks on the full socket meanwhile
	r.resume()
	r.waitFrames(t, 2)
	if r.c.ended() {
		t.Fatalf("connection ended: %+v", *r.c.why.Load())
	}
}

// TestWriterCoalescesInOrder: frames queued while the peer does not read
// are written several per WebSocket message, newline-separated, bounded by
// maxFramesPerWrite, and arrive complete and in order.
func TestWriterCoalescesInOrder(t *testing.T) {
	r := newWriterRig(t, Config{}, true, true)
	defer r.close()
	const n = 1000
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf(`{"type":"message.new","payload":{"seq":%d,"body":"line\nbreak escaped"}}`, i)
		r.c.send([]byte(want[i]))
	}
	r.resume()
	r.waitFrames(t, n)
	r.mu.Lock()
	got := append([]string(nil), r.got...)
	r.mu.Unlock()
	if len(got) != n {
		t.Fatalf("got %d frames, want %d", len(got), n)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("frame %d = %q, want %q", i, got[i], want[i])
		}
	}
	if m := r.messages.Load(); m >= n || m < (n+maxFramesPerWrite-1)/maxFramesPerWrite {
		t.Errorf("%d frames came in %d messages: not coalesced within the bound", n, m)
	}
	if mx := r.maxMsg.Load(); mx > maxFramesPerWrite {
		t.Errorf("a message held %d frames, more than %d", mx, maxFramesPerWrite)
	}
}

// TestWriterCoalesceByteBound: a wake-up never joins more than about
// maxBytesPerWrite into one message (a single larger frame goes alone).
func TestWriterCoalesceByteBound(t *testing.T) {
	r := newWriterRig(t, Config{}, false, true)
	defer r.close()
	frame := bytes.Repeat([]byte("b"), 20<<10) // three fit in 64 KiB, four do not
	for i := 0; i < 40; i++ {
		r.c.send(frame)
	}
	r.resume()
	r.waitFrames(t, 40)
	if mx := r.maxMsg.Load(); mx > int64(maxBytesPerWrite/len(frame)) {
		t.Errorf("a message held %d frames of %d bytes, over %d bytes", mx, len(frame), maxBytesPerWrite)
	}
}

// TestSendQueueWakeUpAllocatesNothing: the common wake-up (one frame pushed
// to an idle queue, then drained) reuses the queue's and the writer's small
// arrays; a large backlog's array is let go once drained.
func TestSendQueueWakeUpAllocatesNothing(t *testing.T) {
	q := newSendQueue(1 << 20)
	frame := []byte(`{"type":"message.new"}`)
	var dst [][]byte
	allocs := testing.AllocsPerRun(100, func() {
		q.push(frame)
		dst = q.drain(dst[:0], maxFramesPerWrite, maxBytesPerWrite)
	})
	if allocs != 0 {
		t.Errorf("a push and drain allocated %v times, want 0", allocs)
	}
	for i := 0; i < 10; i++ {
		q.push(frame)
	}
	dst = q.drain(dst[:0], maxFramesPerWrite, maxBytesPerWrite)
	if len(dst) != 10 || q.frames != nil {
		t.Errorf("drained %d frames, queue array kept = %v; want 10, none kept", len(dst), q.frames != nil)
	}
}
