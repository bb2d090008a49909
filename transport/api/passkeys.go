package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// passkeyStore is what the passkey endpoints use (passkeys*.go): the
// agent's passkeys and the ceremony state (one-time tokens of purpose
// passkey_challenge).
type passkeyStore interface {
	CreatePasskey(ctx context.Context, p storage.Passkey) error
	GetPasskeyByCredential(ctx context.Context, credentialID []byte) (storage.Passkey, error)
	ListPasskeys(ctx context.Context, orgID, agentID string) ([]storage.Passkey, error)
	RenamePasskey(ctx context.Context, orgID, agentID, id, name string) (storage.Passkey, error)
	DeletePasskey(ctx context.Context, orgID, agentID, id string) error
	RecordPasskeyUse(ctx context.Context, u storage.PasskeyUse) error
	PutOneTime(ctx context.Context, t storage.OneTime) error
	GetOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string) (storage.OneTime, error)
	ConsumeOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error)
}

// maxPasskeyNameLen caps a passkey's name (runes).
const maxPasskeyNameLen = 64

// defaultPasskeyName names a passkey registered without a name.
const defaultPasskeyName = "Passkey"

var errPasskeyNotFound = httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "no such passkey")

// passkeyView is a passkey as its owner sees it: nothing about the key.
type passkeyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"` // null until first used
}

func viewPasskey(p storage.Passkey) passkeyView {
	v := passkeyView{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt}
	if !p.LastUsedAt.IsZero() {
		v.LastUsedAt = &p.LastUsedAt
	}
	return v
}

type passkeyList struct {
	Passkeys []passkeyView `json:"passkeys"`
}

// handleListPasskeys answers the caller's own passkeys, oldest first.
func (a *API) handleListPasskeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	list, err := a.cfg.Store.ListPasskeys(r.Context(), c.Agent.OrgID, c.Agent.ID)
	if err != nil {
		return fmt.Errorf("list passkeys: %w", err)
	}
	out := passkeyList{Passkeys: make([]passkeyView, 0, len(list))}
	for _, p := range list {
		out.Passkeys = append(out.Passkeys, viewPasskey(p))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

type renamePasskeyRequest struct {
	Name string `json:"name"`
}

// handleRenamePasskey renames one of the caller's own passkeys; another
// agent's (of any organisation) is 404.
func (a *API) handleRenamePasskey(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if !validID(id) {
		return errPasskeyNotFound
	}
	var req renamePasskeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	name, e := requiredText("name", req.Name, maxPasskeyNameLen)
	if e != nil {
		return e
	}
	p, err := a.cfg.Store.RenamePasskey(r.Context(), c.Agent.OrgID, c.Agent.ID, id, name)
	if errors.Is(err, storage.ErrNotFound) {
		return errPasskeyNotFound
	}
	if err != nil {
		return fmt.Errorf("rename passkey: %w", err)
	}
	a.auditPasskey(r, c.Agent, "auth.passkey_renamed", p.ID, storage.AuditSuccess, "")
	httpx.WriteJSON(w, http.StatusOK, viewPasskey(p))
	return nil
}

// handleDeletePasskey removes one of the caller's own passkeys; another
// agent's (of any organisation) is 404.
func (a *API) handleDeletePasskey(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if !validID(id) {
		return errPasskeyNotFound
	}
	err := a.cfg.Store.DeletePasskey(r.Context(), c.Agent.OrgID, c.Agent.ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return errPasskeyNotFound
	}
	if err != nil {
		return fmt.Errorf("delete passkey: %w", err)
	}
	a.auditPasskey(r, c.Agent, "auth.passkey_deleted", id, storage.AuditSuccess, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// auditPasskey records a passkey event of agent (the actor) on target.
func (a *API) auditPasskey(r *http.Request, agent storage.Agent, action, target string, outcome, detail string) {
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: action, TargetID: target, Detail: detail, Outcome: outcome})
}

// passkeysReady returns the relying party, or the answer when passkeys
// are unavailable on this hub (no domain to be a relying party for).
func (a *API) passkeysReady() (*webauthn.WebAuthn, error) {
	if a.rp.wa == nil {
		return nil, httpx.NewError(http.StatusServiceUnavailable, codeUnavailable,
			"passkeys are unavailable on this hub: "+a.rp.why)
	}
	return a.rp.wa, nil
}

// passkeyUser is an agent as the WebAuthn library sees them: the user
// handle is the agent id, the credentials their passkeys.
type passkeyUser struct {
	agent storage.Agent
	keys  []storage.Passkey
}

var _ webauthn.User = passkeyUser{}

// WebAuthnID is the user handle: the agent id's bytes.
func (u passkeyUser) WebAuthnID() []byte { return []byte(u.agent.ID) }

// WebAuthnName is the account name the authenticator shows: the email.
func (u passkeyUser) WebAuthnName() string { return u.agent.Email }

// WebAuthnDisplayName is the agent's name (the email when there is none).
func (u passkeyUser) WebAuthnDisplayName() string {
	if u.agent.Name == "" {
		return u.agent.Email
	}
	return u.agent.Name
}

// WebAuthnCredentials are the agent's passkeys as library credentials.
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.keys))
	for _, p := range u.keys {
		out = append(out, credentialOf(p))
	}
	return out
}

// credentialOf is the library form of a stored passkey.
func credentialOf(p storage.Passkey) webauthn.Credential {
	c := webauthn.Credential{ID: p.CredentialID, PublicKey: p.PublicKey,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: p.UserVerified,
			BackupEligible: p.BackupEligible, BackupState: p.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount}}
	for _, t := range p.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}
