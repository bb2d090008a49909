package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

// InvitationTTL is how long an emailed team invitation works.
const InvitationTTL = 7 * 24 * time.Hour

// invitationData is what an invitation carries (storage.OneTime.Data,
// sealed by the SealedStore): the invitee's address, their role and who
// invited them.
type invitationData struct {
	Email     string       `json:"email"`
	Role      storage.Role `json:"role"`
	InvitedBy string       `json:"invited_by"`
}

type invitationView struct {
	ID        string       `json:"id"`
	Email     string       `json:"email"`
	Role      storage.Role `json:"role"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
}

func viewInvitation(t storage.OneTime, d invitationData) invitationView {
	return invitationView{ID: t.ID, Email: d.Email, Role: d.Role, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
}

// parseInvitation decodes an invitation's Data.
func parseInvitation(t storage.OneTime) (invitationData, error) {
	var d invitationData
	if err := json.Unmarshal([]byte(t.Data), &d); err != nil || d.Email == "" || !d.Role.Valid() {
		return invitationData{}, fmt.Errorf("invitation %s: malformed data", t.ID)
	}
	return d, nil
}

type invitationRequest struct {
	Email string       `json:"email"`
	Role  storage.Role `json:"role"`
}

// handleCreateInvitation invites email to the caller's organisation with
// role (owner/admin; only owners invite owners): 201 with the invitation,
// and a mail holding the one-time link. The link's token is stored only as
// its hash, works once and for 7 days. Charged to the organisation's
// agent-creation limit. 409 conflict if the address already belongs to a
// member of this organisation (other tenants are never told about).
func (a *API) handleCreateInvitation(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req invitationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	email, e := normEmail("email", req.Email)
	if e != nil {
		return e
	}
	if !req.Role.Valid() {
		return invalid(`role must be "owner", "admin" or "agent"`)
	}
	if req.Role == storage.RoleOwner && c.Agent.Role != storage.RoleOwner {
		return errOwnerOnly
	}
	if !a.admit(w, r, a.agentNew, c.OrgID) {
		return nil
	}
	if err := a.requireNewMember(r, c.OrgID, email); err != nil {
		return err
	}
	if a.cfg.Mailer == nil {
		return errMailUnavailable
	}
	t, token, err := a.storeInvitation(r, c, invitationData{Email: email, Role: req.Role, InvitedBy: c.SubjectID})
	if err != nil {
		return err
	}
	if err := a.mailInvitation(r, c, t, email, token); err != nil {
		return err
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "invitation.created", TargetID: t.ID, Detail: "role " + string(req.Role), Outcome: storage.AuditSuccess})
	a.emit(r.Context(), c.OrgID, EventAgentInvited, InvitationPayload{ID: t.ID, Role: req.Role,
		InvitedBy: c.SubjectID, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC()})
	httpx.WriteJSON(w, http.StatusCreated, viewInvitation(t, invitationData{Email: email, Role: req.Role}))
	return nil
}

// errInviteInstead refuses POST /agents: managers no longer choose other
// people's passwords.
var errInviteInstead = httpx.NewError(http.StatusForbidden, httpx.CodeForbidden,
	"managers do not set other people's passwords: invite the agent with POST /rest/v1/invitations "+
		"(creating agents with a password needs helpr serve --load-test-agent-passwords, for load tests only)")

// errAlreadyMember answers an invitation (or its acceptance) for an
// address that is already a member of the organisation.
var errAlreadyMember = httpx.NewError(http.StatusConflict, httpx.CodeConflict,
	"email is already a member of this organisation")

// requireNewMember fails with errAlreadyMember if a live agent of orgID has
// email.
func (a *API) requireNewMember(r *http.Request, orgID, email string) error {
	agents, err := a.cfg.Store.ListAgentsByEmail(r.Context(), email)
	if err != nil {
		return fmt.Errorf("look up agents: %w", err)
	}
	for _, ag := range agents {
		if ag.OrgID == orgID && !ag.Deleted() {
			return errAlreadyMember
		}
	}
	return nil
}

// storeInvitation stores a new invitation by its token's hash. SubjectID
// is the inviter, so offboarding the inviter (RevokeOneTimeForSubject)
// revokes the invitations they sent.
func (a *API) storeInvitation(r *http.Request, c *caller, d invitationData) (storage.OneTime, string, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return storage.OneTime{}, "", err
	}
	token, id := security.NewOneTimeToken(security.InvitationPrefix)
	now := a.nowMs()
	t := storage.OneTime{ID: id, Purpose: storage.PurposeInvitation, OrgID: c.OrgID, SubjectID: c.SubjectID,
		Data: string(data), CreatedAt: now, ExpiresAt: now.Add(InvitationTTL)}
	if err := a.cfg.Store.PutOneTime(r.Context(), t); err != nil {
		return storage.OneTime{}, "", fmt.Errorf("store invitation: %w", err)
	}
	return t, token, nil
}

// mailInvitation mails the link; if the mail cannot be queued the
// invitation is revoked again and the answer is 503.
func (a *API) mailInvitation(r *http.Request, c *caller, t storage.OneTime, email, token string) error {
	link := a.cfg.PublicOrigin + "/console/#invite=" + token
	m := mail.Message{OrgID: c.OrgID, To: email, Kind: mail.KindInvitation,
		Subject: "You are invited to join " + a.orgName(r.Context(), c.OrgID) + " on helpr",
		Text: fmt.Sprintf("%s invited you to join %s on helpr.\n\n"+
			"Open this link within 7 days to choose your name and password (it works once):\n\n%s\n\n"+
			"If you did not expect this, ignore this mail.\n",
			c.Agent.Name, a.orgName(r.Context(), c.OrgID), link)}
	if err := a.sendMail(r, m); err != nil {
		_ = a.cfg.Store.RevokeOneTime(r.Context(), c.OrgID, storage.PurposeInvitation, t.ID, a.nowMs())
		return errMailUnavailable
	}
	return nil
}

// handleListInvitations lists the organisation's pending invitations
// (unused, unrevoked, unexpired), newest first (owner/admin).
func (a *API) handleListInvitations(w http.ResponseWriter, r *http.Request, c *caller) error {
	list, err := a.cfg.Store.ListOneTime(r.Context(), c.OrgID, storage.PurposeInvitation, a.nowMs())
	if err != nil {
		return fmt.Errorf("list invitations: %w", err)
	}
	out := make([]invitationView, 0, len(list))
	for _, t := range list {
		d, err := parseInvitation(t)
		if err != nil {
			a.log.Warn().Err(err).Msg("invitation skipped")
			continue
		}
		out = append(out, viewInvitation(t, d))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"invitations": out})
	return nil
}

// handleRevokeInvitation revokes a pending invitation of the caller's
// organisation: 204; 404 if it has no such pending invitation.
func (a *API) handleRevokeInvitation(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if !validID(id) {
		return errNotFound
	}
	err := a.cfg.Store.RevokeOneTime(r.Context(), c.OrgID, storage.PurposeInvitation, id, a.nowMs())
	if errors.Is(err, storage.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("revoke invitation: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "invitation.revoked", TargetID: id, Outcome: storage.AuditSuccess})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
