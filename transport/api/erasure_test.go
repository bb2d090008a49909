package api

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// revocations records the session ids Sessions announces as revoked (what
// closes WebSockets), and whether the subject was already erased in the
// backend at that moment.
type revocations struct {
	mu         sync.Mutex
	ids        []string
	afterErase []string
}

// recordRevocations listens for revocations; erased reports whether the
// subject under test is erased in the backend.
func (e *env) recordRevocations(erased func() bool) *revocations {
	r := &revocations{}
	e.sessions.OnRevoke(func(id string) {
		late := erased()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ids = append(r.ids, id)
		if late {
			r.afterErase = append(r.afterErase, id)
		}
	})
	return r
}

// before reports whether session id was announced revoked before the
// subject was erased.
func (r *revocations) before(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.ids, id) && !slices.Contains(r.afterErase, id)
}

func (e *env) visitorErased(orgID, id string) func() bool {
	return func() bool {
		v, err := e.raw.GetVisitor(context.Background(), orgID, id)
		return err != nil || v.Deleted()
	}
}

func (e *env) agentErased(orgID, id string) func() bool {
	return func() bool {
		a, err := e.raw.GetAgent(context.Background(), orgID, id)
		return err != nil || a.Deleted()
	}
}

// auditNaming returns the organisation's events whose actor, target or
// detail mention s.
func (e *env) auditNaming(orgID, s string) []storage.AuditEvent {
	e.t.Helper()
	events, err := e.store.ListAudit(context.Background(), orgID, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []storage.AuditEvent
	for _, ev := range events {
		if ev.ActorID == s || ev.TargetID == s || strings.Contains(ev.Detail, s) {
			out = append(out, ev)
		}
	}
	return out
}

// actions returns the events with action a.
func (e *env) actions(orgID, a string) []storage.AuditEvent {
	e.t.Helper()
	events, err := e.store.ListAudit(context.Background(), orgID, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []storage.AuditEvent
	for _, ev := range events {
		if ev.Action == a {
			out = append(out, ev)
		}
	}
	return out
}

func TestEraseVisitorRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	vs := e.startVisitor(e.seedWidget(owner.OrgID))
	_, otherTok := e.seedOrg("Other")
	path := "/rest/v1/visitors/" + vs.Visitor.ID

	e.do("DELETE", path, nil, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("DELETE", path, nil, bearer(vs.Token)).expect(t, 403, httpx.CodeForbidden)
	e.do("DELETE", path, nil).expect(t, 401, httpx.CodeUnauthorized)
	e.do("DELETE", path, nil, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("DELETE", "/rest/v1/visitors/vis_missing", nil, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	// Nothing happened.
	e.do("GET", "/rest/v1/me", nil, bearer(vs.Token)).expect(t, 200, "")
	if v, err := e.store.GetVisitor(context.Background(), owner.OrgID, vs.Visitor.ID); err != nil || v.Deleted() || v.Name != canaryName {
		t.Fatalf("visitor after refused erasures %+v %v", v, err)
	}
	if n := len(e.actions(owner.OrgID, "visitor.erased")); n != 0 {
		t.Fatalf("%d visitor.erased events", n)
	}
}

func TestEraseVisitor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, _ := e.seedOrg("Acme")
	admin, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	w := e.seedWidget(owner.OrgID)
	vs := e.startVisitor(w)
	id := vs.Visitor.ID
	tok2 := e.token(owner.OrgID, storage.SubjectVisitor, id)
	v, err := e.store.GetVisitor(ctx, owner.OrgID, id)
	if err != nil {
		t.Fatal(err)
	}
	conv := e.seedConversation(v, "", 3)
	e.do("GET", "/rest/v1/visitors/"+id+"/export", nil, bearer(adminTok)).expect(t, 200, "") // audits the id
	e.do("GET", "/rest/v1/me", nil, bearer(vs.Token)).expect(t, 200, "")                     // token now cached
	revoked := e.recordRevocations(e.visitorErased(owner.OrgID, id))

	e.do("DELETE", "/rest/v1/visitors/"+id, nil, bearer(adminTok)).expect(t, 204, "")

	// Every session was revoked through Sessions, before the erasure:
	// cached tokens fail at once.
	sessions, err := e.store.ListSessions(ctx, owner.OrgID, storage.SubjectVisitor, id)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("sessions %+v %v", sessions, err)
	}
	for _, s := range sessions {
		if !s.Revoked() || !revoked.before(s.ID) {
			t.Fatalf("session %s revoked %v, announced before the erasure %v", s.ID, s.Revoked(), revoked.before(s.ID))
		}
	}
	e.do("GET", "/rest/v1/me", nil, bearer(vs.Token)).expect(t, 401, httpx.CodeUnauthorized)
	e.do("GET", "/rest/v1/me", nil, bearer(tok2)).expect(t, 401, httpx.CodeUnauthorized)
	// The backend holds no PII and no index.
	raw, err := e.raw.GetVisitor(ctx, owner.OrgID, id)
	if err != nil || raw.Name != "" || raw.Email != "" || raw.Phone != "" || len(raw.EmailIndex) != 0 || !raw.Deleted() {
		t.Fatalf("raw visitor after erasure %+v %v", raw, err)
	}
	// Agents see a redacted visitor; the email finds nothing.
	var got visitorJSON
	e.do("GET", "/rest/v1/visitors/"+id, nil, bearer(agentTok)).expect(t, 200, "").json(t, &got)
	if got.ID != id || !got.Deleted || got.Name != "" || got.Email != "" || got.Phone != "" {
		t.Fatalf("erased visitor shown as %+v", got)
	}
	if found := e.findByEmail(agentTok, canaryEmail); len(found.Visitors) != 0 {
		t.Fatalf("erased visitor found by email: %+v", found)
	}
	// Conversations and messages stay.
	var cv struct {
		VisitorID string `json:"visitor_id"`
	}
	e.do("GET", "/rest/v1/conversations/"+conv.ID, nil, bearer(agentTok)).expect(t, 200, "").json(t, &cv)
	var msgs messagesJSON
	e.do("GET", "/rest/v1/conversations/"+conv.ID+"/messages", nil, bearer(agentTok)).expect(t, 200, "").json(t, &msgs)
	if cv.VisitorID != id || len(msgs.Messages) != 3 {
		t.Fatalf("conversation %+v with %d messages", cv, len(msgs.Messages))
	}
	// The trail keeps its events under the pseudonym, never the id.
	pseudonym := e.store.Pseudonym(id)
	if !strings.HasPrefix(pseudonym, "anon_") || strings.Contains(pseudonym, id) {
		t.Fatalf("pseudonym %q", pseudonym)
	}
	if named := e.auditNaming(owner.OrgID, id); len(named) != 0 {
		t.Fatalf("audit still names the erased id: %+v", named)
	}
	erased := e.actions(owner.OrgID, "visitor.erased")
	if len(erased) != 1 || erased[0].TargetID != pseudonym || erased[0].ActorID != admin.ID {
		t.Fatalf("visitor.erased events %+v", erased)
	}
	if exported := e.actions(owner.OrgID, "visitor.exported"); len(exported) != 1 || exported[0].TargetID != pseudonym {
		t.Fatalf("earlier export event not pseudonymised: %+v", exported)
	}

	// Idempotent: 204 again, and no second event (nothing happened).
	e.do("DELETE", "/rest/v1/visitors/"+id, nil, bearer(adminTok)).expect(t, 204, "")
	if n := len(e.actions(owner.OrgID, "visitor.erased")); n != 1 {
		t.Fatalf("%d visitor.erased events after a repeat", n)
	}
	// Even a session started afterwards does not make the subject exist.
	late := e.token(owner.OrgID, storage.SubjectVisitor, id)
	e.do("GET", "/rest/v1/me", nil, bearer(late)).expect(t, 401, httpx.CodeUnauthorized)
	var resumed visitorSession
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey},
		bearer(late)).expect(t, 201, "").json(t, &resumed)
	if resumed.Visitor.ID == id {
		t.Fatal("an erased visitor was resumed")
	}
}

