package sqlite

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, _ := openTemp(b)
	b.Cleanup(func() { s.Close() })
	seedSearch(b, s)
	return s
}

func benchMessage(i int64) storage.Message {
	return storage.Message{OrgID: "org_1", ConversationID: "cnv_1", ClientID: fmt.Sprint("b", i),
		SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "a typical short chat message"}
}

// BenchmarkAppendMessage measures one durable append (one fsync'd
// transaction) at a time.
func BenchmarkAppendMessage(b *testing.B) {
	s := benchStore(b)
	var i int64
	for b.Loop() {
		i++
		if _, _, err := s.AppendMessage(b.Context(), benchMessage(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMessageParallel measures appends from many goroutines to
// one conversation, the hot path of a busy room.
func BenchmarkAppendMessageParallel(b *testing.B) {
	s := benchStore(b)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.AppendMessage(b.Context(), benchMessage(n.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkListMessages measures a reconnect replay: 100 messages after a
// sequence number, from a conversation of 1,000.
func BenchmarkListMessages(b *testing.B) {
	s := benchStore(b)
	const total = 1000
	for i := range int64(total) {
		if _, _, err := s.AppendMessage(b.Context(), benchMessage(i)); err != nil {
			b.Fatal(err)
		}
	}
	var after int64
	for b.Loop() {
		list, err := s.ListMessages(b.Context(), "org_1", "cnv_1", after, 100)
		if err != nil || len(list) != 100 {
			b.Fatalf("list after %d: %d messages, %v", after, len(list), err)
		}
		after = (after + 100) % (total - 100)
	}
}
