package mongo

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// benchStore opens a store on a fresh database holding one organisation's
// conversation cnv_1.
func benchStore(b *testing.B) *Store {
	b.Helper()
	s, _ := openFresh(b)
	b.Cleanup(func() { s.Close() })
	ctx := b.Context()
	org := storage.Organization{ID: "org_1", Name: "Bench"}
	owner := storage.Agent{ID: "agt_1", OrgID: "org_1", Email: "bench@example.test", Role: storage.RoleOwner}
	conv := storage.Conversation{ID: "cnv_1", OrgID: "org_1", VisitorID: "vis_1", WidgetID: "wdg_1"}
	if err := s.CreateOrgWithOwner(ctx, org, owner); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateConversation(ctx, conv); err != nil {
		b.Fatal(err)
	}
	return s
}

func benchMessage(i int64) storage.Message {
	return storage.Message{OrgID: "org_1", ConversationID: "cnv_1", ClientID: fmt.Sprint("b", i),
		SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "a typical short chat message"}
}

// BenchmarkAppendMessage measures one append (three round trips: the
// conversation's hint, the insert, the hint update) at a time.
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

// BenchmarkAppendMessageChecked measures one AppendMessageChecked at a
// time: three round trips, as BenchmarkAppendMessage (the conversation
// read, which the participant and status checks use; the insert; the hint
// update, a FindOneAndUpdate returning the conversation). The hub's send
// made four before (its GetConversation, then AppendMessage's three).
func BenchmarkAppendMessageChecked(b *testing.B) {
	s := benchStore(b)
	var i int64
	for b.Loop() {
		i++
		if _, err := s.AppendMessageChecked(b.Context(), benchMessage(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMessageParallel measures appends from many goroutines to
// one conversation: the unique index arbitrates and losers retry.
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

// BenchmarkAppendMessageTwoNodes measures appends to one conversation from
// two Stores on one database, as from two nodes: their appends race for
// sequence numbers and the losers retry.
func BenchmarkAppendMessageTwoNodes(b *testing.B) {
	s := benchStore(b)
	other := openOn(b, testsvc.MongoURI(b), s.db.Name())
	b.Cleanup(func() { other.Close() })
	nodes := []*Store{s, other}
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		node := nodes[n.Add(1)%2]
		for pb.Next() {
			if _, _, err := node.AppendMessage(b.Context(), benchMessage(n.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// searchBenchStore opens a store on a fresh database holding 2,000
// messages of org_1, none with a word starting "ord", and 2,000 of org_2,
// all with "ordinary" and "order".
func searchBenchStore(b *testing.B) *Store {
	b.Helper()
	s, _ := openFresh(b)
	b.Cleanup(func() { s.Close() })
	seedSearchOrgs(b, s, 2000)
	return s
}

// BenchmarkSearchMiss measures a search that matches nothing in org_1
// while every message of org_2 would: on MongoDB the (org_id, words) index
// answers it without reading a message; FerretDB v1 scans the collection
// (set HELPR_TEST_MONGO_URI to measure a mongod).
func BenchmarkSearchMiss(b *testing.B) {
	s := searchBenchStore(b)
	for b.Loop() {
		if list, err := s.SearchMessages(b.Context(), "org_1", "ord", 0); err != nil || len(list) != 0 {
			b.Fatalf("%d messages, err %v", len(list), err)
		}
	}
}

// BenchmarkSearchHit measures a two-word search returning the newest 50
// of org_2's 2,000 matches.
func BenchmarkSearchHit(b *testing.B) {
	s := searchBenchStore(b)
	for b.Loop() {
		if list, err := s.SearchMessages(b.Context(), "org_2", "ord ordinary", 0); err != nil || len(list) != defaultSearchLimit {
			b.Fatalf("%d messages, err %v", len(list), err)
		}
	}
}

// BenchmarkGetThenAppend is the hub's send path before
// AppendMessageChecked: GetConversation (its authorisation), then
// AppendMessage.
func BenchmarkGetThenAppend(b *testing.B) {
	s := benchStore(b)
	var i int64
	for b.Loop() {
		i++
		if _, err := s.GetConversation(b.Context(), "org_1", "cnv_1"); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.AppendMessage(b.Context(), benchMessage(i)); err != nil {
			b.Fatal(err)
		}
	}
}
