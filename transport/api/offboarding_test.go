package api

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// storeAssignments is the tests' Assignments: the conditional store write
// the hub makes (the hub's announcement is tested in cmd/helpr).
type storeAssignments struct {
	store *security.SealedStore
	now   func() time.Time
	mu    sync.Mutex
	moved []string
}

func (s *storeAssignments) Unassign(ctx context.Context, orgID, _, conversationID, from string) (bool, error) {
	err := s.store.SetAssignee(ctx, orgID, conversationID, from, "", s.now().Truncate(time.Millisecond))
	if errors.Is(err, storage.ErrConflict) {
		return false, nil
	}
	if err == nil {
		s.mu.Lock()
		s.moved = append(s.moved, conversationID)
		s.mu.Unlock()
	}
	return err == nil, err
}

type offboardEnv struct {
	*env
	assign *storeAssignments
}

func newOffboardEnv(t *testing.T) offboardEnv {
	t.Helper()
	sa := &storeAssignments{}
	e := newEnv(t, func(c *Config) { c.Assignments = sa })
	sa.store, sa.now = e.store, e.clock.Now
	return offboardEnv{env: e, assign: sa}
}

// conversationFor stores an open conversation assigned to agentID.
func (e offboardEnv) conversationFor(orgID, agentID string, status storage.ConversationStatus) storage.Conversation {
	e.t.Helper()
	w := e.seedWidget(orgID, "https://shop.example")
	v, _ := e.seedVisitor(w)
	now := e.clock.Now().Truncate(time.Millisecond)
	c := storage.Conversation{ID: storage.NewID("cnv"), OrgID: orgID, VisitorID: v.ID, WidgetID: w.ID,
		AssigneeID: agentID, Status: storage.ConversationOpen, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateConversation(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	if status == storage.ConversationClosed {
		if err := e.store.CloseConversation(context.Background(), orgID, c.ID, now); err != nil {
			e.t.Fatal(err)
		}
	}
	return c
}

// Deactivating an agent: 200 with deactivated_at; every session revoked;
// password sign-in refused with the generic answer; pending sign-in links
// and reset codes revoked; open conversations back in the queue (closed
// ones untouched); audit history kept and agent.deactivated audited once.
func TestDeactivateAgent(t *testing.T) {
	e := newOffboardEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	member, memberTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	_, signedIn := e.loginFrom(member.Email, "203.0.113.7", uaChromeMac)
	open := e.conversationFor(owner.OrgID, member.ID, storage.ConversationOpen)
	closed := e.conversationFor(owner.OrgID, member.ID, storage.ConversationClosed)
	other := e.conversationFor(owner.OrgID, owner.ID, storage.ConversationOpen)
	ctx := context.Background()
	now := e.clock.Now().Truncate(time.Millisecond)
	for _, p := range []storage.OneTimePurpose{storage.PurposeMagicLink, storage.PurposePasswordReset} {
		if err := e.store.PutOneTime(ctx, storage.OneTime{ID: "tok_" + string(p), Purpose: p, OrgID: owner.OrgID,
			SubjectID: member.ID, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	before := len(auditOf(t, e.env, owner.OrgID, member.ID))

	var got agentView
	e.do("POST", "/rest/v1/agents/"+member.ID+"/deactivate", nil, bearer(ownerTok)).expect(t, 200, "").json(t, &got)
	if got.ID != member.ID || got.DeactivatedAt == nil || !got.DeactivatedAt.Equal(now) {
		t.Fatalf("answer %+v, want the agent deactivated at %v", got, now)
	}
	for _, tok := range []string{memberTok, signedIn.AccessToken} {
		e.do("GET", "/rest/v1/me", nil, bearer(tok)).expect(t, 401, "unauthorized")
	}
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": signedIn.RefreshToken}).expect(t, 401, "")
	wrong := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": member.Email, "password": "wrong password!"}).expect(t, 401, "invalid_credentials")
	right := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": member.Email, "password": testPassword}).expect(t, 401, "invalid_credentials")
	if string(wrong.body) != string(right.body) {
		t.Errorf("a deactivated agent's right password answers %s, a wrong one %s", right.body, wrong.body)
	}
	for _, p := range []storage.OneTimePurpose{storage.PurposeMagicLink, storage.PurposePasswordReset} {
		tok, err := e.store.GetOneTime(ctx, p, "tok_"+string(p))
		if err != nil || !tok.Consumed() {
			t.Errorf("%s token after deactivation: consumed %v, err %v", p, tok.Consumed(), err)
		}
	}
	for _, c := range []struct {
		cv   storage.Conversation
		want string
	}{{open, ""}, {closed, member.ID}, {other, owner.ID}} {
		cv, err := e.store.GetConversation(ctx, owner.OrgID, c.cv.ID)
		if err != nil || cv.AssigneeID != c.want {
			t.Errorf("conversation %s assignee %q (err %v), want %q", c.cv.ID, cv.AssigneeID, err, c.want)
		}
	}
	if n := len(auditOf(t, e.env, owner.OrgID, member.ID)); n <= before {
		t.Errorf("audit history of the agent: %d events, had %d", n, before)
	}
	var team struct{ Agents []agentView }
	e.do("GET", "/rest/v1/agents", nil, bearer(ownerTok)).expect(t, 200, "").json(t, &team)
	for _, ag := range team.Agents {
		if ag.ID == member.ID && ag.DeactivatedAt == nil {
			t.Error("the team list does not show the deactivation")
		}
	}

	// A repeat answers 200 again with the first time and audits nothing.
	e.clock.Advance(time.Minute)
	e.do("POST", "/rest/v1/agents/"+member.ID+"/deactivate", nil, bearer(ownerTok)).expect(t, 200, "").json(t, &got)
	if !got.DeactivatedAt.Equal(now) {
		t.Errorf("repeat moved deactivated_at to %v", got.DeactivatedAt)
	}
	if n := countAudit(t, e.env, owner, "agent.deactivated"); n != 1 {
		t.Errorf("%d agent.deactivated events, want 1", n)
	}
	if len(e.assign.moved) != 1 {
		t.Errorf("moved %v, want only the open conversation", e.assign.moved)
	}
}

// A session started for a deactivated agent (a sign-in racing the
// deactivation) authenticates nothing.
func TestDeactivatedAgentTokenRefused(t *testing.T) {
	e := newOffboardEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	member, _ := e.seedAgent(owner.OrgID, storage.RoleAgent)
	e.do("POST", "/rest/v1/agents/"+member.ID+"/deactivate", nil, bearer(ownerTok)).expect(t, 200, "")
	late := e.token(owner.OrgID, storage.SubjectAgent, member.ID)
	e.do("GET", "/rest/v1/me", nil, bearer(late)).expect(t, 401, "unauthorized")
}

// Who may deactivate whom: not oneself; agents nobody; admins not owners;
// owners other owners; another organisation's agent is not_found.
func TestDeactivateRules(t *testing.T) {
	e := newOffboardEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	second, _ := e.seedAgent(owner.OrgID, storage.RoleOwner)
	admin, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	member, memberTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	stranger, strangerTok := e.seedOrg("Other")
	path := func(id string) string { return "/rest/v1/agents/" + id + "/deactivate" }

	e.do("POST", path(owner.ID), nil, bearer(ownerTok)).expect(t, 403, "forbidden")
	e.do("POST", path(admin.ID), nil, bearer(memberTok)).expect(t, 403, "forbidden")
	e.do("POST", path(owner.ID), nil, bearer(adminTok)).expect(t, 403, "forbidden")
	e.do("POST", path(member.ID), nil, bearer(strangerTok)).expect(t, 404, "not_found")
	e.do("POST", path(stranger.ID), nil, bearer(ownerTok)).expect(t, 404, "not_found")
	e.do("POST", path("agt_unknown"), nil, bearer(ownerTok)).expect(t, 404, "not_found")
	e.do("GET", "/rest/v1/me", nil, bearer(strangerTok)).expect(t, 200, "")

	e.do("POST", path(member.ID), nil, bearer(adminTok)).expect(t, 200, "")
	e.do("POST", path(second.ID), nil, bearer(ownerTok)).expect(t, 200, "")
	// The deactivated owner no longer counts as another owner.
	e.do("PATCH", "/rest/v1/agents/"+owner.ID, map[string]any{"role": "admin"}, bearer(ownerTok)).expect(t, 409, "conflict")
}

// auditOf returns the organisation's events naming subjectID.
func auditOf(t *testing.T, e *env, orgID, subjectID string) []storage.AuditEvent {
	t.Helper()
	list, err := e.store.ListAuditForSubject(context.Background(), orgID, subjectID, 500)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// A sign-in that checked the agent before a deactivation but stores its
// session after the deactivation revoked the agent's sessions: the
// re-read after the start finds the deactivation, revokes the new session
// and answers invalid_credentials.
func TestSignInRacingDeactivationIsRevoked(t *testing.T) {
	e := newOffboardEnv(t)
	owner, _ := e.seedOrg("Acme")
	member, _ := e.seedAgent(owner.OrgID, storage.RoleAgent)
	if _, err := e.sessions.RevokeSubject(context.Background(), owner.OrgID, storage.SubjectAgent, member.ID, ""); err != nil {
		t.Fatal(err)
	}
	stale := member // what the sign-in read while the agent was active
	if err := e.store.DeactivateAgent(context.Background(), owner.OrgID, member.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/rest/v1/auth/login", nil)
	rec := httptest.NewRecorder()
	err := e.api.startSignedIn(rec, req, stale, "", false, methodPassword)
	if err != errInvalidCredentials || rec.Body.Len() != 0 {
		t.Fatalf("racing sign-in: err %v, body %q; want invalid_credentials and no tokens", err, rec.Body.String())
	}
	list, err := e.store.ListSessions(context.Background(), owner.OrgID, storage.SubjectAgent, member.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if !s.Revoked() {
			t.Errorf("session %s of the deactivated agent is live", s.ID)
		}
	}
	if len(list) == 0 {
		t.Fatal("the racing sign-in stored no session: the test did not race")
	}
}

// Every sign-in method ends in startSignedIn, which refuses a deactivated
// agent before starting anything (magic link, passkey, second factor).
func TestEveryWayInRefusesDeactivated(t *testing.T) {
	e := newOffboardEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	member, _ := e.seedAgent(owner.OrgID, storage.RoleAgent)
	e.do("POST", "/rest/v1/agents/"+member.ID+"/deactivate", nil, bearer(ownerTok)).expect(t, 200, "")
	fresh, err := e.store.GetAgent(context.Background(), owner.OrgID, member.ID)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := e.store.ListSessions(context.Background(), owner.OrgID, storage.SubjectAgent, member.ID)
	for _, method := range []string{methodMagicLink, methodPasskey, methodPassword + ",mfa=totp"} {
		rec := httptest.NewRecorder()
		err := e.api.startSignedIn(rec, httptest.NewRequest("POST", "/", nil), fresh, "", false, method)
		if err != errInvalidCredentials || rec.Body.Len() != 0 {
			t.Errorf("%s: err %v, body %q", method, err, rec.Body.String())
		}
	}
	after, _ := e.store.ListSessions(context.Background(), owner.OrgID, storage.SubjectAgent, member.ID)
	if len(after) != len(before) {
		t.Errorf("refused sign-ins stored %d sessions", len(after)-len(before))
	}
}
