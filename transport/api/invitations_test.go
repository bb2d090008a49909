package api

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

var inviteRe = regexp.MustCompile(`/console/#invite=(hli_[A-Za-z0-9_-]+)`)

type invitationOut struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// invite invites email with role as tok's agent and returns the
// invitation and the token from its mail.
func (e *env) invite(m *captureMailer, tok, email string, role storage.Role) (invitationOut, string) {
	e.t.Helper()
	var out invitationOut
	e.do("POST", "/rest/v1/invitations", map[string]any{"email": email, "role": role}, bearer(tok)).
		expect(e.t, 201, "").json(e.t, &out)
	sent := m.messages(mail.KindInvitation)
	last := sent[len(sent)-1]
	if last.To != strings.ToLower(email) || !strings.Contains(last.Text, publicOrigin+"/console/#invite=") {
		e.t.Fatalf("invitation mail %+v", last)
	}
	return out, inviteRe.FindStringSubmatch(last.Text)[1]
}

func acceptBody(tok string) map[string]any {
	return map[string]any{"token": tok, "name": "Nina", "password": newPassword}
}

func TestInvitationAcceptedOnce(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	inv, tok := e.invite(m, ownerTok, "Nina@Example.com", storage.RoleAdmin)
	if inv.Email != "nina@example.com" || inv.Role != "admin" || !inv.ExpiresAt.Equal(inv.CreatedAt.Add(7*24*time.Hour)) {
		t.Fatalf("invitation %+v", inv)
	}
	var tk tokens
	body := acceptBody(tok)
	body["email"] = "attacker@example.com" // not a field: the address comes from the invitation
	e.do("POST", "/rest/v1/invitations/accept", body).expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/invitations/accept", acceptBody(tok)).expect(t, 201, "").json(t, &tk)
	var me struct{ Email, Role, OrgID string }
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.Email != "nina@example.com" || me.Role != "admin" {
		t.Fatalf("me %+v", me)
	}
	e.do("POST", "/rest/v1/auth/login", loginBody("nina@example.com", newPassword, "")).expect(t, 200, "")
	e.do("POST", "/rest/v1/invitations/accept", acceptBody(tok)).expect(t, 401, httpx.CodeInvalidToken)
	var list struct{ Invitations []invitationOut }
	e.do("GET", "/rest/v1/invitations", nil, bearer(ownerTok)).expect(t, 200, "").json(t, &list)
	if len(list.Invitations) != 0 {
		t.Fatalf("accepted invitation still pending: %+v", list)
	}
	for _, a := range []string{"invitation.created", "invitation.accepted"} {
		if len(e.actions(owner.OrgID, a)) == 0 {
			t.Fatalf("no %s", a)
		}
	}
}

