package storetest

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var erasureCases = []testCase{
	{"EraseVisitor", testEraseVisitor},
	{"EraseVisitorTenantScoped", testEraseVisitorTenant},
	{"EraseAgent", testEraseAgent},
	{"EraseRefusesInvalid", testEraseInvalid},
}

// pseudonym is the suite's stand-in for the pseudonym of subject id.
func pseudonym(id string) string { return "anon_" + id }

func erasure(orgID string, kind storage.SubjectKind, id string, sec int) storage.Erasure {
	return storage.Erasure{OrgID: orgID, Kind: kind, SubjectID: id, Pseudonym: pseudonym(id), At: at(sec)}
}

// eraseVisitor erases visitor id at sec and returns it as stored after.
func eraseVisitor(t *testing.T, s storage.Store, orgID, id string, sec int) storage.Visitor {
	t.Helper()
	ok(t, s.EraseSubject(ctx(t), erasure(orgID, storage.SubjectVisitor, id, sec)), "erase visitor "+id)
	v, err := s.GetVisitor(ctx(t), orgID, id)
	ok(t, err, "get erased visitor "+id)
	return v
}

// visitorSession returns a session start for the tenant's visitor (no
// refresh token, as visitors have none).
func visitorSession(tn tenant, id string, sec int) storage.SessionStart {
	st := agentSession(tn, id, sec)
	st.Session.SubjectKind, st.Session.SubjectID, st.Session.RememberMe = storage.SubjectVisitor, tn.visitor.ID, false
	st.Refresh = nil
	return st
}

// audit appends an event of org at sec and returns it.
func audit(t *testing.T, s storage.Store, id, orgID string, kind storage.SubjectKind, actor, action, target string, sec int) storage.AuditEvent {
	t.Helper()
	e := storage.AuditEvent{ID: id, OrgID: orgID, ActorKind: kind, ActorID: actor, Action: action,
		TargetID: target, IP: "203.0.113.7", UserAgent: "Mozilla/5.0", Detail: "d-" + id, CreatedAt: at(sec)}
	ok(t, s.AppendAudit(ctx(t), e), "append audit "+id)
	return e
}

// visitorFixture is a tenant whose visitor has a conversation, sessions
// and audit events, next to a second tenant.
type visitorFixture struct {
	a, b     tenant
	conv     storage.Conversation
	msgs     []storage.Message
	auditA   []storage.AuditEvent // newest first
	auditB   []storage.AuditEvent
	sessions []storage.Session // the visitor's, newest first
}

func newVisitorFixture(t *testing.T, s storage.Store) visitorFixture {
	t.Helper()
	f := visitorFixture{a: newTenant(t, s, "acme"), b: newTenant(t, s, "beta")}
	v := f.a.visitor.ID
	f.conv = f.a.conversation(t, s, "cnv_a", 10)
	f.msgs = append(f.msgs, appendText(t, s, f.conv, "1", "hello, I need help", 11))
	f.conv.LastSeq, f.conv.UpdatedAt = 1, at(11)
	f.conv.Preview, f.conv.LastSenderKind = "hello, I need help", storage.SenderVisitor
	active, revoked := visitorSession(f.a, "ses_v1", 20), visitorSession(f.a, "ses_v2", 21)
	ok(t, s.CreateSession(ctx(t), active), "create active visitor session")
	ok(t, s.CreateSession(ctx(t), revoked), "create visitor session")
	ok(t, s.RevokeSession(ctx(t), "ses_v2", at(25)), "revoke visitor session")
	revoked.Session.RevokedAt = at(25)
	f.sessions = []storage.Session{revoked.Session, active.Session}
	ok(t, s.CreateSession(ctx(t), agentSession(f.a, "ses_owner", 22)), "create owner session")
	owner := f.a.owner.ID
	f.auditA = []storage.AuditEvent{
		audit(t, s, "aud_3", f.a.org.ID, storage.SubjectAgent, owner, "agent.login", owner, 32),
		audit(t, s, "aud_2", f.a.org.ID, storage.SubjectAgent, owner, "visitor.viewed", v, 31),
		audit(t, s, "aud_1", f.a.org.ID, storage.SubjectVisitor, v, "visitor.identified", v, 30),
	}
	// Another org's event naming the same id string must stay untouched.
	f.auditB = []storage.AuditEvent{audit(t, s, "aud_b", f.b.org.ID, storage.SubjectVisitor, v, "x", v, 33)}
	return f
}

