package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// API key error codes.
const (
	codeInvalidAPIKey     = "invalid_api_key"
	codeInsufficientScope = "insufficient_scope"
	codePublishableKey    = "publishable_key"
	// reasonAPIKey labels a refused secret key in helpr_auth_failures_total.
	reasonAPIKey = "invalid_api_key"
)

// errInvalidAPIKey is the one answer to every refused secret key: unknown,
// revoked, expired, bad checksum, wrong mode, owner gone. One message, so
// the answer is no oracle for which check failed.
var errInvalidAPIKey = httpx.NewError(http.StatusUnauthorized, codeInvalidAPIKey, "invalid API key")

// errPublishableKey refuses a publishable key used as a credential.
var errPublishableKey = httpx.NewError(http.StatusForbidden, codePublishableKey,
	"a publishable key can only start visitor sessions and read widget config; use a secret key")

// keyMode is the mode of the keys this server issues and accepts:
// Config.KeyMode, "live" when unset.
func (a *API) keyMode() string {
	if a.cfg.KeyMode == security.KeyModeTest {
		return security.KeyModeTest
	}
	return security.KeyModeLive
}

// checkSecretKey runs the checks of a secret key, in order: format and
// checksum (no store access), the keyed-hash lookup under every live
// blind-index version (one indexed read), a constant-time comparison of
// the hash, not revoked and not expired at now, the server's mode, and the
// owner active. Any refusal is errInvalidAPIKey; a store failure is 503.
// Nothing is cached: a revocation on any node is seen by the next request.
func (a *API) checkSecretKey(ctx context.Context, secret string) (storage.APIKey, storage.Agent, error) {
	info, ok := security.ParseKey(secret)
	if !ok || info.Kind != security.KeyKindSecret {
		a.authFailed(reasonAPIKey)
		return storage.APIKey{}, storage.Agent{}, errInvalidAPIKey
	}
	k, err := a.cfg.Store.GetAPIKeyByHash(ctx, a.cfg.Store.KeyedHashes(security.KeyPurposeAPIKey, secret))
	if errors.Is(err, storage.ErrNotFound) {
		a.authFailed(reasonAPIKey)
		return storage.APIKey{}, storage.Agent{}, errInvalidAPIKey
	}
	if err != nil {
		return storage.APIKey{}, storage.Agent{}, a.unavailable("look up api key", err)
	}
	mode := a.keyMode()
	if !a.cfg.Store.KeyedHashEqual(security.KeyPurposeAPIKey, secret, k.SecretHash) ||
		!k.Usable(a.now()) || info.Mode != mode || k.Mode != mode {
		a.authFailed(reasonAPIKey)
		return storage.APIKey{}, storage.Agent{}, errInvalidAPIKey
	}
	owner, err := a.cfg.Store.GetAgent(ctx, k.OrgID, k.OwnerID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && (owner.Deleted() || owner.Deactivated()) {
		a.authFailed(reasonAPIKey)
		return storage.APIKey{}, storage.Agent{}, errInvalidAPIKey
	}
	if err != nil {
		return storage.APIKey{}, storage.Agent{}, a.unavailable("load owner of api key", err)
	}
	return k, owner, nil
}

// verifyKeyPair checks a key id and its secret (POST /auth/token): the
// same checks as bearer authentication (checkSecretKey), plus the id,
// compared in constant time. Every refusal is the *httpx.Error 401
// invalid_api_key; a store failure is 503 unavailable.
func (a *API) verifyKeyPair(ctx context.Context, keyID, secret string) (storage.APIKey, storage.Agent, error) {
	k, owner, err := a.checkSecretKey(ctx, secret)
	if err != nil {
		return storage.APIKey{}, storage.Agent{}, err
	}
	if subtle.ConstantTimeCompare([]byte(k.ID), []byte(keyID)) != 1 {
		a.authFailed(reasonAPIKey)
		return storage.APIKey{}, storage.Agent{}, errInvalidAPIKey
	}
	return k, owner, nil
}

// keyCaller is the caller a secret key authenticates: its owner (an
// agent, with the owner's current role), with Key set.
func keyCaller(k storage.APIKey, owner storage.Agent) *caller {
	return &caller{Principal: security.Principal{OrgID: k.OrgID, Kind: storage.SubjectAgent, SubjectID: owner.ID,
		ExpiresAt: k.ExpiresAt}, Agent: owner, Key: &k}
}
