package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

var signInIPCases = []testCase{
	{"SignInIP/FirstThenKnown", testSignInIPFirst},
	{"SignInIP/StaleBoundary", testSignInIPStale},
	{"SignInIP/LastSeenNeverMovesBack", testSignInIPMonotonic},
	{"SignInIP/ConcurrentOneNew", testSignInIPRace},
	{"SignInIP/ScopedToAgentAndOrg", testSignInIPScope},
	{"SignInIP/ErasureForgets", testSignInIPErasure},
	{"Agent/Deactivate", testDeactivateAgent},
	{"Agent/DeactivateOnce", testDeactivateRace},
	{"Agent/DeactivateScoped", testDeactivateScope},
}

// signIn records a sign-in of agent agt_a of org_a from address ip at sec,
// where an address last seen at or before staleSec is new.
func signIn(t *testing.T, s storage.Store, ip string, sec, staleSec int) storage.SignInIPVisit {
	t.Helper()
	v, err := s.RecordSignInIP(ctx(t), storage.SignInIP{OrgID: "org_a", AgentID: "agt_a",
		IPHash: hash("ip/" + ip), At: at(sec)}, at(staleSec))
	ok(t, err, "record sign-in ip "+ip)
	return v
}

func testSignInIPFirst(t *testing.T, s storage.Store) {
	same(t, signIn(t, s, "a", 10, 0), storage.SignInIPVisit{New: true, First: true}, "very first sign-in")
	same(t, signIn(t, s, "a", 20, 0), storage.SignInIPVisit{}, "same address again")
	same(t, signIn(t, s, "b", 30, 0), storage.SignInIPVisit{New: true}, "second address")
	same(t, signIn(t, s, "b", 40, 0), storage.SignInIPVisit{}, "second address again")
}

// An address last seen exactly at staleAt is new again; one millisecond
// later it is not.
func testSignInIPStale(t *testing.T, s storage.Store) {
	signIn(t, s, "a", 100, 0)
	v, err := s.RecordSignInIP(ctx(t), storage.SignInIP{OrgID: "org_a", AgentID: "agt_a",
		IPHash: hash("ip/a"), At: at(200)}, at(100).Add(-time.Millisecond))
	ok(t, err, "record")
	same(t, v, storage.SignInIPVisit{}, "last seen 1 ms after staleAt")
	same(t, signIn(t, s, "a", 300, 200), storage.SignInIPVisit{New: true}, "last seen exactly at staleAt")
	same(t, signIn(t, s, "a", 301, 200), storage.SignInIPVisit{}, "just recorded")
}

func testSignInIPMonotonic(t *testing.T, s storage.Store) {
	signIn(t, s, "a", 100, 0)
	signIn(t, s, "a", 50, 0) // an older sign-in recorded late
	same(t, signIn(t, s, "a", 200, 99), storage.SignInIPVisit{}, "last seen stays 100")
}

