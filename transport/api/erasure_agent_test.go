package api

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

func TestEraseAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, ownerTok := e.seedOrg("Acme")
	admin, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	agent, _ := e.seedAgent(owner.OrgID, storage.RoleAgent)
	_, agent2Tok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	_, otherTok := e.seedOrg("Other")
	tk, _ := e.login(agent.Email)
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "") // cached
	revoked := e.recordRevocations(e.agentErased(owner.OrgID, agent.ID))
	path := "/rest/v1/agents/" + agent.ID

	e.do("DELETE", path, nil, bearer(agent2Tok)).expect(t, 403, httpx.CodeForbidden)
	e.do("DELETE", path, nil, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("DELETE", "/rest/v1/agents/agt_missing", nil, bearer(adminTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("DELETE", "/rest/v1/agents/BAD!", nil, bearer(adminTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("DELETE", "/rest/v1/agents/"+owner.ID, nil, bearer(adminTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("DELETE", "/rest/v1/agents/"+owner.ID, nil, bearer(ownerTok)).expect(t, 409, httpx.CodeConflict)
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "")

	e.do("DELETE", path, nil, bearer(adminTok)).expect(t, 204, "")

	sessions, err := e.store.ListSessions(ctx, owner.OrgID, storage.SubjectAgent, agent.ID)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("sessions %+v %v", sessions, err)
	}
	for _, s := range sessions {
		if !s.Revoked() || !revoked.before(s.ID) {
			t.Fatalf("session %s revoked %v, announced before the erasure %v", s.ID, s.Revoked(), revoked.before(s.ID))
		}
	}
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 401, httpx.CodeUnauthorized)
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": tk.RefreshToken}).expect(t, 401, httpx.CodeUnauthorized)
	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": agent.Email, "password": testPassword}).
		expect(t, 401, httpx.CodeInvalidCredentials)

	pseudonym := e.store.Pseudonym(agent.ID)
	raw, err := e.raw.GetAgent(ctx, owner.OrgID, agent.ID)
	if err != nil || raw.Name != "" || raw.PasswordHash != "" || raw.Email != pseudonym || !raw.Deleted() {
		t.Fatalf("raw agent after erasure %+v %v", raw, err)
	}
	// Signing in as the pseudonym is the same failure, not a server error.
	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": pseudonym, "password": testPassword}).
		expect(t, 401, httpx.CodeInvalidCredentials)
	// Gone from the team; a role change finds nothing.
	var team struct{ Agents []struct{ ID string } }
	e.do("GET", "/rest/v1/agents", nil, bearer(adminTok)).expect(t, 200, "").json(t, &team)
	for _, a := range team.Agents {
		if a.ID == agent.ID {
			t.Fatal("erased agent listed")
		}
	}
	if len(team.Agents) != 3 {
		t.Fatalf("team %+v", team.Agents)
	}
	e.do("PATCH", path, setRole(storage.RoleAdmin), bearer(ownerTok)).expect(t, 404, httpx.CodeNotFound)
	// The trail: agent.erased under the pseudonym; earlier events (its login) too.
	if named := e.auditNaming(owner.OrgID, agent.ID); len(named) != 0 {
		t.Fatalf("audit still names the erased id: %+v", named)
	}
	erased := e.actions(owner.OrgID, "agent.erased")
	if len(erased) != 1 || erased[0].TargetID != pseudonym || erased[0].ActorID != admin.ID {
		t.Fatalf("agent.erased events %+v", erased)
	}
	if logins := e.auditNaming(owner.OrgID, pseudonym); len(logins) < 2 {
		t.Fatalf("events under the pseudonym: %+v", logins)
	}
	// Idempotent.
	e.do("DELETE", path, nil, bearer(adminTok)).expect(t, 204, "")
	if n := len(e.actions(owner.OrgID, "agent.erased")); n != 1 {
		t.Fatalf("%d agent.erased events after a repeat", n)
	}
	// A token issued to the erased agent afterwards is refused too.
	late := e.token(owner.OrgID, storage.SubjectAgent, agent.ID)
	e.do("GET", "/rest/v1/me", nil, bearer(late)).expect(t, 401, httpx.CodeUnauthorized)
}

func TestEraseAgentOwners(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, aTok := e.seedOrg("Acme")
	b, bTok := e.seedAgent(a.OrgID, storage.RoleOwner)
	c, _ := e.seedAgent(a.OrgID, storage.RoleAdmin)

	// An owner erases another owner; the erased one no longer counts as one.
	e.do("DELETE", "/rest/v1/agents/"+a.ID, nil, bearer(bTok)).expect(t, 204, "")
	e.do("GET", "/rest/v1/me", nil, bearer(aTok)).expect(t, 401, httpx.CodeUnauthorized)
	e.do("DELETE", "/rest/v1/agents/"+b.ID, nil, bearer(bTok)).expect(t, 409, httpx.CodeConflict)
	e.do("PATCH", "/rest/v1/agents/"+b.ID, setRole(storage.RoleAdmin), bearer(bTok)).expect(t, 409, httpx.CodeConflict)

	// With another owner, erasing yourself is allowed; the event names
	// only the pseudonym, as actor and target, and the cookies are cleared.
	e.do("PATCH", "/rest/v1/agents/"+c.ID, setRole(storage.RoleOwner), bearer(bTok)).expect(t, 200, "")
	r := e.do("DELETE", "/rest/v1/agents/"+b.ID, nil, bearer(bTok)).expect(t, 204, "")
	cleared := 0
	for _, ck := range r.resp.Cookies() {
		if ck.MaxAge < 0 {
			cleared++
		}
	}
	if cleared != 2 {
		t.Fatalf("self-erasure cleared %d cookies", cleared)
	}
	e.do("GET", "/rest/v1/me", nil, bearer(bTok)).expect(t, 401, httpx.CodeUnauthorized)
	p := e.store.Pseudonym(b.ID)
	var self []storage.AuditEvent
	for _, ev := range e.actions(a.OrgID, "agent.erased") {
		if ev.TargetID == p {
			self = append(self, ev)
		}
	}
	if len(self) != 1 || self[0].ActorID != p {
		t.Fatalf("self-erasure events %+v", self)
	}
	if named := e.auditNaming(a.OrgID, b.ID); len(named) != 0 {
		t.Fatalf("audit names the erased id: %+v", named)
	}
}

func TestEraseOwnersConcurrentlyKeepsOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, aTok := e.seedOrg("Acme")
	b, bTok := e.seedAgent(a.OrgID, storage.RoleOwner)
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i, req := range []struct{ tok, target string }{{aTok, b.ID}, {bTok, a.ID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.do("DELETE", "/rest/v1/agents/"+req.target, nil, bearer(req.tok)).status
		}()
	}
	wg.Wait()
	slices.Sort(statuses)
	// One erasure wins; the other caller is then erased (401) or, if it
	// went first, finds the other the last owner (409).
	if statuses[0] != 204 || statuses[1] != 401 && statuses[1] != 409 {
		t.Fatalf("statuses %v", statuses)
	}
	agents, err := e.store.ListAgents(context.Background(), a.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, ag := range agents {
		if ag.Role == storage.RoleOwner && !ag.Deleted() {
			live++
		}
	}
	if live != 1 {
		t.Fatalf("%d owners left", live)
	}
}
