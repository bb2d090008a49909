package storetest

import (
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var auditCases = []testCase{
	{"Audit", testAudit},
	{"AuditForSubject", testAuditForSubject},
	{"Ping", testPing},
}

func testAudit(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	var events []storage.AuditEvent
	for i := range 5 {
		e := storage.AuditEvent{ID: fmt.Sprint("aud_", i), OrgID: a.org.ID, ActorKind: storage.SubjectAgent,
			ActorID: a.owner.ID, Action: "auth.login", TargetID: a.owner.ID, IP: "203.0.113.7",
			UserAgent: "Mozilla/5.0", Detail: fmt.Sprint("attempt ", i), CreatedAt: at(10 * i)}
		ok(t, s.AppendAudit(ctx(t), e), "append audit")
		events = append(events, e)
	}
	anon := storage.AuditEvent{ID: "aud_anon", OrgID: b.org.ID, Action: "auth.login_failed", IP: "198.51.100.9", CreatedAt: at(100)}
	ok(t, s.AppendAudit(ctx(t), anon), "append anonymous event of another org")

	list, err := s.ListAudit(ctx(t), a.org.ID, 3)
	ok(t, err, "list audit")
	same(t, unlinked(list), []storage.AuditEvent{events[4], events[3], events[2]}, "three newest events")
	list, err = s.ListAudit(ctx(t), a.org.ID, 0)
	ok(t, err, "list audit, default limit")
	if len(list) != 5 {
		t.Errorf("default limit listed %d events, want all 5", len(list))
	}
	list, err = s.ListAudit(ctx(t), b.org.ID, 10)
	ok(t, err, "list audit of b")
	same(t, unlinked(list), []storage.AuditEvent{anon}, "b's audit")
}

func testPing(t *testing.T, s storage.Store) {
	ok(t, s.Ping(ctx(t)), "ping")
}

func auditID(e storage.AuditEvent) string { return e.ID }

func testAuditForSubject(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	x, owner := a.visitor.ID, a.owner.ID
	e0 := audit(t, s, "aud_0", a.org.ID, storage.SubjectVisitor, x, "visitor.identified", "cnv_1", 10)
	e1 := audit(t, s, "aud_1", a.org.ID, storage.SubjectAgent, owner, "visitor.exported", x, 20)
	audit(t, s, "aud_2", a.org.ID, storage.SubjectAgent, owner, "agent.login", owner, 30)
	e3 := audit(t, s, "aud_3", a.org.ID, storage.SubjectVisitor, x, "visitor.updated", x, 40)
	eb := audit(t, s, "aud_b", b.org.ID, storage.SubjectVisitor, x, "visitor.identified", "", 50)

	list, err := s.ListAuditForSubject(ctx(t), a.org.ID, x, 0)
	ok(t, err, "list audit for subject")
	same(t, unlinked(list), []storage.AuditEvent{e3, e1, e0}, "events naming x as actor or target, newest first")
	list, err = s.ListAuditForSubject(ctx(t), a.org.ID, x, 2)
	ok(t, err, "list audit for subject, limit 2")
	sameList(t, ids(list, auditID), []string{e3.ID, e1.ID}, "two newest")
	list, err = s.ListAuditForSubject(ctx(t), b.org.ID, x, 0)
	ok(t, err, "list audit for subject in b")
	same(t, unlinked(list), []storage.AuditEvent{eb}, "only b's event in b")
	list, err = s.ListAuditForSubject(ctx(t), a.org.ID, "vis_nobody", 0)
	ok(t, err, "list audit for an unknown subject")
	if len(list) != 0 {
		t.Errorf("events for an unknown subject: %v", ids(list, auditID))
	}
}
