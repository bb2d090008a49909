package mongo

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// indexNamesOf lists every collection's index names, sorted.
func indexNamesOf(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for coll := range indexes {
		have, err := s.indexNames(t.Context(), coll)
		if err != nil {
			t.Fatal(err)
		}
		for name := range have {
			out[coll] = append(out[coll], name)
		}
		slices.Sort(out[coll])
	}
	return out
}

func TestIndexesExistAfterOpen(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	got := indexNamesOf(t, s)
	for coll, list := range indexes {
		want := []string{"_id_"}
		for _, ix := range list {
			want = append(want, ix.name)
		}
		slices.Sort(want)
		if !slices.Equal(got[coll], want) {
			t.Errorf("indexes of %s: got %v, want %v", coll, got[coll], want)
		}
	}
}

func TestUniqueIndexesHold(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	m := textMessage(c, "x", 1)
	m.ID, m.Seq = "msg_a", 1
	if _, err := s.coll(collMessages).InsertOne(t.Context(), newMessageDoc(m)); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*storage.Message){
		"same sequence number": func(m *storage.Message) { m.ClientID = "y" },
		"same client id":       func(m *storage.Message) { m.Seq = 2 },
	} {
		dup := m
		dup.ID = "msg_b"
		change(&dup)
		_, err := s.coll(collMessages).InsertOne(t.Context(), newMessageDoc(dup))
		wantConflict(t, translate(err), "raw insert with the "+name)
	}
	// Messages without a client id never collide on it.
	for i, id := range []string{"msg_c", "msg_d"} {
		free := textMessage(c, "", 3)
		free.ID, free.Seq = id, int64(3+i)
		if _, err := s.coll(collMessages).InsertOne(t.Context(), newMessageDoc(free)); err != nil {
			t.Errorf("raw insert of %s without a client id: %v", id, err)
		}
	}
}

// TestReopenIsIdempotent opens a second store on a database that has data
// and indexes: nothing changes and both stores work.
func TestReopenIsIdempotent(t *testing.T) {
	first, db := openFresh(t)
	defer first.Close()
	c := seedConversation(t, first)
	if _, _, err := first.AppendMessage(t.Context(), textMessage(c, "a", 1)); err != nil {
		t.Fatal(err)
	}
	before := indexNamesOf(t, first)
	second := openOn(t, testsvc.MongoURI(t), db)
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	third := openOn(t, testsvc.MongoURI(t), db)
	defer third.Close()
	if after := indexNamesOf(t, third); !mapsEqual(before, after) {
		t.Errorf("indexes changed on reopen:\nbefore %v\n after %v", before, after)
	}
	m, created, err := third.AppendMessage(t.Context(), textMessage(c, "b", 2))
	if err != nil || !created || m.Seq != 2 {
		t.Errorf("append after reopen: seq %d created %v err %v, want seq 2", m.Seq, created, err)
	}
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestOpenFailsOnUnreachableServer(t *testing.T) {
	_, err := Open(t.Context(), "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200", "helpr",
		WithTimeout(200*time.Millisecond))
	if err == nil {
		t.Fatal("open an unreachable server: no error")
	}
	if _, err := Open(t.Context(), testsvc.MongoURI(t), ""); err == nil {
		t.Error("open with an empty database name: no error")
	}
}

// TestConflictsDoNotQuoteKeys checks that a duplicate email's error says
// ErrConflict without repeating the email (errors reach logs).
func TestConflictsDoNotQuoteKeys(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	seedConversation(t, s)
	dup := storage.Agent{ID: "agt_2", OrgID: "org_1", Email: "owner@acme.test", Role: storage.RoleAgent}
	err := s.CreateAgent(t.Context(), dup)
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("duplicate email: %v, want ErrConflict", err)
	}
	if strings.Contains(err.Error(), "acme.test") {
		t.Errorf("conflict error quotes the email: %v", err)
	}
}

func TestCallsTimeOut(t *testing.T) {
	s, _ := openFresh(t, WithTimeout(time.Nanosecond))
	defer s.Close()
	_, err := s.GetOrg(t.Context(), "org_1")
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get with a 1ns timeout: %v, want a deadline error", err)
	}
}

// TestConcurrentOpens opens three stores on one fresh database at once, as
// three nodes starting together do: every Open succeeds and the indexes
// are complete.
func TestConcurrentOpens(t *testing.T) {
	uri, db := testsvc.MongoURI(t), testsvc.MongoDatabase(t)
	stores := make([]*Store, 3)
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), uri, db) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	want := indexNamesOf(t, stores[0])
	for coll, list := range indexes {
		if len(want[coll]) != len(list)+1 {
			t.Errorf("indexes of %s after concurrent opens: %v", coll, want[coll])
		}
	}
}
