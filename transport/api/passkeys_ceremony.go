package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Ceremonies a stored challenge is bound to.
const (
	ceremonyRegister = "register"
	ceremonyLogin    = "login"
)

// errCeremony is the one answer for a challenge that is unknown, expired,
// used, or of another ceremony or user.
var errCeremony = httpx.NewError(http.StatusUnauthorized, httpx.CodeInvalidToken,
	"the passkey challenge is unknown, expired or already used; start again")

// ceremonyData is what a stored challenge keeps (OneTime.Data, sealed by
// the store): the ceremony it was issued for and the library's session.
type ceremonyData struct {
	Ceremony string               `json:"ceremony"`
	Session  webauthn.SessionData `json:"session"`
}

// newChallenge returns a fresh ceremony challenge and the id its state is
// stored under. The challenge's bytes are a one-time token (hlc_…, 256
// bits): the browser signs it and echoes it base64url-encoded in
// clientDataJSON, so the finish step finds the state from what it is sent,
// and only its hash is stored.
func newChallenge() (challenge []byte, id string) {
	token, id := security.NewOneTimeToken(security.CeremonyPrefix)
	return []byte(token), id
}

// putCeremony stores the state of a begun ceremony for 5 minutes, bound to
// the ceremony and (register) to the agent.
func (a *API) putCeremony(ctx context.Context, id, ceremony string, agent *storage.Agent, s *webauthn.SessionData) error {
	data, err := json.Marshal(ceremonyData{Ceremony: ceremony, Session: *s})
	if err != nil {
		return fmt.Errorf("encode passkey ceremony: %w", err)
	}
	now := a.nowMs()
	t := storage.OneTime{ID: id, Purpose: storage.PurposePasskeyChallenge, Data: string(data),
		CreatedAt: now, ExpiresAt: now.Add(passkeyChallengeTTL)}
	if agent != nil {
		t.OrgID, t.SubjectID = agent.OrgID, agent.ID
	}
	if err := a.cfg.Store.PutOneTime(ctx, t); err != nil {
		return fmt.Errorf("store passkey ceremony: %w", err)
	}
	return nil
}

// takeCeremony finds the state of the ceremony whose challenge the client
// signed (challengeB64, from clientDataJSON), checks that it is of
// ceremony and (register) of agent, and consumes it: of concurrent
// finishes one gets it. Anything else is errCeremony, and a challenge
// presented by the wrong agent or for the wrong ceremony is not consumed
// (it stays its owner's).
func (a *API) takeCeremony(ctx context.Context, challengeB64, ceremony string, agent *storage.Agent) (webauthn.SessionData, error) {
	id, ok := ceremonyID(challengeB64)
	if !ok {
		return webauthn.SessionData{}, errCeremony
	}
	t, err := a.cfg.Store.GetOneTime(ctx, storage.PurposePasskeyChallenge, id)
	if errors.Is(err, storage.ErrNotFound) {
		return webauthn.SessionData{}, errCeremony
	}
	if err != nil {
		return webauthn.SessionData{}, fmt.Errorf("load passkey ceremony: %w", err)
	}
	var d ceremonyData
	if err := json.Unmarshal([]byte(t.Data), &d); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("decode passkey ceremony: %w", err)
	}
	if !t.ValidAt(a.now()) || d.Ceremony != ceremony || !ceremonyOf(t, agent) {
		return webauthn.SessionData{}, errCeremony
	}
	_, err = a.cfg.Store.ConsumeOneTime(ctx, storage.PurposePasskeyChallenge, id, a.now())
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		return webauthn.SessionData{}, errCeremony
	}
	if err != nil {
		return webauthn.SessionData{}, fmt.Errorf("consume passkey ceremony: %w", err)
	}
	return d.Session, nil
}

// ceremonyOf reports whether stored ceremony t belongs to agent: a login
// ceremony to nobody (agent nil), a registration to that agent.
func ceremonyOf(t storage.OneTime, agent *storage.Agent) bool {
	if agent == nil {
		return t.OrgID == "" && t.SubjectID == ""
	}
	return t.OrgID == agent.OrgID && t.SubjectID == agent.ID
}

// ceremonyID returns the storage id of the challenge the client echoed
// (base64url of the hlc_… token); ok is false for anything else.
func ceremonyID(challengeB64 string) (string, bool) {
	if len(challengeB64) > 128 {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(challengeB64)
	if err != nil {
		return "", false
	}
	return security.OneTimeID(string(raw), security.CeremonyPrefix)
}
