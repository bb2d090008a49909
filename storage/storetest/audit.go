package storetest

import (
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var auditCases = []testCase{
	{"Audit", testAudit},
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
	same(t, list, []storage.AuditEvent{events[4], events[3], events[2]}, "three newest events")
	list, err = s.ListAudit(ctx(t), a.org.ID, 0)
	ok(t, err, "list audit, default limit")
	if len(list) != 5 {
		t.Errorf("default limit listed %d events, want all 5", len(list))
	}
	list, err = s.ListAudit(ctx(t), b.org.ID, 10)
	ok(t, err, "list audit of b")
	same(t, list, []storage.AuditEvent{anon}, "b's audit")
}

func testPing(t *testing.T, s storage.Store) {
	ok(t, s.Ping(ctx(t)), "ping")
}
