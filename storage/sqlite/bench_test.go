package sqlite

import (
	"database/sql"
	"fmt"
	"runtime"
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
// one conversation, the hot path of a busy room (GOMAXPROCS goroutines; vary
// with -cpu). Appends/s counts durable (acknowledged) appends.
func BenchmarkAppendMessageParallel(b *testing.B) {
	benchAppendParallel(b, benchStore(b), 1, func(i int64) string { return "cnv_1" })
}

// BenchmarkAppendMessageParallel64 is BenchmarkAppendMessageParallel with
// 64 goroutines whatever -cpu says, spread over 64 conversations: many
// rooms sending at once, where group commit pays off.
func BenchmarkAppendMessageParallel64(b *testing.B) {
	s := benchStore(b)
	seedConversations(b, s, 64)
	benchAppendParallel(b, s, max(1, 64/runtime.GOMAXPROCS(0)), func(i int64) string {
		return fmt.Sprint("cnv_p", i%64)
	})
}

// BenchmarkAppendMessageParallel64Indexed is BenchmarkAppendMessageParallel64
// with the search indexing of every appended message inside the timing
// (SyncSearch after the appends): the store's whole cost per message, where
// the others time the ack path, which no longer indexes.
func BenchmarkAppendMessageParallel64Indexed(b *testing.B) {
	s := benchStore(b)
	seedConversations(b, s, 64)
	benchAppendParallel(b, s, max(1, 64/runtime.GOMAXPROCS(0)), func(i int64) string {
		return fmt.Sprint("cnv_p", i%64)
	}, func() {
		if err := s.SyncSearch(b.Context()); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkAppendMessageChecked measures AppendMessageChecked, the hub's
// send path (participant and status checks in the bump, the conversation
// returned), one at a time and from 64 goroutines over 64 conversations as
// BenchmarkAppendMessageParallel64. Compare with BenchmarkAppendMessage*
// (no checks) and BenchmarkGetThenAppend (the send path before: a
// conversation read, then the append).
func BenchmarkAppendMessageChecked(b *testing.B) {
	b.Run("Serial", func(b *testing.B) {
		benchAppendSerial(b, benchStore(b), appendChecked)
	})
	b.Run("Parallel64", func(b *testing.B) {
		benchAppendParallel64(b, appendChecked)
	})
}

// BenchmarkGetThenAppend is the send path before AppendMessageChecked: a
// GetConversation (the hub's authorisation), then AppendMessage.
func BenchmarkGetThenAppend(b *testing.B) {
	b.Run("Serial", func(b *testing.B) {
		benchAppendSerial(b, benchStore(b), getThenAppend)
	})
	b.Run("Parallel64", func(b *testing.B) {
		benchAppendParallel64(b, getThenAppend)
	})
}

// appendChecked is AppendMessageChecked as a benchmark's append.
func appendChecked(b *testing.B, s *Store, m storage.Message) error {
	_, err := s.AppendMessageChecked(b.Context(), m)
	return err
}

// getThenAppend reads the conversation, then appends.
func getThenAppend(b *testing.B, s *Store, m storage.Message) error {
	if _, err := s.GetConversation(b.Context(), m.OrgID, m.ConversationID); err != nil {
		return err
	}
	_, _, err := s.AppendMessage(b.Context(), m)
	return err
}

// plainAppend is AppendMessage as a benchmark's append.
func plainAppend(b *testing.B, s *Store, m storage.Message) error {
	_, _, err := s.AppendMessage(b.Context(), m)
	return err
}

// benchAppendSerial appends to cnv_1 one message at a time with fn.
func benchAppendSerial(b *testing.B, s *Store, fn func(*testing.B, *Store, storage.Message) error) {
	var i int64
	for b.Loop() {
		i++
		if err := fn(b, s, benchMessage(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// benchAppendParallel64 appends with fn as BenchmarkAppendMessageParallel64.
func benchAppendParallel64(b *testing.B, fn func(*testing.B, *Store, storage.Message) error) {
	s := benchStore(b)
	seedConversations(b, s, 64)
	benchAppendParallelWith(b, s, max(1, 64/runtime.GOMAXPROCS(0)), func(i int64) string {
		return fmt.Sprint("cnv_p", i%64)
	}, fn)
}

// benchAppendParallel runs the appends, then each of after, all timed.
func benchAppendParallel(b *testing.B, s *Store, parallelism int, conv func(int64) string, after ...func()) {
	benchAppendParallelWith(b, s, parallelism, conv, plainAppend, after...)
}

// benchAppendParallelWith is benchAppendParallel appending with fn.
func benchAppendParallelWith(b *testing.B, s *Store, parallelism int, conv func(int64) string,
	fn func(*testing.B, *Store, storage.Message) error, after ...func()) {
	var n atomic.Int64
	b.SetParallelism(parallelism)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			m := benchMessage(i)
			m.ConversationID = conv(i)
			if err := fn(b, s, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	for _, f := range after {
		f()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if commits, appends := s.AppendCommits(); commits > 0 {
		b.ReportMetric(float64(appends)/float64(commits), "appends/commit")
	}
}

// seedConversations adds conversations cnv_p0 … cnv_p<n-1> to org_1.
func seedConversations(tb testing.TB, s *Store, n int) {
	tb.Helper()
	for i := range n {
		c := storage.Conversation{ID: fmt.Sprint("cnv_p", i), OrgID: "org_1", VisitorID: "vis_1", WidgetID: "wdg_1"}
		if err := s.CreateConversation(tb.Context(), c); err != nil {
			tb.Fatal(err)
		}
	}
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

// BenchmarkFindVisitorByEmailIndex measures a blind-index lookup with two
// candidate indexes (a key rotation in progress) among 10,000 visitors.
func BenchmarkFindVisitorByEmailIndex(b *testing.B) {
	s := benchStore(b)
	const total = 10_000
	index := func(i int) []byte { return []byte(fmt.Sprintf("blind-index-%027d", i)) }
	err := s.write(b.Context(), func(tx *sql.Tx) error {
		const q = "INSERT INTO visitors (id, org_id, widget_id, name, email, phone, email_index) VALUES (?, 'org_1', 'wdg_1', '', '', '', ?)"
		for i := range total {
			if _, err := tx.ExecContext(b.Context(), q, fmt.Sprintf("vis_b%05d", i), index(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var i int
	for b.Loop() {
		i = (i + 7919) % total
		v, err := s.FindVisitorByEmailIndex(b.Context(), "org_1", [][]byte{index(total + i), index(i)})
		if err != nil || v.ID != fmt.Sprintf("vis_b%05d", i) {
			b.Fatalf("find %d: %s, %v", i, v.ID, err)
		}
	}
}