type messagesJSON struct {
	Messages []struct {
		ID   string `json:"id"`
		Seq  int64  `json:"seq"`
		Text string `json:"text"`
	} `json:"messages"`
}

// eraseHook runs before ahead of every EraseSubject: a stand-in for a
// request that lands between the revocations and the erasure. It embeds
// the sealed store, which keeps it a Store.
type eraseHook struct {
	Store
	before func(storage.Erasure)
}

func (h *eraseHook) EraseSubject(ctx context.Context, e storage.Erasure) error {
	h.before(e)
	return h.Store.EraseSubject(ctx, e)
}

func TestEraseEvictsSessionsStartedMeanwhile(t *testing.T) {
	t.Parallel()
	late := make(chan string, 2)
	e := newEnv(t, func(c *Config) {
		sessions := c.Sessions
		c.Store = &eraseHook{Store: c.Store, before: func(er storage.Erasure) {
			ctx := context.Background()
			is, err := sessions.Start(ctx, security.StartParams{OrgID: er.OrgID, Kind: er.Kind, SubjectID: er.SubjectID})
			if err == nil {
				_, err = sessions.Authenticate(ctx, is.AccessToken) // now cached
			}
			if err != nil {
				panic(err)
			}
			late <- is.AccessToken
		}}
	})
	owner, ownerTok := e.seedOrg("Acme")
	agent, _ := e.seedAgent(owner.OrgID, storage.RoleAgent)
	vs := e.startVisitor(e.seedWidget(owner.OrgID))
	e.do("DELETE", "/rest/v1/visitors/"+vs.Visitor.ID, nil, bearer(ownerTok)).expect(t, 204, "")
	e.do("DELETE", "/rest/v1/agents/"+agent.ID, nil, bearer(ownerTok)).expect(t, 204, "")
	for range 2 {
		// Sessions alone (what WebSockets re-check every frame) refuses it.
		if _, err := e.sessions.Authenticate(context.Background(), <-late); !errors.Is(err, security.ErrSessionRevoked) {
			t.Fatalf("session started during the erasure: %v", err)
		}
	}
}
