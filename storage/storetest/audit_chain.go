package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var auditChainCases = []testCase{
	{"AuditChain", testAuditChain},
	{"AuditChainConcurrent", testAuditChainConcurrent},
	{"AuditChainErasure", testAuditChainErasure},
	{"AuditQuery", testAuditQuery},
	{"AuditQueryPaging", testAuditQueryPaging},
	{"AuditQueryTenancy", testAuditQueryTenancy},
}

// unlinked returns list without the chain fields AppendAudit assigns, to
// compare with the events as appended.
func unlinked(list []storage.AuditEvent) []storage.AuditEvent {
	out := make([]storage.AuditEvent, len(list))
	for i, e := range list {
		e.Seq, e.PrevHash, e.Hash, e.Commits = 0, "", "", storage.AuditCommitments{}
		out[i] = e
	}
	return out
}

// chainHolds fails the test unless the organisation's chain verifies.
func chainHolds(t *testing.T, s storage.Store, orgID, what string) int {
	t.Helper()
	n, brk, err := storage.VerifyAuditChain(ctx(t), s, orgID)
	ok(t, err, what+": verify audit chain")
	if brk != nil {
		t.Errorf("%s: audit chain of %s broken: %v", what, orgID, brk)
	}
	return n
}

// event is an audit event of org by actor, at sec.
func event(id, orgID, actor, action string, sec int) storage.AuditEvent {
	return storage.AuditEvent{ID: id, OrgID: orgID, ActorKind: storage.SubjectAgent, ActorID: actor,
		Action: action, TargetID: "tgt_" + id, IP: "203.0.113.7", UserAgent: "Mozilla/5.0",
		Detail: "d-" + id, Outcome: storage.AuditSuccess, CreatedAt: at(sec)}
}

// testAuditChain: each append is the next link; callers' chain fields are
// ignored; the outcome and everything else round-trip.
func testAuditChain(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	var want []storage.AuditEvent
	for i := range 4 {
		e := event(fmt.Sprint("aud_", i), a.org.ID, a.owner.ID, "auth.login", 10+i)
		if i == 2 {
			e.Outcome = storage.AuditFailure
			e.Seq, e.PrevHash, e.Hash = 99, "forged", "forged" // ignored
		}
		ok(t, s.AppendAudit(ctx(t), e), "append")
		e.Seq, e.PrevHash, e.Hash = 0, "", ""
		want = append(want, e)
	}
	chain, err := s.AuditChain(ctx(t), a.org.ID, -1, 0)
	ok(t, err, "read chain")
	same(t, unlinked(chain), want, "chain in append order")
	prev := ""
	for i, e := range chain {
		if e.Seq != int64(i+1) || e.PrevHash != prev || e.Hash != storage.AuditHash(e) || e.Commits.Client.Salt == "" {
			t.Errorf("link %d: seq %d prev %q hash %q commits %+v", i, e.Seq, e.PrevHash, e.Hash, e.Commits)
		}
		prev = e.Hash
	}
	after, err := s.AuditChain(ctx(t), a.org.ID, 2, 1)
	ok(t, err, "read chain after seq 2, limit 1")
	sameList(t, ids(after, auditID), []string{"aud_2"}, "one link after seq 2")
	if n := chainHolds(t, s, a.org.ID, "four links"); n != 4 {
		t.Errorf("verified %d events, want 4", n)
	}
	wantErr(t, s.AppendAudit(ctx(t), event("aud_0", a.org.ID, a.owner.ID, "x", 20)), storage.ErrConflict, "append a taken id")
	chainHolds(t, s, a.org.ID, "after a refused append")
}

// testAuditChainConcurrent: appends racing on one organisation form one
// chain without holes or forks; another organisation's chain is its own.
func testAuditChainConcurrent(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	const writers, each = 8, 6
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("aud_%d_%d", w, i)
				errs <- s.AppendAudit(ctx(t), event(id, a.org.ID, a.owner.ID, "auth.login", i))
				errs <- s.AppendAudit(ctx(t), event(id+"_b", b.org.ID, b.owner.ID, "auth.login", i))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err, "concurrent append")
	}
	for _, org := range []string{a.org.ID, b.org.ID} {
		if n := chainHolds(t, s, org, "after concurrent appends"); n != writers*each {
			t.Errorf("%s: chain of %d events, want %d", org, n, writers*each)
		}
	}
	all, err := storage.VerifyAuditChains(ctx(t), s)
	ok(t, err, "verify all chains")
	if all.Break != nil || all.Events != 2*writers*each || all.Orgs != 2 {
		t.Errorf("verify all: %+v", all)
	}
}

// testAuditChainErasure: erasing the actor and the target of events keeps
// every chain verifiable, forgets the erased fields' salts, and keeps the
// hashes.
func testAuditChainErasure(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	v := a.visitor.ID
	e1 := event("aud_1", a.org.ID, a.owner.ID, "visitor.exported", 1)
	e1.TargetID = v
	e2 := event("aud_2", a.org.ID, v, "visitor.updated", 2)
	e2.ActorKind = storage.SubjectVisitor
	for _, e := range []storage.AuditEvent{e1, e2, event("aud_3", a.org.ID, a.owner.ID, "auth.login", 3)} {
		ok(t, s.AppendAudit(ctx(t), e), "append")
	}
	before, err := s.AuditChain(ctx(t), a.org.ID, 0, 0)
	ok(t, err, "chain before erasure")
	ok(t, s.EraseSubject(ctx(t), erasure(a.org.ID, storage.SubjectVisitor, v, 10)), "erase visitor")
	chainHolds(t, s, a.org.ID, "after erasure")
	after, err := s.AuditChain(ctx(t), a.org.ID, 0, 0)
	ok(t, err, "chain after erasure")
	for i := range after {
		if after[i].Hash != before[i].Hash {
			t.Errorf("erasure changed the hash of seq %d", after[i].Seq)
		}
	}
	if c := after[0].Commits; after[0].TargetID != pseudonym(v) || !c.Target.Erased() || c.Actor.Erased() || c.Client.Erased() {
		t.Errorf("event on the visitor after erasure: target %q commits %+v", after[0].TargetID, c)
	}
	if c := after[1].Commits; after[1].IP != "" || !c.Actor.Erased() || !c.Client.Erased() || c.Target.Erased() {
		t.Errorf("event by the visitor after erasure: ip %q commits %+v", after[1].IP, c)
	}
}