// Ten parallel sign-ins from one new address: exactly one finds it new.
func testSignInIPRace(t *testing.T, s storage.Store) {
	signIn(t, s, "old", 1, 0)
	const n = 10
	var news atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.RecordSignInIP(ctx(t), storage.SignInIP{OrgID: "org_a", AgentID: "agt_a",
				IPHash: hash("ip/new"), At: at(100 + i)}, at(0))
			if err != nil {
				t.Errorf("record %d: %v", i, err)
				return
			}
			if v.New {
				news.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := news.Load(); got != 1 {
		t.Fatalf("%d of %d parallel sign-ins from one new address reported it new, want 1", got, n)
	}
}

func testSignInIPScope(t *testing.T, s storage.Store) {
	signIn(t, s, "a", 10, 0)
	for _, v := range []storage.SignInIP{
		{OrgID: "org_a", AgentID: "agt_b", IPHash: hash("ip/a"), At: at(20)},
		{OrgID: "org_b", AgentID: "agt_a", IPHash: hash("ip/a"), At: at(20)},
	} {
		got, err := s.RecordSignInIP(ctx(t), v, at(0))
		ok(t, err, "record")
		same(t, got, storage.SignInIPVisit{New: true, First: true}, v.OrgID+"/"+v.AgentID)
	}
	if _, err := s.RecordSignInIP(ctx(t), storage.SignInIP{OrgID: "org_a", AgentID: "agt_a", At: at(1)}, at(0)); err == nil {
		t.Error("a sign-in without an address hash was recorded")
	}
}

func testSignInIPErasure(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	other := newTenant(t, s, "b")
	for _, ag := range []storage.Agent{tn.owner, other.owner} {
		_, err := s.RecordSignInIP(ctx(t), storage.SignInIP{OrgID: ag.OrgID, AgentID: ag.ID,
			IPHash: hash("ip/a"), At: at(10)}, at(0))
		ok(t, err, "record")
	}
	ok(t, s.EraseSubject(ctx(t), storage.Erasure{OrgID: tn.org.ID, Kind: storage.SubjectAgent,
		SubjectID: tn.owner.ID, Pseudonym: "pseudo_a", At: at(20)}), "erase")
	for _, c := range []struct {
		ag   storage.Agent
		want storage.SignInIPVisit
	}{{tn.owner, storage.SignInIPVisit{New: true, First: true}}, {other.owner, storage.SignInIPVisit{}}} {
		got, err := s.RecordSignInIP(ctx(t), storage.SignInIP{OrgID: c.ag.OrgID, AgentID: c.ag.ID,
			IPHash: hash("ip/a"), At: at(30)}, at(0))
		ok(t, err, "record after erasure")
		same(t, got, c.want, "after erasure of "+tn.owner.ID+": "+c.ag.ID)
	}
}

func testDeactivateAgent(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	ok(t, s.DeactivateAgent(ctx(t), tn.org.ID, tn.owner.ID, at(50)), "deactivate")
	got, err := s.GetAgent(ctx(t), tn.org.ID, tn.owner.ID)
	ok(t, err, "get agent")
	if !got.DeactivatedAt.Equal(at(50)) || !got.Deactivated() {
		t.Fatalf("DeactivatedAt = %v, want %v", got.DeactivatedAt, at(50))
	}
	wantErr(t, s.DeactivateAgent(ctx(t), tn.org.ID, tn.owner.ID, at(60)), storage.ErrConflict, "deactivate twice")
	got, _ = s.GetAgent(ctx(t), tn.org.ID, tn.owner.ID)
	if !got.DeactivatedAt.Equal(at(50)) {
		t.Errorf("second deactivation moved DeactivatedAt to %v", got.DeactivatedAt)
	}
	list, err := s.ListAgents(ctx(t), tn.org.ID)
	ok(t, err, "list agents")
	if len(list) != 1 || !list[0].DeactivatedAt.Equal(at(50)) {
		t.Errorf("ListAgents = %+v, want the deactivated owner with DeactivatedAt", list)
	}
	second := storage.Agent{ID: "agt_a_second", OrgID: tn.org.ID, Name: "Second", Email: "second@a.example",
		Role: storage.RoleAgent, PasswordHash: "h", CreatedAt: at(3)}
	ok(t, s.CreateAgent(ctx(t), second), "create agent")
	got, _ = s.GetAgent(ctx(t), tn.org.ID, second.ID)
	if got.Deactivated() {
		t.Errorf("a new agent is deactivated: %v", got.DeactivatedAt)
	}
}

// Ten parallel deactivations: exactly one succeeds, the others conflict.
func testDeactivateRace(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	const n = 10
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.DeactivateAgent(ctx(t), tn.org.ID, tn.owner.ID, at(10+i)); err == nil {
				wins.Add(1)
			} else {
				wantErr(t, err, storage.ErrConflict, "losing deactivation")
			}
		}()
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("%d of %d parallel deactivations succeeded, want 1", got, n)
	}
}

func testDeactivateScope(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	other := newTenant(t, s, "b")
	wantErr(t, s.DeactivateAgent(ctx(t), other.org.ID, tn.owner.ID, at(10)), storage.ErrNotFound, "another org's agent")
	wantErr(t, s.DeactivateAgent(ctx(t), tn.org.ID, "agt_missing", at(10)), storage.ErrNotFound, "unknown agent")
	got, _ := s.GetAgent(ctx(t), tn.org.ID, tn.owner.ID)
	if got.Deactivated() {
		t.Fatal("a cross-tenant deactivation changed the agent")
	}
	ok(t, s.EraseSubject(ctx(t), storage.Erasure{OrgID: other.org.ID, Kind: storage.SubjectAgent,
		SubjectID: other.owner.ID, Pseudonym: "pseudo_b", At: at(20)}), "erase")
	wantErr(t, s.DeactivateAgent(ctx(t), other.org.ID, other.owner.ID, at(30)), storage.ErrNotFound, "erased agent")
}
