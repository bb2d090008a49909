package hub

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// byteCounter is a subscriber that only counts what it is handed.
type byteCounter struct{ n atomic.Int64 }

func (c *byteCounter) Deliver(f Frame) { c.n.Add(int64(len(f.Data))) }

// BenchmarkBroadcast publishes one message per op to a room of N members:
// one encoding, N deliveries of the same bytes.
func BenchmarkBroadcast(b *testing.B) {
	for _, members := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			e := newEnv(b, 1, Options{})
			v := e.org.visitor()
			c := e.start(b, v)
			for range members {
				m, err := e.hub.Join(context.Background(), e.org.agents[0], c.ID, 0, &byteCounter{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(m.Leave)
			}
			ch := roomChannel(e.org.id, c.ID)
			msg := storage.Message{
				ID: storage.NewID("msg"), OrgID: e.org.id, ConversationID: c.ID, ClientID: "c",
				SenderKind: storage.SenderVisitor, SenderID: v.ID, Text: "hello, how can I help?",
			}
			ev := Event{Type: EventMessage, OrgID: e.org.id, ConversationID: c.ID, Message: &msg}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				msg.Seq = int64(i + 1)
				if err := e.hub.publish(ctx, ev, msg.Seq, ch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*members)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkSend measures Send end to end on the SQLite store: validate,
// authorise, durable append, publish to one member.
func BenchmarkSend(b *testing.B) {
	e := newEnv(b, 1, Options{})
	v := e.org.visitor()
	c := e.start(b, v)
	m, err := e.hub.Join(context.Background(), e.org.agents[0], c.ID, 0, &byteCounter{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Leave()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := e.hub.Send(ctx, v, c.ID, fmt.Sprint("c", i), "hello, how can I help?"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOrderedDelivery measures a multi-node hub's receive path for a
// room of N members: the sequence check of route, then the fan-out. "in
// order" is the common case (each frame is the next); "swapped pairs"
// brings every pair reversed, so each first frame is held past a one-message
// gap and released by the second (the hold path, without a store read).
func BenchmarkOrderedDelivery(b *testing.B) {
	for _, swapped := range []bool{false, true} {
		for _, members := range []int{1, 100} {
			name := fmt.Sprintf("in_order/members=%d", members)
			if swapped {
				name = fmt.Sprintf("swapped_pairs/members=%d", members)
			}
			b.Run(name, func(b *testing.B) { benchOrdered(b, members, swapped) })
		}
	}
}

func benchOrdered(b *testing.B, members int, swapped bool) {
	e := newEnv(b, 1, Options{})
	h := New(e.store, e.codec, Options{Broker: NewMemoryBroker(), SweepInterval: -1})
	c := e.start(b, e.org.visitor())
	for range members {
		m, err := h.Join(context.Background(), e.org.agents[0], c.ID, 0, &byteCounter{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(m.Leave)
	}
	r := h.lookup(roomChannel(e.org.id, c.ID))
	data := []byte(`{"type":"message","seq":1,"text":"hello, how can I help?"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		seq := int64(i + 1)
		if swapped {
			seq += 1 - 2*int64(i%2) // 2, 1, 4, 3, …
		}
		h.route(r, Frame{ConversationID: c.ID, Seq: seq, Data: data})
	}
	b.StopTimer()
	r.order.mu.Lock()
	d := r.order.delivered
	r.order.mu.Unlock()
	if d < int64(b.N)-1 {
		b.Fatalf("delivered up to %d of %d", d, b.N)
	}
	b.ReportMetric(float64(b.N*members)/b.Elapsed().Seconds(), "deliveries/s")
}
