package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Chat token error codes of POST /visitor/sessions.
const (
	codeTokenExpired = "token_expired"
	codeInvalidToken = "invalid_token"
)

var (
	errChatTokenExpired = httpx.NewError(http.StatusUnauthorized, codeTokenExpired,
		"the chat token has expired; ask your backend for a new one")
	errChatTokenInvalid = httpx.NewError(http.StatusUnauthorized, codeInvalidToken, "invalid chat token")
)

// chatIdentity is a chat token that passed every check, with its user.
type chatIdentity struct {
	token security.ChatToken
	user  storage.CustomerUser
}

// checkChatToken performs the seed's six checks on raw for a visitor of
// widget wg, in this order:
//  1. signature: EdDSA only, kid a live key version, iss, aud, typ;
//  2. expiry: exp present and not reached (no leeway);
//  3. organisation isolation: the token's org is the widget's (and the
//     customer user is looked up in that organisation only);
//  4. the customer user exists and is not erased;
//  5. its token version equals the token's (not invalidated since);
//  6. the issuing key is not revoked and its owner agent is active (dev
//     tokens: only on a --dev server).
//
// Any failure is a *security.ChatTokenError (401 for the caller), counted
// in helpr_chat_token_failures_total by reason; a store failure is
// errUnavailable (503), counted nowhere.
func (a *API) checkChatToken(ctx context.Context, raw string, wg storage.Widget) (chatIdentity, error) {
	id, err := a.chatTokenChecks(ctx, raw, wg)
	if reason := security.ChatTokenReason(err); reason != "" {
		a.chatTokenFailed(reason)
	}
	return id, err
}

func (a *API) chatTokenChecks(ctx context.Context, raw string, wg storage.Widget) (chatIdentity, error) {
	if a.cfg.ChatTokens == nil {
		return chatIdentity{}, security.ChatTokenRefused(security.ChatReasonSignature)
	}
	tok, err := a.cfg.ChatTokens.Verify(raw) // checks 1 and 2
	if err != nil {
		return chatIdentity{}, err
	}
	if tok.OrgID != wg.OrgID { // check 3
		return chatIdentity{}, security.ChatTokenRefused(security.ChatReasonOrganization)
	}
	u, err := a.cfg.Store.GetCustomerUser(ctx, wg.OrgID, tok.CustomerUserID) // check 4
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && u.Deleted():
		return chatIdentity{}, security.ChatTokenRefused(security.ChatReasonCustomerUser)
	case err != nil:
		return chatIdentity{}, a.unavailable("load customer user", err)
	case u.OrgID != tok.OrgID:
		return chatIdentity{}, security.ChatTokenRefused(security.ChatReasonOrganization)
	case u.TokenVersion != tok.TokenVersion: // check 5
		return chatIdentity{}, security.ChatTokenRefused(security.ChatReasonTokenVersion)
	}
	if err := a.checkIssuer(ctx, tok); err != nil { // check 6
		return chatIdentity{}, err
	}
	return chatIdentity{token: tok, user: u}, nil
}

// checkIssuer is check 6: the key named by the token is not revoked and
// its owner is neither deactivated nor erased. An expired key's tokens
// stay valid until their own exp (a rotation's overlap ending must not
// sign every user out); revoking the key, or offboarding its owner, ends
// them at once.
func (a *API) checkIssuer(ctx context.Context, tok security.ChatToken) error {
	refused := security.ChatTokenRefused(security.ChatReasonAgent)
	if tok.KeyID == security.DevKeyID {
		if a.cfg.Dev {
			return nil
		}
		return refused
	}
	k, err := a.cfg.Store.GetAPIKey(ctx, tok.OrgID, tok.KeyID)
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && !k.RevokedAt.IsZero():
		return refused
	case err != nil:
		return a.unavailable("load api key of chat token", err)
	}
	owner, err := a.cfg.Store.GetAgent(ctx, tok.OrgID, k.OwnerID)
	switch {
	case errors.Is(err, storage.ErrNotFound) || err == nil && (owner.Deleted() || owner.Deactivated()):
		return refused
	case err != nil:
		return a.unavailable("load owner of chat token key", err)
	}
	return nil
}

// chatTokenFailed counts (and logs at debug level, never the token) a
// refused chat token by reason.
func (a *API) chatTokenFailed(reason string) {
	a.log.Debug().Str("reason", reason).Msg("chat token refused")
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.ChatTokenFailures.With(reason).Inc()
	}
}

// chatTokenError is the public form of a refused chat token: 401
// token_expired or invalid_token (one message for every other reason: no
// oracle for which check failed). Other errors pass through.
func chatTokenError(err error) error {
	switch {
	case errors.Is(err, security.ErrChatTokenExpired):
		return errChatTokenExpired
	case errors.Is(err, security.ErrChatTokenInvalid):
		return errChatTokenInvalid
	default:
		return err
	}
}
