package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// methodInvitation is the auth.login method of the sign-in that accepting
// an invitation starts.
const methodInvitation = "invitation"

type acceptInvitationRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// handleAcceptInvitation creates the invited agent, with the address and
// role of the invitation (never of the body), and signs them in: 201 with
// the token pair (and cookies). Rate limited per client IP like
// registration. The name and password are validated before the token is
// looked at, so a typo does not burn the invitation; the token is consumed
// by one conditional write (of concurrent accepts one wins). A malformed,
// unknown, expired, revoked or used token is 401 invalid_token; an address
// that became a member meanwhile is 409 conflict.
func (a *API) handleAcceptInvitation(w http.ResponseWriter, r *http.Request) error {
	if !a.admit(w, r, a.register, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	var req acceptInvitationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, ok := security.OneTimeID(req.Token, security.InvitationPrefix)
	if _, e := requiredText("name", req.Name, maxNameLen); e != nil {
		return e
	}
	if err := security.ValidatePassword(req.Password); err != nil {
		return passwordError(err)
	}
	if !ok {
		return a.invitationFailed(r, storage.OneTime{}, "malformed")
	}
	t, d, err := a.pendingInvitation(r, id)
	if err != nil {
		return err
	}
	if err := a.requireNewMember(r, t.OrgID, d.Email); err != nil {
		return err
	}
	agent, err := a.newAgent(r, req.Name, d.Email, req.Password, d.Role)
	if err != nil {
		return err
	}
	agent.OrgID = t.OrgID
	if err := a.redeemInvitation(r, t, agent); err != nil {
		return err
	}
	a.audit(r, storage.AuditEvent{OrgID: t.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: "invitation.accepted", TargetID: t.ID, Detail: "role " + string(agent.Role), Outcome: storage.AuditSuccess})
	issued, err := a.startAgentSession(r, agent, "", false)
	if err != nil {
		return err
	}
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: "auth.login", TargetID: issued.Session.ID, Detail: "method=" + methodInvitation, Outcome: storage.AuditSuccess})
	a.noteSignIn(r, agent, issued.Session)
	a.writeTokensStatus(w, issued, http.StatusCreated)
	return nil
}

// pendingInvitation loads the invitation with id if it is still valid.
func (a *API) pendingInvitation(r *http.Request, id string) (storage.OneTime, invitationData, error) {
	t, err := a.cfg.Store.GetOneTime(r.Context(), storage.PurposeInvitation, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.OneTime{}, invitationData{}, a.invitationFailed(r, storage.OneTime{}, "unknown")
	}
	if err != nil {
		return storage.OneTime{}, invitationData{}, fmt.Errorf("load invitation: %w", err)
	}
	if !t.ValidAt(a.nowMs()) {
		return storage.OneTime{}, invitationData{}, a.invitationFailed(r, t, "expired, revoked or used")
	}
	d, err := parseInvitation(t)
	if err != nil {
		return storage.OneTime{}, invitationData{}, err
	}
	return t, d, nil
}

// redeemInvitation consumes the invitation, then creates agent. If the
// agent cannot be created (the address became a member between the check
// and the write) the invitation stays used: it was single use.
func (a *API) redeemInvitation(r *http.Request, t storage.OneTime, agent storage.Agent) error {
	_, err := a.cfg.Store.ConsumeOneTime(r.Context(), storage.PurposeInvitation, t.ID, a.nowMs())
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		return a.invitationFailed(r, t, "expired, revoked or used")
	}
	if err != nil {
		return fmt.Errorf("consume invitation: %w", err)
	}
	if err := a.cfg.Store.CreateAgent(r.Context(), agent); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return errAlreadyMember
		}
		return fmt.Errorf("create agent: %w", err)
	}
	return nil
}

// invitationFailed audits a refused acceptance (invitation.accepted,
// outcome failure, under the invitation's organisation when known) and
// returns errLinkInvalid.
func (a *API) invitationFailed(r *http.Request, t storage.OneTime, why string) error {
	a.audit(r, storage.AuditEvent{OrgID: t.OrgID, Action: "invitation.accepted", TargetID: t.ID, Detail: why,
		Outcome: storage.AuditFailure})
	a.authFailed(reasonLinkInvalid)
	return errLinkInvalid
}

// writeTokensStatus is writeTokens with another status (201 when the
// sign-in also created the account).
func (a *API) writeTokensStatus(w http.ResponseWriter, is security.Issued, status int) {
	now := a.now()
	accessTTL := is.AccessExpiresAt.Sub(now)
	secure := a.cfg.SecureCookies
	httpx.SetTokenCookie(w, httpx.AccessCookie, is.AccessToken, accessTTL, secure)
	httpx.SetTokenCookie(w, httpx.RefreshCookie, is.RefreshToken, is.RefreshExpiresAt.Sub(now), secure)
	httpx.WriteJSON(w, status, tokenResponse{AccessToken: is.AccessToken,
		RefreshToken: is.RefreshToken, TokenType: "Bearer", ExpiresIn: seconds(accessTTL)})
}
