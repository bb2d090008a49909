package api

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Issue 10, item 6: creating an agent must not tell one tenant whether an
// email is registered with another, agent creation is rate limited per
// organisation, and sign-in picks the organisation when one email and
// password belong to several.

func TestCreateAgentWithAnotherTenantsEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAgentPasswords)
	a, _ := e.seedOrg("Acme")
	b, bTok := e.seedOrg("Beta")
	var out struct {
		ID    string
		OrgID string `json:"org_id"`
	}
	e.do("POST", "/rest/v1/agents", newAgentBody(a.Email, storage.RoleAgent), bearer(bTok)).
		expect(t, 201, "").json(t, &out)
	if out.OrgID != b.OrgID {
		t.Fatalf("created %+v in org %s, want %s", out, out.OrgID, b.OrgID)
	}
	e.do("POST", "/rest/v1/agents", newAgentBody(a.Email, storage.RoleAgent), bearer(bTok)).
		expect(t, 409, httpx.CodeConflict) // twice in one organisation
	got, err := e.store.GetAgent(context.Background(), a.OrgID, a.ID)
	if err != nil || got.Name != a.Name || got.PasswordHash != a.PasswordHash {
		t.Fatalf("the first tenant's agent changed: %+v %v", got, err)
	}
}

func TestCreateAgentRateLimitedPerOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withAgentPasswords, func(c *Config) { c.AgentCreateLimit = RateLimit{Limit: 2, Window: time.Hour} })
	a, aTok := e.seedOrg("Acme")
	_, bTok := e.seedOrg("Beta")
	for _, email := range []string{"one@example.com", "two@example.com"} {
		e.do("POST", "/rest/v1/agents", newAgentBody(email, storage.RoleAgent), bearer(aTok)).expect(t, 201, "")
	}
	r := e.do("POST", "/rest/v1/agents", newAgentBody("three@example.com", storage.RoleAgent), bearer(aTok)).
		expect(t, 429, httpx.CodeRateLimited)
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After %q", ra)
	}
	// Duplicates count too: probing emails costs the same.
	e.do("POST", "/rest/v1/agents", newAgentBody("one@example.com", storage.RoleAgent), bearer(aTok)).
		expect(t, 429, httpx.CodeRateLimited)
	e.do("POST", "/rest/v1/agents", newAgentBody("three@example.com", storage.RoleAgent), bearer(bTok)).
		expect(t, 201, "") // another organisation has its own window
	if n := e.metrics.RateLimited.With(limitAgentCreate).Value(); n != 2 {
		t.Fatalf("helpr_rate_limited_total{limit=%q} = %d, want 2", limitAgentCreate, n)
	}
	e.clock.Advance(time.Hour + time.Second)
	aTok = e.token(a.OrgID, storage.SubjectAgent, a.ID) // the first one expired
	e.do("POST", "/rest/v1/agents", newAgentBody("three@example.com", storage.RoleAgent), bearer(aTok)).expect(t, 201, "")
}

func TestCreateAgentDefaultLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits, withAgentPasswords)
	_, tok := e.seedOrg("Acme")
	for i := range DefaultAgentCreateLimit {
		body := newAgentBody("a"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.com", storage.RoleAgent)
		body["password"] = "" // refused after the limit is charged, without hashing
		e.do("POST", "/rest/v1/agents", body, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	e.do("POST", "/rest/v1/agents", newAgentBody("late@example.com", storage.RoleAgent), bearer(tok)).
		expect(t, 429, httpx.CodeRateLimited)
}

// seedMember stores an agent of orgID with email and the argon2id hash of
// password.
func (e *env) seedMember(orgID, email, password string) storage.Agent {
	e.t.Helper()
	hash := seedHash
	if password != testPassword {
		h, err := testHasher(e.t).Hash(context.Background(), password)
		if err != nil {
			e.t.Fatal(err)
		}
		hash = h
	}
	a := storage.Agent{ID: storage.NewID("agt"), OrgID: orgID, Name: "Member", Email: email,
		Role: storage.RoleAgent, PasswordHash: hash, CreatedAt: e.clock.Now().Truncate(time.Millisecond)}
	if err := e.store.CreateAgent(context.Background(), a); err != nil {
		e.t.Fatalf("seed member: %v", err)
	}
	return a
}

type orgChoice struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Organizations []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"organizations"`
}

func loginBody(email, password, orgID string) map[string]any {
	b := map[string]any{"email": email, "password": password}
	if orgID != "" {
		b["organization_id"] = orgID
	}
	return b
}

func TestLoginChoosesOrganisation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, _ := e.seedOrg("Acme")
	b, _ := e.seedOrg("Beta")
	c, _ := e.seedOrg("Gamma")
	const email = "carol@example.com"
	inA := e.seedMember(a.OrgID, email, testPassword)
	inB := e.seedMember(b.OrgID, email, testPassword)
	e.seedMember(c.OrgID, email, "another long password") // the password does not match here

	var choice orgChoice
	r := e.do("POST", "/rest/v1/auth/login", loginBody("Carol@Example.com", testPassword, "")).
		expect(t, 409, codeOrganizationRequired)
	r.json(t, &choice)
	if len(r.resp.Cookies()) != 0 {
		t.Fatal("the chooser answer set cookies")
	}
	var ids, names []string
	for _, o := range choice.Organizations {
		ids, names = append(ids, o.ID), append(names, o.Name)
	}
	if !slices.Equal(ids, []string{a.OrgID, b.OrgID}) || !slices.Equal(names, []string{"Acme", "Beta"}) {
		t.Fatalf("organisations %v %v, want Acme and Beta only (Gamma's password differs)", ids, names)
	}

	var tk tokens
	e.do("POST", "/rest/v1/auth/login", loginBody(email, testPassword, b.OrgID)).expect(t, 200, "").json(t, &tk)
	var me struct {
		ID    string
		OrgID string `json:"org_id"`
	}
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.ID != inB.ID || me.OrgID != b.OrgID {
		t.Fatalf("signed in as %+v, want %s of %s", me, inB.ID, b.OrgID)
	}
	e.do("POST", "/rest/v1/auth/login", loginBody(email, testPassword, a.OrgID)).expect(t, 200, "").json(t, &tk)
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.ID != inA.ID {
		t.Fatalf("signed in as %+v, want %s", me, inA.ID)
	}

	// An organisation where the password does not match, or where the email
	// has no agent, answers like any wrong password.
	wrong := e.do("POST", "/rest/v1/auth/login", loginBody(email, testPassword, c.OrgID)).
		expect(t, 401, httpx.CodeInvalidCredentials)
	none := e.do("POST", "/rest/v1/auth/login", loginBody(email, testPassword, "org_nothere")).
		expect(t, 401, httpx.CodeInvalidCredentials)
	if string(wrong.body) != string(none.body) {
		t.Fatalf("bodies differ: %s / %s", wrong.body, none.body)
	}
	e.do("POST", "/rest/v1/auth/login", loginBody(email, testPassword, "Not An Id")).
		expect(t, 400, httpx.CodeValidationFailed)
}

func TestLoginWithoutThePasswordRevealsNoOrganisation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, _ := e.seedOrg("Acme")
	b, _ := e.seedOrg("Beta")
	const email = "carol@example.com"
	e.seedMember(a.OrgID, email, testPassword)
	e.seedMember(b.OrgID, email, testPassword)
	wrong := e.do("POST", "/rest/v1/auth/login", loginBody(email, "not the password", "")).
		expect(t, 401, httpx.CodeInvalidCredentials)
	unknown := e.do("POST", "/rest/v1/auth/login", loginBody("nobody@example.com", "not the password", "")).
		expect(t, 401, httpx.CodeInvalidCredentials)
	if string(wrong.body) != string(unknown.body) {
		t.Fatalf("bodies differ: %s / %s", wrong.body, unknown.body)
	}
	var body map[string]json.RawMessage
	wrong.json(t, &body)
	if _, ok := body["organizations"]; ok {
		t.Fatalf("a wrong password lists organisations: %s", wrong.body)
	}
	for _, org := range []string{a.OrgID, b.OrgID} {
		audit, err := e.store.ListAudit(context.Background(), org, 5)
		if err != nil || len(audit) == 0 || audit[0].Action != "auth.login_failed" {
			t.Fatalf("audit of %s: %+v %v", org, audit, err)
		}
	}
}

func TestLoginPasswordOfOneOrgSignsStraightIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, _ := e.seedOrg("Acme")
	b, _ := e.seedOrg("Beta")
	const email = "carol@example.com"
	e.seedMember(a.OrgID, email, "the acme password!")
	inB := e.seedMember(b.OrgID, email, testPassword)
	var tk tokens
	e.do("POST", "/rest/v1/auth/login", loginBody(email, testPassword, "")).expect(t, 200, "").json(t, &tk)
	var me struct{ ID string }
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.ID != inB.ID {
		t.Fatalf("signed in as %s, want Beta's %s", me.ID, inB.ID)
	}
}
