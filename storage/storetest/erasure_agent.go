package storetest

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// agentFixture is a tenant with a second agent, bob, who has a session,
// an assigned conversation with his message, and audit events.
type agentFixture struct {
	tn, other tenant
	bob       storage.Agent
	conv      storage.Conversation
	msgs      []storage.Message
	audit     []storage.AuditEvent // newest first
}

func newAgentFixture(t *testing.T, s storage.Store) agentFixture {
	t.Helper()
	f := agentFixture{tn: newTenant(t, s, "acme"), other: newTenant(t, s, "beta")}
	f.bob = storage.Agent{ID: "agt_bob", OrgID: f.tn.org.ID, Name: "Bob", Email: "bob@acme.example",
		Role: storage.RoleAdmin, PasswordHash: "hash-bob", CreatedAt: at(5)}
	ok(t, s.CreateAgent(ctx(t), f.bob), "create bob")
	st := agentSession(f.tn, "ses_bob", 8)
	st.Session.SubjectID = f.bob.ID
	ok(t, s.CreateSession(ctx(t), st), "create bob's session")
	f.conv = f.tn.conversation(t, s, "cnv_a", 10)
	ok(t, s.SetAssignee(ctx(t), f.tn.org.ID, f.conv.ID, "", f.bob.ID, at(12)), "assign bob")
	m := message(f.conv, "1", "how can I help?", 13)
	m.SenderKind, m.SenderID = storage.SenderAgent, f.bob.ID
	stored, _, err := s.AppendMessage(ctx(t), m)
	ok(t, err, "append bob's message")
	f.msgs = []storage.Message{stored}
	_, err = s.MarkAgentRead(ctx(t), f.tn.org.ID, f.conv.ID, f.bob.ID, 1)
	ok(t, err, "bob reads the conversation")
	f.conv.AssigneeID, f.conv.LastSeq, f.conv.UpdatedAt = f.bob.ID, 1, at(13)
	f.conv.Preview, f.conv.LastSenderKind, f.conv.AgentReadSeq = "how can I help?", storage.SenderAgent, 1
	owner := f.tn.owner.ID
	f.audit = []storage.AuditEvent{
		audit(t, s, "aud_2", f.tn.org.ID, storage.SubjectAgent, owner, "agent.role_changed", f.bob.ID, 21),
		audit(t, s, "aud_1", f.tn.org.ID, storage.SubjectAgent, f.bob.ID, "agent.login", f.bob.ID, 20),
	}
	return f
}

func testEraseAgent(t *testing.T, s storage.Store) {
	f := newAgentFixture(t, s)
	wrong := erasure(f.other.org.ID, storage.SubjectAgent, f.bob.ID, 100)
	wantErr(t, s.EraseSubject(ctx(t), wrong), storage.ErrNotFound, "erase another org's agent")
	got, err := s.GetAgent(ctx(t), f.tn.org.ID, f.bob.ID)
	ok(t, err, "get bob after a refused erasure")
	same(t, got, f.bob, "bob untouched by a refused erasure")

	e := erasure(f.tn.org.ID, storage.SubjectAgent, f.bob.ID, 100)
	ok(t, s.EraseSubject(ctx(t), e), "erase bob")
	want := f.bob
	want.Name, want.PasswordHash, want.Email, want.DeletedAt = "", "", e.Pseudonym, at(100)
	f.checkErased(t, s, want, "after erasure")

	ok(t, s.EraseSubject(ctx(t), erasure(f.tn.org.ID, storage.SubjectAgent, f.bob.ID, 200)), "erase again")
	f.checkErased(t, s, want, "after a second erasure")

	reuse := storage.Agent{ID: "agt_bob2", OrgID: f.tn.org.ID, Name: "Bob", Email: "Bob@Acme.Example",
		Role: storage.RoleAgent, PasswordHash: "h", CreatedAt: at(300)}
	ok(t, s.CreateAgent(ctx(t), reuse), "an erased agent's email is free again")
}

// checkErased checks bob's erased record and everything around it.
func (f agentFixture) checkErased(t *testing.T, s storage.Store, want storage.Agent, what string) {
	t.Helper()
	org := f.tn.org.ID
	got, err := s.GetAgent(ctx(t), org, f.bob.ID)
	ok(t, err, what+": GetAgent still resolves an erased agent")
	same(t, got, want, what+": erased agent keeps id, role and times, loses PII")
	if !got.Deleted() {
		t.Errorf("%s: erased agent not reported deleted", what)
	}
	for _, email := range []string{f.bob.Email, want.Email} {
		byEmail, err := s.ListAgentsByEmail(ctx(t), email)
		ok(t, err, what+": ListAgentsByEmail")
		if len(byEmail) != 0 {
			t.Errorf("%s: ListAgentsByEmail returns an erased agent: %v", what, byEmail)
		}
	}
	// Decision: ListAgents is the team; erased agents are left out.
	list, err := s.ListAgents(ctx(t), org)
	ok(t, err, what+": list agents")
	same(t, list, []storage.Agent{f.tn.owner}, what+": ListAgents leaves erased agents out")
	wantErr(t, s.SetAgentPasswordHash(ctx(t), org, f.bob.ID, "hash-again"), storage.ErrNotFound, what+": set an erased agent's password")
	wantErr(t, s.SetAgentRole(ctx(t), org, f.bob.ID, storage.RoleOwner), storage.ErrNotFound, what+": set an erased agent's role")

	sess, err := s.GetSession(ctx(t), "ses_bob")
	ok(t, err, what+": get bob's session")
	if sess.RevokedAt != at(100) {
		t.Errorf("%s: bob's session revoked at %v, want %v", what, sess.RevokedAt, at(100))
	}
	if sess.IP != "" || sess.UserAgent != "" {
		t.Errorf("%s: bob's session keeps his IP %q and device %q", what, sess.IP, sess.UserAgent)
	}
	wantErr(t, s.RotateRefresh(ctx(t), rotation("ses_bob", 2, 150, "")), storage.ErrConflict, what+": refresh an erased agent's session")

	anon := pseudonym(f.bob.ID)
	wantAudit := append([]storage.AuditEvent(nil), f.audit...)
	wantAudit[0].TargetID, wantAudit[1].ActorID, wantAudit[1].TargetID = anon, anon, anon
	wantAudit[1].IP, wantAudit[1].UserAgent = "", "" // bob's own event: his IP and device go
	events, err := s.ListAudit(ctx(t), org, 0)
	ok(t, err, what+": list audit")
	same(t, unlinked(events), wantAudit, what+": audit events kept under the pseudonym")
	chainHolds(t, s, org, what)

	conv, err := s.GetConversation(ctx(t), org, f.conv.ID)
	ok(t, err, what+": get conversation")
	same(t, conv, f.conv, what+": conversation kept, still assigned to the erased id")
	msgs, err := s.ListMessages(ctx(t), org, f.conv.ID, 0, 0)
	ok(t, err, what+": list messages")
	same(t, msgs, f.msgs, what+": messages kept")
	// Decision: read marks hold only the agent id, which the messages
	// keep too; they stay.
	marks, err := s.AgentReadSeqs(ctx(t), org, f.bob.ID, []string{f.conv.ID})
	ok(t, err, what+": read marks")
	same(t, marks, map[string]int64{f.conv.ID: 1}, what+": read marks kept")
}