// checkUntouched fails unless the fixture's visitor, sessions and audit
// trail are as created.
func (f visitorFixture) checkUntouched(t *testing.T, s storage.Store, what string) {
	t.Helper()
	got, err := s.GetVisitor(ctx(t), f.a.org.ID, f.a.visitor.ID)
	ok(t, err, what+": get visitor")
	same(t, got, f.a.visitor, what+": visitor")
	sessions, err := s.ListSessions(ctx(t), f.a.org.ID, storage.SubjectVisitor, f.a.visitor.ID)
	ok(t, err, what+": list sessions")
	same(t, sessions, f.sessions, what+": sessions")
	list, err := s.ListAudit(ctx(t), f.a.org.ID, 0)
	ok(t, err, what+": list audit")
	same(t, unlinked(list), f.auditA, what+": audit")
}

func testEraseVisitor(t *testing.T, s storage.Store) {
	f := newVisitorFixture(t, s)
	v := f.a.visitor
	got := eraseVisitor(t, s, f.a.org.ID, v.ID, 100)
	want := v
	want.Name, want.Email, want.Phone, want.EmailIndex, want.DeletedAt = "", "", "", nil, at(100)
	same(t, got, want, "erased visitor keeps ids and times, loses PII")
	if !got.Deleted() {
		t.Errorf("erased visitor not reported deleted")
	}
	f.checkErased(t, s, "after erasure")

	v.Name, v.LastSeenAt = "enc-new-name", at(150)
	wantErr(t, s.UpdateVisitor(ctx(t), v), storage.ErrNotFound, "update an erased visitor")
	ok(t, s.EraseSubject(ctx(t), erasure(f.a.org.ID, storage.SubjectVisitor, v.ID, 200)), "erase again")
	again, err := s.GetVisitor(ctx(t), f.a.org.ID, v.ID)
	ok(t, err, "get visitor erased twice")
	same(t, again, want, "second erasure and refused update change nothing")
	f.checkErased(t, s, "after a second erasure")
}

// checkErased checks everything around the erased visitor.
func (f visitorFixture) checkErased(t *testing.T, s storage.Store, what string) {
	t.Helper()
	v, anon := f.a.visitor.ID, pseudonym(f.a.visitor.ID)
	sessions, err := s.ListSessions(ctx(t), f.a.org.ID, storage.SubjectVisitor, v)
	ok(t, err, what+": list sessions")
	wantSessions := []storage.Session{f.sessions[0], f.sessions[1]}
	wantSessions[1].RevokedAt = at(100) // the earlier revocation keeps its time
	for i := range wantSessions {
		wantSessions[i].IP, wantSessions[i].UserAgent = "", "" // personal data, cleared
	}
	same(t, sessions, wantSessions, what+": visitor sessions revoked")
	owner, err := s.GetSession(ctx(t), "ses_owner")
	ok(t, err, what+": get owner session")
	if owner.Revoked() {
		t.Errorf("%s: another subject's session was revoked", what)
	}

	wantA := append([]storage.AuditEvent(nil), f.auditA...)
	wantA[1].TargetID, wantA[2].ActorID, wantA[2].TargetID = anon, anon, anon
	wantA[2].IP, wantA[2].UserAgent = "", "" // the visitor's own event: its IP and device go
	list, err := s.ListAudit(ctx(t), f.a.org.ID, 0)
	ok(t, err, what+": list audit")
	same(t, unlinked(list), wantA, what+": audit events kept under the pseudonym")
	chainHolds(t, s, f.a.org.ID, what)
	list, err = s.ListAudit(ctx(t), f.b.org.ID, 0)
	ok(t, err, what+": list b audit")
	same(t, unlinked(list), f.auditB, what+": another org's audit untouched")
	list, err = s.ListAuditForSubject(ctx(t), f.a.org.ID, v, 0)
	ok(t, err, what+": list audit for the erased id")
	if len(list) != 0 {
		t.Errorf("%s: audit events still name the erased id: %v", what, ids(list, auditID))
	}

	conv, err := s.GetConversation(ctx(t), f.a.org.ID, f.conv.ID)
	ok(t, err, what+": get conversation")
	same(t, conv, f.conv, what+": conversation kept")
	msgs, err := s.ListMessages(ctx(t), f.a.org.ID, f.conv.ID, 0, 0)
	ok(t, err, what+": list messages")
	same(t, msgs, f.msgs, what+": messages kept")
	_, err = s.FindVisitorByEmailIndex(ctx(t), f.a.org.ID, [][]byte{f.a.visitor.EmailIndex})
	wantErr(t, err, storage.ErrNotFound, what+": find the erased visitor by its old index")
}

