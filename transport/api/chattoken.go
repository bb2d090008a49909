package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Chat tokens for customers' users (the "Auth for Chat" seed): a
// customer's backend trades its secret key for a per-user JWT (POST
// /auth/token), hands it to the widget, and can invalidate every token of
// one user (POST /auth/invalidate-token). docs/chat-tokens.md.

// maxExternalIDLen bounds user.id, the customer's own user id (bytes).
const maxExternalIDLen = 200

// maxKeyField bounds keyId and keySecret before any check.
const maxKeyField = 128

// errNoChatTokens answers the token endpoints of a server without a
// ChatTokens issuer (never the case in helpr serve).
var errNoChatTokens = httpx.NewError(http.StatusServiceUnavailable, codeUnavailable, "chat tokens are not configured")

func (a *API) chatTokenRoutes(r *router) {
	r.handle("POST", "/auth/token", a.handleChatToken)
	r.handle("POST", "/auth/invalidate-token", a.handleInvalidateToken)
	if a.cfg.Dev {
		r.handle("POST", "/auth/dev-token", a.devResponse(a.handleDevToken))
	}
	r.handle("GET", "/customer-users", a.authed(a.agentOnly(a.handleListCustomerUsers)))
	r.handle("GET", "/customer-users/{id}", a.authed(a.agentOnly(a.handleGetCustomerUser)))
}

// chatUserInput is the user a token is issued for.
type chatUserInput struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type chatTokenRequest struct {
	KeyID     string        `json:"keyId"`
	KeySecret string        `json:"keySecret"`
	User      chatUserInput `json:"user"`
	ExpiresIn string        `json:"expiresIn"`
}

