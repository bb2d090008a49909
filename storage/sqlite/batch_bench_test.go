package sqlite

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// batchConversations is how many conversations the appenders of
// BenchmarkAppendBatch spread over (appender i writes to i mod this).
const batchConversations = 64

// BenchmarkAppendBatch measures the store's group-committed append with a
// fixed number of concurrent appenders (whatever GOMAXPROCS is), each
// appending and waiting for its commit in a loop: the shape of many rooms
// sending at once. It reports durable appends per second and rows/commit,
// the mean group-commit batch size (from AppendCommits) over the timed
// appends.
func BenchmarkAppendBatch(b *testing.B) {
	for _, appenders := range []int{1, 16, 64, 256} {
		var s *Store // opened by the first run of the sub-benchmark, kept for the next
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(sb *testing.B) {
			if s == nil {
				s = batchStore(b) // on the parent: outlives the sub-benchmark's runs
			}
			benchAppendBatch(sb, s, appenders)
		})
	}
}

// batchStore opens a store on a temporary file with org_1 and conversations
// cnv_b0 … cnv_b<batchConversations-1>.
func batchStore(tb testing.TB) *Store {
	tb.Helper()
	s, _ := openTemp(tb)
	tb.Cleanup(func() { _ = s.Close() })
	seedSearch(tb, s)
	for i := range batchConversations {
		c := storage.Conversation{ID: fmt.Sprint("cnv_b", i), OrgID: "org_1", VisitorID: "vis_1", WidgetID: "wdg_1"}
		if err := s.CreateConversation(tb.Context(), c); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// benchAppendBatch runs b.N appends from exactly appenders goroutines.
func benchAppendBatch(b *testing.B, s *Store, appenders int) {
	var next atomic.Int64
	total := int64(b.N)
	var wg sync.WaitGroup
	commits0, appends0 := s.AppendCommits()
	b.ReportAllocs()
	b.ResetTimer()
	for g := range appenders {
		wg.Go(func() {
			conv := fmt.Sprint("cnv_b", g%batchConversations)
			for {
				i := next.Add(1)
				if i > total {
					return
				}
				m := storage.Message{OrgID: "org_1", ConversationID: conv, ClientID: fmt.Sprint("g", g, "-", i),
					SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "a typical short chat message"}
				if _, _, err := s.AppendMessage(b.Context(), m); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	commits1, appends1 := s.AppendCommits()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if commits := commits1 - commits0; commits > 0 {
		b.ReportMetric(float64(appends1-appends0)/float64(commits), "rows/commit")
	}
}
