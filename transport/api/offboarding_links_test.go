package api

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Offboarding revokes, through the real flows: a sign-in link and a reset
// code mailed before, and an invitation the agent sent; afterwards asking
// for a link or a code mails nothing (the answer stays 202).
func TestDeactivationRevokesLinksCodesAndInvitations(t *testing.T) {
	m := &captureMailer{}
	e := newOffboardEnv(t)
	e.api.cfg.Mailer = m
	owner, ownerTok := e.seedOrg("Acme")
	admin, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	link := e.magicToken(m, admin.Email)
	code := e.resetCode(m, admin.Email)
	inv, invTok := e.invite(m, adminTok, "newcomer@example.com", storage.RoleAgent)

	e.do("POST", "/rest/v1/agents/"+admin.ID+"/deactivate", nil, bearer(ownerTok)).expect(t, 200, "")

	e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(link)).expect(t, 401, httpx.CodeInvalidToken)
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(admin.Email, code, newPassword)).expect(t, 401, httpx.CodeInvalidCode)
	e.do("POST", "/rest/v1/invitations/accept", acceptBody(invTok)).expect(t, 401, httpx.CodeInvalidToken)
	var pending struct {
		Invitations []invitationOut `json:"invitations"`
	}
	e.do("GET", "/rest/v1/invitations", nil, bearer(ownerTok)).expect(t, 200, "").json(t, &pending)
	for _, p := range pending.Invitations {
		if p.ID == inv.ID {
			t.Error("the deactivated admin's invitation is still pending")
		}
	}

	before := len(m.messages(""))
	e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": admin.Email}).expect(t, 202, "")
	e.do("POST", "/rest/v1/auth/password/forgot", map[string]any{"email": admin.Email}).expect(t, 202, "")
	e.settle()
	if sent := m.messages(""); len(sent) != before {
		t.Errorf("mailed a deactivated agent: %+v", sent[before:])
	}
}