type chatTokenResponse struct {
	Token          string    `json:"token"`
	CustomerUserID string    `json:"customerUserId"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

// handleChatToken issues a chat token: the key pair is verified (constant
// time, the same checks as bearer keys), the organisation's customer user
// for user.id is found or created (name and email updated when given), and
// a token is signed for it.
func (a *API) handleChatToken(w http.ResponseWriter, r *http.Request) error {
	var req chatTokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if a.cfg.ChatTokens == nil {
		return errNoChatTokens
	}
	user, ttl, err := chatTokenInput(req.User, req.ExpiresIn)
	if err != nil {
		return err
	}
	if err := keyPairInput(req.KeyID, req.KeySecret); err != nil {
		return err
	}
	key, _, err := a.verifyKeyPair(r.Context(), req.KeyID, req.KeySecret)
	if err != nil {
		return err
	}
	if err := a.chargeAPIKey(w, r, key.ID, key.OwnerID, key.RPM); err != nil {
		return err
	}
	return a.issueChatToken(w, r, key.OrgID, key.ID, user, ttl)
}

// issueChatToken finds or creates the customer user and answers with a
// token for it.
func (a *API) issueChatToken(w http.ResponseWriter, r *http.Request, orgID, keyID string, in chatUserInput, ttl time.Duration) error {
	u, err := a.customerUserFor(r.Context(), orgID, in)
	if err != nil {
		return err
	}
	tok, ct, err := a.cfg.ChatTokens.Issue(security.ChatTokenParams{OrgID: orgID, CustomerUserID: u.ID,
		TokenVersion: u.TokenVersion, KeyID: keyID, TTL: ttl})
	if err != nil {
		return fmt.Errorf("issue chat token: %w", err)
	}
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.ChatTokensIssued.Inc()
	}
	httpx.WriteJSON(w, http.StatusOK, chatTokenResponse{Token: tok, CustomerUserID: u.ID, ExpiresAt: ct.ExpiresAt})
	return nil
}

// chatTokenInput validates user and expiresIn.
func chatTokenInput(in chatUserInput, expiresIn string) (chatUserInput, time.Duration, error) {
	if in.ID == "" || len(in.ID) > maxExternalIDLen || !utf8.ValidString(in.ID) ||
		strings.IndexFunc(in.ID, unicode.IsControl) >= 0 || strings.TrimSpace(in.ID) != in.ID {
		return in, 0, invalid("user.id is required: 1 to 200 bytes of your own user id, without control characters or surrounding spaces")
	}
	name, e := optionalText("user.name", in.Name, maxNameLen)
	if e != nil {
		return in, 0, e
	}
	email, e := optionalEmail("user.email", in.Email)
	if e != nil {
		return in, 0, e
	}
	ttl, err := security.ParseChatTokenTTL(expiresIn)
	if err != nil {
		return in, 0, invalid(`expiresIn must be between 15m and 7d (e.g. "15m", "1h", "24h", "7d"; default "24h")`)
	}
	return chatUserInput{ID: in.ID, Name: name, Email: email}, ttl, nil
}

// keyPairInput refuses an absent or oversized key pair before any lookup.
func keyPairInput(keyID, secret string) error {
	if keyID == "" || secret == "" || len(keyID) > maxKeyField || len(secret) > maxKeyField {
		return invalid("keyId and keySecret are required")
	}
	return nil
}

// customerUserFor returns the organisation's active customer user for the
// customer's user id, created on first use; a given name or email replaces
// the stored one. Of two nodes creating the same user at once, one wins
// (the unique index) and the other reads the winner.
func (a *API) customerUserFor(ctx context.Context, orgID string, in chatUserInput) (storage.CustomerUser, error) {
	now := a.nowMs()
	u, err := a.cfg.Store.FindCustomerUserByExternalID(ctx, orgID, in.ID)
	if errors.Is(err, storage.ErrNotFound) {
		u = storage.CustomerUser{ID: storage.NewID("cus"), OrgID: orgID, ExternalID: in.ID, Name: in.Name,
			Email: in.Email, TokenVersion: 1, CreatedAt: now, LastSeenAt: now}
		err = a.cfg.Store.CreateCustomerUser(ctx, u)
		if errors.Is(err, storage.ErrConflict) {
			return a.cfg.Store.FindCustomerUserByExternalID(ctx, orgID, in.ID)
		}
		if err != nil {
			return storage.CustomerUser{}, fmt.Errorf("create customer user: %w", err)
		}
		return u, nil
	}
	if err != nil {
		return storage.CustomerUser{}, fmt.Errorf("find customer user: %w", err)
	}
	if in.Name != "" {
		u.Name = in.Name
	}
	if in.Email != "" {
		u.Email = in.Email
	}
	u.LastSeenAt = now
	if err := a.cfg.Store.UpdateCustomerUser(ctx, u); err != nil {
		return storage.CustomerUser{}, fmt.Errorf("update customer user: %w", err)
	}
	return u, nil
}

type invalidateRequest struct {
	KeyID          string `json:"keyId"`
	KeySecret      string `json:"keySecret"`
	CustomerUserID string `json:"customerUserId"`
}

type invalidateResponse struct {
	CustomerUserID string `json:"customerUserId"`
	TokenVersion   int64  `json:"tokenVersion"`
}

// handleInvalidateToken bumps the customer user's token version, so every
// token issued before fails the version check, and revokes the sessions
// of its visitor, so its sockets close on every node.
func (a *API) handleInvalidateToken(w http.ResponseWriter, r *http.Request) error {
	var req invalidateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := keyPairInput(req.KeyID, req.KeySecret); err != nil {
		return err
	}
	if !validID(req.CustomerUserID) || !strings.HasPrefix(req.CustomerUserID, "cus_") {
		return invalid(`customerUserId is required (the "cus_…" id /auth/token returned)`)
	}
	key, owner, err := a.verifyKeyPair(r.Context(), req.KeyID, req.KeySecret)
	if err != nil {
		return err
	}
	if err := a.chargeAPIKey(w, r, key.ID, key.OwnerID, key.RPM); err != nil {
		return err
	}
	v, err := a.invalidateCustomerUser(r.Context(), key.OrgID, req.CustomerUserID)
	if err != nil {
		return err
	}
	a.audit(r, storage.AuditEvent{OrgID: key.OrgID, ActorKind: storage.SubjectAgent, ActorID: owner.ID,
		Action: "customer_user.tokens_invalidated", TargetID: req.CustomerUserID, Detail: "key " + key.ID})
	httpx.WriteJSON(w, http.StatusOK, invalidateResponse{CustomerUserID: req.CustomerUserID, TokenVersion: v})
	return nil
}

// invalidateCustomerUser bumps the version and revokes the visitor's
// sessions (each revocation is relayed to every node, which closes the
// sockets bound to it). An unknown or erased user is 404.
func (a *API) invalidateCustomerUser(ctx context.Context, orgID, id string) (int64, error) {
	u, err := a.cfg.Store.GetCustomerUser(ctx, orgID, id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && u.Deleted() {
		return 0, httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "no such customer user")
	}
	if err != nil {
		return 0, fmt.Errorf("load customer user: %w", err)
	}
	v, err := a.cfg.Store.BumpCustomerUserTokenVersion(ctx, orgID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "no such customer user")
	}
	if err != nil {
		return 0, fmt.Errorf("bump token version: %w", err)
	}
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.ChatTokenInvalidations.Inc()
	}
	if u.VisitorID != "" {
		if _, err := a.cfg.Sessions.RevokeSubject(ctx, orgID, storage.SubjectVisitor, u.VisitorID, ""); err != nil {
			return 0, fmt.Errorf("revoke the customer user's visitor sessions: %w", err)
		}
	}
	return v, nil
}