func testEraseVisitorTenant(t *testing.T, s storage.Store) {
	f := newVisitorFixture(t, s)
	wrong := erasure(f.b.org.ID, storage.SubjectVisitor, f.a.visitor.ID, 100)
	wantErr(t, s.EraseSubject(ctx(t), wrong), storage.ErrNotFound, "erase another org's visitor")
	wrong = erasure(f.a.org.ID, storage.SubjectVisitor, "vis_missing", 100)
	wantErr(t, s.EraseSubject(ctx(t), wrong), storage.ErrNotFound, "erase an unknown visitor")
	wrong = erasure(f.a.org.ID, storage.SubjectAgent, f.a.visitor.ID, 100)
	wantErr(t, s.EraseSubject(ctx(t), wrong), storage.ErrNotFound, "erase a visitor as an agent")
	f.checkUntouched(t, s, "after refused erasures")
	list, err := s.ListAudit(ctx(t), f.b.org.ID, 0)
	ok(t, err, "list b audit")
	same(t, unlinked(list), f.auditB, "b audit after refused erasures")
	got, err := s.GetVisitor(ctx(t), f.b.org.ID, f.b.visitor.ID)
	ok(t, err, "get b visitor")
	same(t, got, f.b.visitor, "b visitor untouched")
}

func testEraseInvalid(t *testing.T, s storage.Store) {
	f := newVisitorFixture(t, s)
	for name, e := range map[string]storage.Erasure{
		"unknown kind":       {OrgID: f.a.org.ID, Kind: "robot", SubjectID: f.a.visitor.ID, Pseudonym: "anon_x", At: at(100)},
		"empty pseudonym":    {OrgID: f.a.org.ID, Kind: storage.SubjectVisitor, SubjectID: f.a.visitor.ID, At: at(100)},
		"pseudonym is id":    {OrgID: f.a.org.ID, Kind: storage.SubjectVisitor, SubjectID: f.a.visitor.ID, Pseudonym: f.a.visitor.ID, At: at(100)},
		"zero time":          {OrgID: f.a.org.ID, Kind: storage.SubjectVisitor, SubjectID: f.a.visitor.ID, Pseudonym: "anon_x"},
		"empty subject":      {OrgID: f.a.org.ID, Kind: storage.SubjectVisitor, Pseudonym: "anon_x", At: at(100)},
		"empty organisation": {Kind: storage.SubjectVisitor, SubjectID: f.a.visitor.ID, Pseudonym: "anon_x", At: at(100)},
	} {
		if err := s.EraseSubject(ctx(t), e); err == nil {
			t.Errorf("erasure with %s: no error", name)
		}
	}
	f.checkUntouched(t, s, "after invalid erasures")
}
