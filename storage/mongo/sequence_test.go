package mongo

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// seedConversation stores organisation org_1 with conversation cnv_1.
func seedConversation(t testing.TB, s *Store) storage.Conversation {
	t.Helper()
	org := storage.Organization{ID: "org_1", Name: "Acme"}
	owner := storage.Agent{ID: "agt_1", OrgID: "org_1", Email: "owner@acme.test", Role: storage.RoleOwner}
	c := storage.Conversation{ID: "cnv_1", OrgID: "org_1", VisitorID: "vis_1", WidgetID: "wdg_1",
		Status: storage.ConversationOpen, CreatedAt: at(0), UpdatedAt: at(0)}
	if err := s.CreateOrgWithOwner(t.Context(), org, owner); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateConversation(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func textMessage(c storage.Conversation, clientID string, sec int) storage.Message {
	return storage.Message{OrgID: c.OrgID, ConversationID: c.ID, ClientID: clientID,
		SenderKind: storage.SenderVisitor, SenderID: c.VisitorID, Text: "hello " + clientID, CreatedAt: at(sec)}
}

// checkSeqs fails unless the conversation holds exactly seqs 1..n in order
// and GetConversation reports LastSeq n.
func checkSeqs(t *testing.T, s *Store, c storage.Conversation, n int) {
	t.Helper()
	list, err := s.ListMessages(t.Context(), c.OrgID, c.ID, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("listed %d messages, want %d", len(list), n)
	}
	for i, m := range list {
		if m.Seq != int64(i+1) {
			t.Fatalf("list[%d].Seq = %d, want %d (a gap or a duplicate)", i, m.Seq, i+1)
		}
	}
	got, err := s.GetConversation(t.Context(), c.OrgID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastSeq != int64(n) {
		t.Errorf("LastSeq = %d, want %d", got.LastSeq, n)
	}
}

// TestConcurrentAppendsFromTwoStores appends from two Stores on one
// database — two nodes, whose appends only the unique index arbitrates —
// and expects consecutive sequence numbers with no gap.
func TestConcurrentAppendsFromTwoStores(t *testing.T) {
	uri, db := testsvc.MongoURI(t), testsvc.MongoDatabase(t)
	nodes := []*Store{openOn(t, uri, db), openOn(t, uri, db)}
	defer nodes[0].Close()
	defer nodes[1].Close()
	c := seedConversation(t, nodes[0])
	const writers, each = 3, 20 // per node
	var mu sync.Mutex
	var seqs []int64
	var wg sync.WaitGroup
	for n, s := range nodes {
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					m, created, err := s.AppendMessage(t.Context(), textMessage(c, fmt.Sprintf("n%d-w%d-%d", n, w, i), i))
					if err != nil || !created {
						t.Errorf("node %d writer %d append %d: created %v, %v", n, w, i, created, err)
						return
					}
					mu.Lock()
					seqs = append(seqs, m.Seq)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	const total = 2 * writers * each
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("sorted returned seqs[%d] = %d, want %d", i, seq, i+1)
		}
	}
	for _, s := range nodes {
		checkSeqs(t, s, c, total)
	}
}

// TestInterruptedAppendIsRepaired simulates an append that died between
// its insert and the hint update: the message document is written
// directly. GetConversation reports (and stores) the true LastSeq, and the
// next append continues after it.
func TestInterruptedAppendIsRepaired(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	for i := 1; i <= 3; i++ {
		if _, _, err := s.AppendMessage(t.Context(), textMessage(c, fmt.Sprint("c", i), i)); err != nil {
			t.Fatal(err)
		}
	}
	crashed := textMessage(c, "c4", 40)
	crashed.ID, crashed.Seq = "msg_crashed", 4
	if _, err := s.coll(collMessages).InsertOne(t.Context(), newMessageDoc(crashed)); err != nil {
		t.Fatal(err)
	}
	if hint := storedHint(t, s, c.ID); hint != 3 {
		t.Fatalf("stored hint before repair = %d, want 3 (the simulated crash left it)", hint)
	}
	got, err := s.GetConversation(t.Context(), c.OrgID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastSeq != 4 || !got.UpdatedAt.Equal(at(40)) {
		t.Errorf("after the crash: LastSeq %d UpdatedAt %v, want 4 and %v", got.LastSeq, got.UpdatedAt, at(40))
	}
	if hint := storedHint(t, s, c.ID); hint != 4 {
		t.Errorf("stored hint after GetConversation = %d, want 4 (repaired)", hint)
	}

	// Another crash, then an append: it must land after the orphan.
	crashed = textMessage(c, "c5", 50)
	crashed.ID, crashed.Seq = "msg_crashed_2", 5
	if _, err := s.coll(collMessages).InsertOne(t.Context(), newMessageDoc(crashed)); err != nil {
		t.Fatal(err)
	}
	m, created, err := s.AppendMessage(t.Context(), textMessage(c, "c6", 60))
	if err != nil || !created || m.Seq != 6 {
		t.Fatalf("append after a crash: seq %d created %v err %v, want seq 6", m.Seq, created, err)
	}
	if hint := storedHint(t, s, c.ID); hint != 6 {
		t.Errorf("stored hint after the append = %d, want 6", hint)
	}
	again, created, err := s.AppendMessage(t.Context(), textMessage(c, "c5", 70))
	if err != nil || created || again.ID != "msg_crashed_2" {
		t.Errorf("resend of the orphan's client id: %s created %v err %v, want the orphan", again.ID, created, err)
	}
	checkSeqs(t, s, c, 6)
}

// storedHint reads the conversation's raw last_seq.
func storedHint(t *testing.T, s *Store, id string) int64 {
	t.Helper()
	var d conversationDoc
	if err := s.coll(collConversations).FindOne(t.Context(), bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d.LastSeq
}

func TestAppendWithTakenIDConflicts(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	m := textMessage(c, "a", 1)
	m.ID = "msg_fixed"
	if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	m.ClientID = "b"
	_, _, err := s.AppendMessage(t.Context(), m)
	wantConflict(t, err, "append reusing a message id")
	checkSeqs(t, s, c, 1)
}

func TestAppendWithoutClientIDIsNeverDeduplicated(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	for i := 1; i <= 2; i++ {
		m, created, err := s.AppendMessage(t.Context(), textMessage(c, "", i))
		if err != nil || !created || m.Seq != int64(i) {
			t.Errorf("append %d without a client id: seq %d created %v err %v", i, m.Seq, created, err)
		}
	}
	checkSeqs(t, s, c, 2)
}
