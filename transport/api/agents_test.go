package api

import (
	"context"
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

func newAgentBody(email string, role storage.Role) map[string]any {
	return map[string]any{"name": "Bob", "email": email, "role": role, "password": testPassword}
}

// withAgentPasswords lets POST /agents set passwords (load-test mode).
func withAgentPasswords(c *Config) { c.AllowAgentPasswords = true }

func TestCreateAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAgentPasswords)
	owner, ownerTok := e.seedOrg("Acme")
	var out struct {
		ID, Email, Role string
		OrgID           string `json:"org_id"`
	}
	e.do("POST", "/rest/v1/agents", newAgentBody("Bob@Example.com", storage.RoleAdmin), bearer(ownerTok)).
		expect(t, 201, "").json(t, &out)
	if out.ID == "" || out.Email != "bob@example.com" || out.Role != "admin" || out.OrgID != owner.OrgID {
		t.Fatalf("created %+v", out)
	}
	e.login("bob@example.com") // the new agent can sign in
	e.do("POST", "/rest/v1/agents", newAgentBody("bob@example.com", storage.RoleAgent), bearer(ownerTok)).
		expect(t, 409, httpx.CodeConflict)
	e.do("POST", "/rest/v1/agents", newAgentBody("c@example.com", "boss"), bearer(ownerTok)).
		expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/agents", newAgentBody("d@example.com", storage.RoleOwner), bearer(ownerTok)).
		expect(t, 201, "")
}

func TestCreateAgentRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAgentPasswords)
	owner, _ := e.seedOrg("Acme")
	_, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	w := e.seedWidget(owner.OrgID)
	_, visitorTok := e.seedVisitor(w)

	e.do("POST", "/rest/v1/agents", newAgentBody("a1@example.com", storage.RoleAgent), bearer(adminTok)).expect(t, 201, "")
	e.do("POST", "/rest/v1/agents", newAgentBody("a2@example.com", storage.RoleAdmin), bearer(adminTok)).expect(t, 201, "")
	e.do("POST", "/rest/v1/agents", newAgentBody("a3@example.com", storage.RoleOwner), bearer(adminTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/agents", newAgentBody("a4@example.com", storage.RoleAgent), bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/agents", newAgentBody("a5@example.com", storage.RoleAgent), bearer(visitorTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/agents", newAgentBody("a6@example.com", storage.RoleAgent)).expect(t, 401, httpx.CodeUnauthorized)
}

func TestListAgentsIsTenantScoped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	other, _ := e.seedOrg("Other")
	var out struct{ Agents []struct{ ID, Email string } }
	e.do("GET", "/rest/v1/agents", nil, bearer(agentTok)).expect(t, 200, "").json(t, &out)
	if len(out.Agents) != 2 || out.Agents[0].ID != owner.ID {
		t.Fatalf("agents %+v", out.Agents)
	}
	for _, a := range out.Agents {
		if a.ID == other.ID {
			t.Fatal("another tenant's agent listed")
		}
	}
	e.do("GET", "/rest/v1/agents", nil, bearer(ownerTok)).expect(t, 200, "")
	w := e.seedWidget(owner.OrgID)
	_, visitorTok := e.seedVisitor(w)
	e.do("GET", "/rest/v1/agents", nil, bearer(visitorTok)).expect(t, 403, httpx.CodeForbidden)
}

func setRole(role storage.Role) map[string]any { return map[string]any{"role": role} }

func TestSetRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, ownerTok := e.seedOrg("Acme")
	admin, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	agent, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	path := func(id string) string { return "/rest/v1/agents/" + id }

	// An agent manages nothing.
	e.do("PATCH", path(admin.ID), setRole(storage.RoleAgent), bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	// An admin changes non-owner roles, but never the owner role.
	var out struct{ ID, Role string }
	e.do("PATCH", path(agent.ID), setRole(storage.RoleAdmin), bearer(adminTok)).expect(t, 200, "").json(t, &out)
	if out.ID != agent.ID || out.Role != "admin" {
		t.Fatalf("patched %+v", out)
	}
	if got, _ := e.store.GetAgent(ctx, owner.OrgID, agent.ID); got.Role != storage.RoleAdmin {
		t.Fatalf("stored role %s", got.Role)
	}
	e.do("PATCH", path(agent.ID), setRole(storage.RoleOwner), bearer(adminTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("PATCH", path(owner.ID), setRole(storage.RoleAgent), bearer(adminTok)).expect(t, 403, httpx.CodeForbidden)
	// The last owner cannot be demoted, not even by themselves.
	e.do("PATCH", path(owner.ID), setRole(storage.RoleAdmin), bearer(ownerTok)).expect(t, 409, httpx.CodeConflict)
	// With a second owner, the first may step down.
	e.do("PATCH", path(admin.ID), setRole(storage.RoleOwner), bearer(ownerTok)).expect(t, 200, "")
	e.do("PATCH", path(owner.ID), setRole(storage.RoleAgent), bearer(ownerTok)).expect(t, 200, "")
	// The demoted owner's role takes effect at once.
	e.do("PATCH", path(agent.ID), setRole(storage.RoleAgent), bearer(ownerTok)).expect(t, 403, httpx.CodeForbidden)
	// Validation and unknown ids.
	e.do("PATCH", path(agent.ID), setRole("root"), bearer(adminTok)).expect(t, 400, httpx.CodeValidationFailed)
	e.do("PATCH", path("agt_missing"), setRole(storage.RoleAgent), bearer(adminTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("PATCH", path("BAD!id"), setRole(storage.RoleAgent), bearer(adminTok)).expect(t, 404, httpx.CodeNotFound)
}

func TestSetRoleCrossTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, ownerTok := e.seedOrg("Acme")
	other, _ := e.seedOrg("Other")
	victim, _ := e.seedAgent(other.OrgID, storage.RoleAgent)
	e.do("PATCH", "/rest/v1/agents/"+victim.ID, setRole(storage.RoleAdmin), bearer(ownerTok)).expect(t, 404, httpx.CodeNotFound)
	if got, _ := e.store.GetAgent(context.Background(), other.OrgID, victim.ID); got.Role != storage.RoleAgent {
		t.Fatalf("cross-tenant role change stored: %s", got.Role)
	}
}
