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

var errTooManyPasskeys = httpx.NewError(http.StatusConflict, httpx.CodeConflict,
	fmt.Sprintf("an agent may register at most %d passkeys; delete one first", storage.MaxPasskeysPerAgent))

// handlePasskeyRegisterBegin starts registering a passkey for the caller:
// a discoverable credential (resident key required), user verification
// preferred, the caller's existing passkeys excluded. The answer is the
// library's CredentialCreation ({"publicKey": {...}}) for
// navigator.credentials.create.
func (a *API) handlePasskeyRegisterBegin(w http.ResponseWriter, r *http.Request, c *caller) error {
	wa, err := a.passkeysReady()
	if err != nil {
		return err
	}
	user, err := a.passkeyUserOf(r, c.Agent)
	if err != nil {
		return err
	}
	if len(user.keys) >= storage.MaxPasskeysPerAgent {
		return errTooManyPasskeys
	}
	challenge, id := newChallenge()
	exclude := webauthn.Credentials(user.WebAuthnCredentials()).CredentialDescriptors()
	creation, session, err := wa.BeginRegistration(user, withCreationChallenge(challenge),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return fmt.Errorf("begin passkey registration: %w", err)
	}
	if err := a.putCeremony(r.Context(), id, ceremonyRegister, &c.Agent, session); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, creation)
	return nil
}

// withCreationChallenge makes challenge the registration's challenge.
func withCreationChallenge(challenge []byte) webauthn.RegistrationOption {
	return func(o *protocol.PublicKeyCredentialCreationOptions) error {
		o.Challenge = challenge
		return nil
	}
}

// passkeyUserOf loads agent's passkeys into a library user.
func (a *API) passkeyUserOf(r *http.Request, agent storage.Agent) (passkeyUser, error) {
	keys, err := a.cfg.Store.ListPasskeys(r.Context(), agent.OrgID, agent.ID)
	if err != nil {
		return passkeyUser{}, fmt.Errorf("list passkeys: %w", err)
	}
	return passkeyUser{agent: agent, keys: keys}, nil
}

type registerPasskeyRequest struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// handlePasskeyRegisterFinish verifies the browser's new credential
// against the caller's own register ceremony (found by the challenge it
// signed, consumed once) and stores it: 201 with the passkey.
func (a *API) handlePasskeyRegisterFinish(w http.ResponseWriter, r *http.Request, c *caller) error {
	wa, err := a.passkeysReady()
	if err != nil {
		return err
	}
	var req registerPasskeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	name, e := passkeyName(req.Name)
	if e != nil {
		return e
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Credential)
	if err != nil {
		return invalid("credential is not a WebAuthn registration response")
	}
	session, err := a.takeCeremony(r.Context(), parsed.Response.CollectedClientData.Challenge, ceremonyRegister, &c.Agent)
	if err != nil {
		return err
	}
	user, err := a.passkeyUserOf(r, c.Agent)
	if err != nil {
		return err
	}
	if len(user.keys) >= storage.MaxPasskeysPerAgent {
		return errTooManyPasskeys
	}
	cred, err := wa.CreateCredential(user, session, parsed)
	if err != nil {
		a.auditPasskey(r, c.Agent, "auth.passkey_failed", "", storage.AuditFailure, "register_verification_failed")
		return invalid("the passkey could not be verified")
	}
	return a.storePasskey(w, r, c.Agent, name, cred)
}

// passkeyName validates a passkey's name; "" means defaultPasskeyName.
func passkeyName(s string) (string, *httpx.Error) {
	name, e := optionalText("name", s, maxPasskeyNameLen)
	if e == nil && name == "" {
		name = defaultPasskeyName
	}
	return name, e
}

// storePasskey stores a verified credential as agent's passkey name and
// answers 201. A credential registered before (by anyone) is 409.
func (a *API) storePasskey(w http.ResponseWriter, r *http.Request, agent storage.Agent, name string, cred *webauthn.Credential) error {
	if len(cred.ID) > storage.MaxCredentialIDLen {
		return invalid("the credential id is longer than WebAuthn allows")
	}
	p := storage.Passkey{ID: storage.NewID("psk"), OrgID: agent.OrgID, AgentID: agent.ID,
		CredentialID: cred.ID, Name: name, PublicKey: cred.PublicKey, SignCount: cred.Authenticator.SignCount,
		AAGUID: cred.Authenticator.AAGUID, UserVerified: cred.Flags.UserVerified,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, CreatedAt: a.nowMs()}
	for _, t := range cred.Transport {
		p.Transports = append(p.Transports, string(t))
	}
	err := a.cfg.Store.CreatePasskey(r.Context(), p)
	if errors.Is(err, storage.ErrConflict) {
		return httpx.NewError(http.StatusConflict, httpx.CodeConflict, "this passkey is already registered")
	}
	if err != nil {
		return fmt.Errorf("store passkey: %w", err)
	}
	a.auditPasskey(r, agent, "auth.passkey_added", p.ID, storage.AuditSuccess, "")
	httpx.WriteJSON(w, http.StatusCreated, viewPasskey(p))
	return nil
}
