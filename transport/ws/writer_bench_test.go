package ws

import (
	"fmt"
	"testing"
)

// benchFrame is a message.new-sized frame (about 160 bytes).
var benchFrame = []byte(fmt.Sprintf(`{"type":"message.new","payload":{"conversation_id":"c_0123456789","seq":1,"sender":"visitor","body":"%s","created_at":"2026-03-01T12:00:00.123Z"}}`,
	"hello there, this is a small chat message"))

// BenchmarkWriterOneByOne is the rooms workload seen from one connection:
// each frame is pushed to an idle queue and written by its own wake-up of
// the writer before the next is pushed (one frame per socket write).
func BenchmarkWriterOneByOne(b *testing.B) {
	r := newWriterRig(b, Config{}, false, false)
	defer r.close()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchFrame)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.c.send(benchFrame)
		r.waitFrames(b, int64(i+1))
	}
}

// BenchmarkWriterBurst pushes frames as fast as the peer takes them, so a
// wake-up finds many queued and coalesces them into few messages.
func BenchmarkWriterBurst(b *testing.B) {
	r := newWriterRig(b, Config{}, false, false)
	defer r.close()
	const window = 4096 // frames in flight, well under the queue cap
	b.ReportAllocs()
	b.SetBytes(int64(len(benchFrame)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if int64(i)-r.frames.Load() >= window {
			r.waitFrames(b, int64(i-window/2))
		}
		r.c.send(benchFrame)
	}
	r.waitFrames(b, int64(b.N))
	b.StopTimer()
	if m := r.messages.Load(); m > 0 {
		b.ReportMetric(float64(b.N)/float64(m), "frames/msg")
	}
}