func TestInvitationAcceptConcurrently(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	_, ownerTok := e.seedOrg("Acme")
	_, tok := e.invite(m, ownerTok, "nina@example.com", storage.RoleAgent)
	var wg sync.WaitGroup
	codes := make(chan int, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- e.do("POST", "/rest/v1/invitations/accept", acceptBody(tok)).status
		}()
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == 201 {
			ok++
		} else if c != 401 && c != 409 {
			t.Fatalf("status %d", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d accepts, want 1", ok)
	}
}

func TestInvitationExpiryBoundary(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	_, ownerTok := e.seedOrg("Acme")
	_, early := e.invite(m, ownerTok, "a@example.com", storage.RoleAgent)
	_, late := e.invite(m, ownerTok, "b@example.com", storage.RoleAgent)
	e.clock.Advance(7*24*time.Hour - time.Millisecond)
	e.do("POST", "/rest/v1/invitations/accept", acceptBody(early)).expect(t, 201, "")
	e.clock.Advance(time.Millisecond)
	e.do("POST", "/rest/v1/invitations/accept", acceptBody(late)).expect(t, 401, httpx.CodeInvalidToken)
}

func TestInvitationRevoke(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	_, otherTok := e.seedOrg("Other")
	inv, tok := e.invite(m, ownerTok, "nina@example.com", storage.RoleAgent)
	kept, _ := e.invite(m, ownerTok, "kim@example.com", storage.RoleAgent)
	e.do("DELETE", "/rest/v1/invitations/"+inv.ID, nil, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("DELETE", "/rest/v1/invitations/not-an-id", nil, bearer(ownerTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("DELETE", "/rest/v1/invitations/"+inv.ID, nil, bearer(ownerTok)).expect(t, 204, "")
	e.do("DELETE", "/rest/v1/invitations/"+inv.ID, nil, bearer(ownerTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("POST", "/rest/v1/invitations/accept", acceptBody(tok)).expect(t, 401, httpx.CodeInvalidToken)
	var list struct{ Invitations []invitationOut }
	e.do("GET", "/rest/v1/invitations", nil, bearer(ownerTok)).expect(t, 200, "").json(t, &list)
	if len(list.Invitations) != 1 || list.Invitations[0].ID != kept.ID || list.Invitations[0].Email != "kim@example.com" {
		t.Fatalf("pending %+v", list)
	}
	var others struct{ Invitations []invitationOut }
	e.do("GET", "/rest/v1/invitations", nil, bearer(otherTok)).expect(t, 200, "").json(t, &others)
	if len(others.Invitations) != 0 {
		t.Fatal("another tenant's invitations listed")
	}
	if len(e.actions(owner.OrgID, "invitation.revoked")) != 1 {
		t.Fatal("no invitation.revoked")
	}
}

func TestInvitationRoles(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	_, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	body := func(email string, role storage.Role) map[string]any {
		return map[string]any{"email": email, "role": role}
	}
	e.do("POST", "/rest/v1/invitations", body("a@example.com", storage.RoleOwner), bearer(adminTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/invitations", body("a@example.com", "boss"), bearer(ownerTok)).expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/invitations", body("not an address", storage.RoleAgent), bearer(ownerTok)).expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/invitations", body("a@example.com", storage.RoleAgent), bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("GET", "/rest/v1/invitations", nil, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/invitations", body("a@example.com", storage.RoleAgent)).expect(t, 401, httpx.CodeUnauthorized)
	e.do("POST", "/rest/v1/invitations", body(owner.Email, storage.RoleAgent), bearer(adminTok)).expect(t, 409, httpx.CodeConflict)
	e.invite(m, adminTok, "b@example.com", storage.RoleAdmin)
	_, ownerInvite := e.invite(m, ownerTok, "c@example.com", storage.RoleOwner)
	var tk tokens
	e.do("POST", "/rest/v1/invitations/accept", acceptBody(ownerInvite)).expect(t, 201, "").json(t, &tk)
	var me struct{ Role string }
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.Role != "owner" {
		t.Fatalf("role %q", me.Role)
	}
}

func TestInvitationAcceptChecks(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	_, tok := e.invite(m, ownerTok, "nina@example.com", storage.RoleAgent)
	short := acceptBody(tok)
	short["password"] = "short"
	e.do("POST", "/rest/v1/invitations/accept", short).expect(t, 400, httpx.CodeValidationFailed)
	noName := acceptBody(tok)
	noName["name"] = ""
	e.do("POST", "/rest/v1/invitations/accept", noName).expect(t, 400, httpx.CodeValidationFailed)
	for _, bad := range []string{"", "hli_x", "hlm_" + tok[4:], strings.Repeat("a", 80)} {
		e.do("POST", "/rest/v1/invitations/accept", acceptBody(bad)).expect(t, 401, httpx.CodeInvalidToken)
	}
	// The address joined meanwhile (another invitation): 409, and the
	// invitation is still pending (nothing was consumed).
	e.seedMember(owner.OrgID, "nina@example.com", testPassword)
	e.do("POST", "/rest/v1/invitations/accept", acceptBody(tok)).expect(t, 409, httpx.CodeConflict)
	pending, err := e.store.ListOneTime(context.Background(), owner.OrgID, storage.PurposeInvitation, e.clock.Now())
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending %d, %v", len(pending), err)
	}
	// Stored: the hash of the token, the address sealed.
	raw, err := e.raw.GetOneTime(context.Background(), storage.PurposeInvitation, pending[0].ID)
	if err != nil || strings.Contains(raw.Data, "nina@example.com") || raw.ID == tok || raw.SubjectID == "" {
		t.Fatalf("stored invitation %+v, %v", raw, err)
	}
}

func TestInvitationWithoutMailer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, ownerTok := e.seedOrg("Acme")
	e.do("POST", "/rest/v1/invitations", map[string]any{"email": "a@example.com", "role": "agent"}, bearer(ownerTok)).
		expect(t, 503, codeUnavailable)
}

func TestCreateAgentWithPasswordRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, ownerTok := e.seedOrg("Acme")
	r := e.do("POST", "/rest/v1/agents", newAgentBody("bob@example.com", storage.RoleAgent), bearer(ownerTok)).
		expect(t, 403, httpx.CodeForbidden)
	if !strings.Contains(string(r.body), "invitations") {
		t.Fatalf("message does not point to invitations: %s", r.body)
	}
	e.do("POST", "/rest/v1/auth/login", loginBody("bob@example.com", testPassword, "")).expect(t, 401, httpx.CodeInvalidCredentials)
}
