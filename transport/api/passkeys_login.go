package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// errPasskeyRefused is the one answer for an assertion that does not sign
// anyone in: unknown credential, bad signature, wrong origin or RP id,
// counter regression, an account that cannot sign in.
var errPasskeyRefused = httpx.NewError(http.StatusUnauthorized, httpx.CodeInvalidCredentials,
	"the passkey was not accepted")

// Details of auth.passkey_failed (stable; no secrets).
const (
	passkeyFailVerification = "verification_failed"
	passkeyFailSignCount    = "sign_count_regression"
	passkeyFailAccount      = "account_unavailable"
)

type passkeyLoginBeginRequest struct {
	// Email is accepted and ignored: the login is always discoverable (no
	// allowCredentials), so the answer says nothing about any account.
	Email string `json:"email"`
}

// handlePasskeyLoginBegin starts a passwordless, discoverable sign-in:
// empty allowCredentials, user verification preferred. Rate limited per
// client IP with the login window.
func (a *API) handlePasskeyLoginBegin(w http.ResponseWriter, r *http.Request) error {
	if !a.admit(w, r, a.loginIP, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	wa, err := a.passkeysReady()
	if err != nil {
		return err
	}
	var req passkeyLoginBeginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	challenge, id := newChallenge()
	assertion, session, err := wa.BeginDiscoverableLogin(webauthn.WithChallenge(challenge),
		webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return fmt.Errorf("begin passkey login: %w", err)
	}
	if err := a.putCeremony(r.Context(), id, ceremonyLogin, nil, session); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, assertion)
	return nil
}

type passkeyLoginFinishRequest struct {
	Credential json.RawMessage `json:"credential"`
	Remember   bool            `json:"remember"`
}

// handlePasskeyLoginFinish verifies an assertion against a login ceremony
// (found by the challenge it signed, consumed once), finds the agent by
// the credential and its user handle, refuses a sign count that does not
// advance (audited), and signs the agent in: a passkey proves possession
// and (user verification) the user, so there is no second step.
func (a *API) handlePasskeyLoginFinish(w http.ResponseWriter, r *http.Request) error {
	if !a.admit(w, r, a.loginIP, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	wa, err := a.passkeysReady()
	if err != nil {
		return err
	}
	var req passkeyLoginFinishRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(req.Credential)
	if err != nil {
		return invalid("credential is not a WebAuthn sign-in response")
	}
	session, err := a.takeCeremony(r.Context(), parsed.Response.CollectedClientData.Challenge, ceremonyLogin, nil)
	if err != nil {
		return err
	}
	found := &passkeyLookup{a: a, r: r}
	user, cred, err := wa.ValidatePasskeyLogin(found.user, session, parsed)
	if err != nil {
		return a.passkeyLoginFailed(r, found, err)
	}
	agent := user.(passkeyUser).agent
	if err := a.recordPasskeyUse(r, found.key, cred); err != nil {
		return err
	}
	return a.startSignedIn(w, r, agent, "", req.Remember, methodPasskey)
}

// passkeyLookup is the library's discoverable-user handler: it finds the
// passkey by credential id and its agent, and remembers both (for the
// audit of a failure). A store failure is kept apart so that it is a
// 503/500, not a refusal.
type passkeyLookup struct {
	a        *API
	r        *http.Request
	key      storage.Passkey
	agent    storage.Agent
	storeErr error
	refused  string // why the account cannot sign in ("" when it can)
}

// errNoPasskey ends the library's lookup when the handler found nothing
// usable (the reason is in the passkeyLookup).
var errNoPasskey = errors.New("no usable passkey")

func (l *passkeyLookup) user(rawID, userHandle []byte) (webauthn.User, error) {
	ctx := l.r.Context()
	key, err := l.a.cfg.Store.GetPasskeyByCredential(ctx, rawID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errNoPasskey
	}
	if err != nil {
		l.storeErr = err
		return nil, errNoPasskey
	}
	l.key = key
	if string(userHandle) != key.AgentID {
		l.refused = passkeyFailVerification
		return nil, errNoPasskey
	}
	agent, err := l.a.cfg.Store.GetAgent(ctx, key.OrgID, key.AgentID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		l.refused = passkeyFailAccount
		return nil, errNoPasskey
	case err != nil:
		l.storeErr = err
		return nil, errNoPasskey
	}
	l.agent = agent
	if !passkeySignInAllowed(agent) {
		l.refused = passkeyFailAccount
		return nil, errNoPasskey
	}
	return passkeyUser{agent: agent, keys: []storage.Passkey{key}}, nil
}

// passkeySignInAllowed reports whether agent may sign in: not erased (nor,
// once agents can be deactivated, deactivated).
func passkeySignInAllowed(agent storage.Agent) bool { return !agent.Deleted() }

// passkeyLoginFailed answers a refused assertion (store failures aside):
// audited as auth.passkey_failed when the passkey named an organisation.
func (a *API) passkeyLoginFailed(r *http.Request, l *passkeyLookup, err error) error {
	if l.storeErr != nil {
		return fmt.Errorf("passkey sign-in lookup: %w", l.storeErr)
	}
	a.authFailed(reasonInvalidCredentials)
	if l.key.ID == "" {
		return errPasskeyRefused // an unknown credential names no organisation to audit in
	}
	detail := l.refused
	if detail == "" {
		detail = passkeyFailVerification
	}
	a.audit(r, storage.AuditEvent{OrgID: l.key.OrgID, ActorKind: storage.SubjectAgent, ActorID: l.key.AgentID,
		Action: "auth.passkey_failed", TargetID: l.key.ID, Detail: detail, Outcome: storage.AuditFailure})
	a.log.Debug().Err(err).Str("passkey_id", l.key.ID).Msg("passkey sign-in refused")
	return errPasskeyRefused
}

// recordPasskeyUse stores the verified use of key: the sign count must
// advance (the library flags a regression with CloneWarning; the
// conditional write catches a concurrent replay). A regression is refused
// and audited as auth.passkey_failed, detail sign_count_regression.
func (a *API) recordPasskeyUse(r *http.Request, key storage.Passkey, cred *webauthn.Credential) error {
	regressed := cred.Authenticator.CloneWarning
	if !regressed {
		err := a.cfg.Store.RecordPasskeyUse(r.Context(), storage.PasskeyUse{OrgID: key.OrgID, ID: key.ID,
			SignCount: cred.Authenticator.SignCount, BackupState: cred.Flags.BackupState, At: a.nowMs()})
		switch {
		case errors.Is(err, storage.ErrConflict):
			regressed = true
		case err != nil:
			return fmt.Errorf("record passkey use: %w", err)
		}
	}
	if regressed {
		a.authFailed(reasonInvalidCredentials)
		a.audit(r, storage.AuditEvent{OrgID: key.OrgID, ActorKind: storage.SubjectAgent, ActorID: key.AgentID,
			Action: "auth.passkey_failed", TargetID: key.ID, Detail: passkeyFailSignCount, Outcome: storage.AuditFailure})
		return errPasskeyRefused
	}
	return nil
}