// queryFixture appends 6 events: owner logins at 10, 20, 30; agent logins
// at 40; owner role change at 50; agent logout at 60.
func queryFixture(t *testing.T, s storage.Store, tn tenant) []storage.AuditEvent {
	t.Helper()
	list := []storage.AuditEvent{
		event("aud_1", tn.org.ID, tn.owner.ID, "auth.login", 10),
		event("aud_2", tn.org.ID, tn.owner.ID, "auth.login", 20),
		event("aud_3", tn.org.ID, tn.owner.ID, "auth.login", 30),
		event("aud_4", tn.org.ID, "agt_other", "auth.login", 40),
		event("aud_5", tn.org.ID, tn.owner.ID, "agent.role_changed", 50),
		event("aud_6", tn.org.ID, "agt_other", "auth.logout", 60),
	}
	for _, e := range list {
		ok(t, s.AppendAudit(ctx(t), e), "append "+e.ID)
	}
	return list
}

func query(t *testing.T, s storage.Store, orgID string, q storage.AuditQuery) []string {
	t.Helper()
	list, err := s.QueryAudit(ctx(t), orgID, q)
	ok(t, err, fmt.Sprintf("query %+v", q))
	return ids(list, auditID)
}

// testAuditQuery: each filter alone and together, newest first.
func testAuditQuery(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	all := queryFixture(t, s, a)
	org, owner := a.org.ID, a.owner.ID
	sameList(t, query(t, s, org, storage.AuditQuery{}), []string{"aud_6", "aud_5", "aud_4", "aud_3", "aud_2", "aud_1"}, "no filter")
	sameList(t, query(t, s, org, storage.AuditQuery{Action: "auth.login"}), []string{"aud_4", "aud_3", "aud_2", "aud_1"}, "action")
	sameList(t, query(t, s, org, storage.AuditQuery{ActorID: owner}), []string{"aud_5", "aud_3", "aud_2", "aud_1"}, "actor")
	sameList(t, query(t, s, org, storage.AuditQuery{Since: at(30)}), []string{"aud_6", "aud_5", "aud_4", "aud_3"}, "since (inclusive)")
	sameList(t, query(t, s, org, storage.AuditQuery{Action: "auth.login", ActorID: owner, Since: at(20)}),
		[]string{"aud_3", "aud_2"}, "all filters")
	sameList(t, query(t, s, org, storage.AuditQuery{Action: "auth.login", ActorID: "agt_nobody"}), nil, "no match")
	list, err := s.QueryAudit(ctx(t), org, storage.AuditQuery{Action: "auth.logout"})
	ok(t, err, "query logout")
	same(t, unlinked(list), []storage.AuditEvent{all[5]}, "the event as appended")
}

// testAuditQueryPaging: BeforeSeq of the last event of a page is the
// cursor of the next, with the filters kept.
func testAuditQueryPaging(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	queryFixture(t, s, a)
	org := a.org.ID
	var got []string
	q := storage.AuditQuery{Limit: 2}
	for range 10 {
		page, err := s.QueryAudit(ctx(t), org, q)
		ok(t, err, "query page")
		got = append(got, ids(page, auditID)...)
		if len(page) < q.Limit {
			break
		}
		q.BeforeSeq = page[len(page)-1].Seq
	}
	sameList(t, got, []string{"aud_6", "aud_5", "aud_4", "aud_3", "aud_2", "aud_1"}, "pages of 2")
	page := query(t, s, org, storage.AuditQuery{Action: "auth.login", BeforeSeq: 3, Limit: 5})
	sameList(t, page, []string{"aud_2", "aud_1"}, "filtered page before seq 3")
}

// testAuditQueryTenancy: another organisation's events are never listed,
// whatever the filters or cursor.
func testAuditQueryTenancy(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	queryFixture(t, s, a)
	ok(t, s.AppendAudit(ctx(t), event("aud_b", b.org.ID, a.owner.ID, "auth.login", 70)), "append to b")
	sameList(t, query(t, s, b.org.ID, storage.AuditQuery{}), []string{"aud_b"}, "b's events")
	sameList(t, query(t, s, b.org.ID, storage.AuditQuery{ActorID: a.owner.ID, BeforeSeq: 7}), []string{"aud_b"}, "b by a's owner")
	sameList(t, query(t, s, "org_nobody", storage.AuditQuery{}), nil, "unknown org")
	orgs, err := s.AuditOrgs(ctx(t))
	ok(t, err, "audit orgs")
	sameList(t, orgs, []string{a.org.ID, b.org.ID}, "organisations with events")
	chain, err := s.AuditChain(ctx(t), b.org.ID, -1, 0)
	ok(t, err, "b's chain")
	if len(chain) != 1 || chain[0].Seq != 1 || chain[0].PrevHash != "" {
		t.Errorf("b's chain starts on its own: %+v", chain)
	}
}
