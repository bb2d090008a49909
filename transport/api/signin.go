package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
)

// Sign-in methods: how the first factor was proved (the audit detail of
// auth.login says which).
const (
	methodPassword  = "password"
	methodMagicLink = "magic_link"
	methodPasskey   = "passkey"
)

// completeSignIn finishes a successful first factor of agent: when the
// account needs a second factor the answer is the second-step challenge
// (owned by the two-step login), otherwise the session starts
// (startSignedIn). newHash, when not "", upgrades the stored password hash.
//
// An agent with TOTP enabled gets the mfa_required answer with a ticket
// instead (startSecondStep: no tokens, no cookies); POST /auth/mfa/verify
// then starts the session. A store failure while checking fails the
// sign-in: a second factor is never skipped because it could not be read.
func (a *API) completeSignIn(w http.ResponseWriter, r *http.Request, agent storage.Agent, newHash string, remember bool, method string) error {
	st, err := a.cfg.Store.GetMFA(r.Context(), agent.OrgID, agent.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("load second factor: %w", err)
	}
	if err == nil && st.Enabled() {
		return a.startSecondStep(w, r, agent, newHash, remember, method)
	}
	return a.startSignedIn(w, r, agent, newHash, remember, method)
}

// startSignedIn starts agent's session once every factor is proved (never
// for an erased or deactivated agent: invalid_credentials), audits
// auth.login (detail: the method), tells noteSignIn, and answers with the
// token pair.
func (a *API) startSignedIn(w http.ResponseWriter, r *http.Request, agent storage.Agent, newHash string, remember bool, method string) error {
	if agent.Deleted() || agent.Deactivated() {
		// Every way in ends here: an offboarded account gets the generic
		// answer whatever the method.
		a.authFailed(reasonInvalidCredentials)
		return errInvalidCredentials
	}
	issued, err := a.startAgentSession(r, agent, newHash, remember)
	if err != nil {
		return err
	}
	if err := a.refuseIfOffboarded(r, agent, issued.Session.ID); err != nil {
		return err
	}
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: "auth.login", TargetID: issued.Session.ID, Detail: "method=" + method, Outcome: storage.AuditSuccess})
	a.noteSignIn(r, agent, issued.Session)
	a.writeTokens(w, issued)
	return nil
}
