package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// API key limits.
const (
	maxAPIKeyName     = 100
	defaultAPIKeyRPM  = 600
	maxAPIKeyRPM      = 100_000
	maxAPIKeyLifetime = 2 * 365 * 24 * time.Hour
	maxKeyOverlap     = 604800 // seconds (7 days), for key and widget-key rotation
)

// apiKeyCreated is the answer to create and rotate: the only time the key
// text is ever sent.
type apiKeyCreated struct {
	ID          string     `json:"id"`
	Key         string     `json:"key"`
	Prefix      string     `json:"prefix"`
	Name        string     `json:"name"`
	Scopes      []string   `json:"scopes"`
	ExpiresAt   *time.Time `json:"expires_at"`
	RPM         int        `json:"rpm"`
	CreatedAt   time.Time  `json:"created_at"`
	RotatedFrom string     `json:"rotated_from,omitempty"`
}

// apiKeyView describes a key in lists; never its secret.
type apiKeyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	RPM        int        `json:"rpm"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	LastUsedIP *string    `json:"last_used_ip"`
	RevokedAt  *time.Time `json:"revoked_at"`
	ReplacedBy *string    `json:"replaced_by"`
	OwnerID    string     `json:"owner_id"`
	Status     string     `json:"status"`
}

// optTime is nil for the zero time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optString is nil for "".
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func viewAPIKey(k storage.APIKey, now time.Time) apiKeyView {
	return apiKeyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, RPM: k.RPM,
		CreatedAt: k.CreatedAt, ExpiresAt: optTime(k.ExpiresAt), LastUsedAt: optTime(k.LastUsedAt),
		LastUsedIP: optString(k.LastUsedIP), RevokedAt: optTime(k.RevokedAt), ReplacedBy: optString(k.ReplacedBy),
		OwnerID: k.OwnerID, Status: k.Status(now)}
}

func createdAPIKey(k storage.APIKey) apiKeyCreated {
	return apiKeyCreated{ID: k.ID, Key: k.Secret, Prefix: k.Prefix, Name: k.Name, Scopes: k.Scopes,
		ExpiresAt: optTime(k.ExpiresAt), RPM: k.RPM, CreatedAt: k.CreatedAt, RotatedFrom: k.RotatedFrom}
}

// sessionManager admits owners and admins signed in with a session: key
// management is never available to API keys (the scope table refuses
// them already; this is the second lock).
func (a *API) sessionManager(h authedFunc) authedFunc {
	return a.manager(func(w http.ResponseWriter, r *http.Request, c *caller) error {
		if c.Key != nil {
			return httpx.NewError(http.StatusForbidden, codeInsufficientScope,
				"this endpoint is not available to API keys; use an agent session")
		}
		return h(w, r, c)
	})
}

// apiKeyRoutes registers /api-keys and the widget key rotation.
func (a *API) apiKeyRoutes(r *router) {
	r.handle("POST", "/api-keys", a.authed(a.sessionManager(a.handleCreateAPIKey)))
	r.handle("GET", "/api-keys", a.authed(a.sessionManager(a.handleListAPIKeys)))
	r.handle("PATCH", "/api-keys/{id}", a.authed(a.sessionManager(a.handleUpdateAPIKey)))
	r.handle("DELETE", "/api-keys/{id}", a.authed(a.sessionManager(a.handleRevokeAPIKey)))
	r.handle("POST", "/api-keys/{id}/rotate", a.authed(a.sessionManager(a.handleRotateAPIKey)))
	r.handle("POST", "/widgets/{id}/rotate-key", a.authed(a.sessionManager(a.handleRotateWidgetKey)))
}

type createAPIKeyRequest struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	ExpiresAt *string  `json:"expires_at"`
	RPM       *int     `json:"rpm"`
}

// handleCreateAPIKey creates a secret key owned by the caller.
func (a *API) handleCreateAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req createAPIKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	now := a.nowMs()
	k, e := newAPIKeyFields(req, now)
	if e != nil {
		return e
	}
	k.OrgID, k.OwnerID, k.CreatedAt = c.OrgID, c.SubjectID, now
	if err := a.issueKey(&k); err != nil {
		return err
	}
	if err := a.cfg.Store.CreateAPIKey(r.Context(), k); err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	a.auditKey(r, c, "api_key.created", k, fmt.Sprintf("prefix %s scopes %v", k.Prefix, k.Scopes))
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, createdAPIKey(k))
	return nil
}

// issueKey gives k a fresh id and secret (in this server's mode), its
// prefix and its lookup hash.
func (a *API) issueKey(k *storage.APIKey) error {
	secret, err := security.NewAPIKey(security.KeyKindSecret, a.keyMode())
	if err != nil {
		return fmt.Errorf("new api key: %w", err)
	}
	k.ID, k.Secret, k.Prefix, k.Mode = storage.NewID("key"), secret, security.KeyPrefix(secret), a.keyMode()
	k.SecretHash = a.cfg.Store.KeyedHash(security.KeyPurposeAPIKey, secret)
	return nil
}

// newAPIKeyFields validates a create request.
func newAPIKeyFields(req createAPIKeyRequest, now time.Time) (storage.APIKey, *httpx.Error) {
	name, e := requiredText("name", req.Name, maxAPIKeyName)
	if e != nil {
		return storage.APIKey{}, e
	}
	scopes, e := validScopes(req.Scopes)
	if e != nil {
		return storage.APIKey{}, e
	}
	rpm, e := validRPM(req.RPM)
	if e != nil {
		return storage.APIKey{}, e
	}
	var expires time.Time
	if req.ExpiresAt != nil {
		if expires, e = validKeyExpiry(*req.ExpiresAt, now); e != nil {
			return storage.APIKey{}, e
		}
	}
	return storage.APIKey{Name: name, Scopes: scopes, RPM: rpm, ExpiresAt: expires}, nil
}

// validScopes requires 1..6 of the six scopes, no duplicates.
func validScopes(scopes []string) ([]string, *httpx.Error) {
	if len(scopes) == 0 {
		return nil, invalid("scopes must list at least one scope")
	}
	for i, s := range scopes {
		if !slices.Contains(allScopes, s) {
			return nil, invalid(fmt.Sprintf("scopes[%d] is not a scope; the scopes are %v", i, allScopes))
		}
		if slices.Contains(scopes[:i], s) {
			return nil, invalid(fmt.Sprintf("scopes[%d] repeats %s", i, s))
		}
	}
	return slices.Clone(scopes), nil
}

// validRPM is 1..100000, default 600.
func validRPM(rpm *int) (int, *httpx.Error) {
	if rpm == nil {
		return defaultAPIKeyRPM, nil
	}
	if *rpm < 1 || *rpm > maxAPIKeyRPM {
		return 0, invalid(fmt.Sprintf("rpm must be between 1 and %d", maxAPIKeyRPM))
	}
	return *rpm, nil
}

// validKeyExpiry parses an RFC 3339 time in the future and at most two
// years ahead (stored to the millisecond).
func validKeyExpiry(s string, now time.Time) (time.Time, *httpx.Error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid("expires_at must be an RFC 3339 time")
	}
	t = t.UTC().Truncate(time.Millisecond)
	if !t.After(now) || t.Sub(now) > maxAPIKeyLifetime {
		return time.Time{}, invalid("expires_at must be in the future and at most 2 years ahead")
	}
	return t, nil
}

// handleListAPIKeys lists the organisation's keys, newest first.
func (a *API) handleListAPIKeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	keys, err := a.cfg.Store.ListAPIKeys(r.Context(), c.OrgID)
	if err != nil {
		return fmt.Errorf("list api keys: %w", err)
	}
	now := a.now()
	out := make([]apiKeyView, 0, len(keys))
	for _, k := range keys {
		out = append(out, viewAPIKey(k, now))
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"api_keys": out})
	return nil
}

type updateAPIKeyRequest struct {
	Name *string `json:"name"`
	RPM  *int    `json:"rpm"`
}

// handleUpdateAPIKey renames a key or changes its rate limit.
func (a *API) handleUpdateAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req updateAPIKeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	k, err := a.orgKey(r, c)
	if err != nil {
		return err
	}
	if req.Name != nil {
		name, e := requiredText("name", *req.Name, maxAPIKeyName)
		if e != nil {
			return e
		}
		k.Name = name
	}
	if req.RPM != nil {
		rpm, e := validRPM(req.RPM)
		if e != nil {
			return e
		}
		k.RPM = rpm
	}
	if err := a.cfg.Store.UpdateAPIKey(r.Context(), c.OrgID, k.ID, k.Name, k.RPM); err != nil {
		return fmt.Errorf("update api key: %w", err)
	}
	a.auditKey(r, c, "api_key.updated", k, fmt.Sprintf("prefix %s rpm %d", k.Prefix, k.RPM))
	httpx.WriteJSON(w, http.StatusOK, viewAPIKey(k, a.now()))
	return nil
}

// handleRevokeAPIKey revokes a key at once, on every node (nothing caches
// a key's validity).
func (a *API) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	k, err := a.orgKey(r, c)
	if err != nil {
		return err
	}
	if err := a.cfg.Store.RevokeAPIKey(r.Context(), c.OrgID, k.ID, a.nowMs()); err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	a.auditKey(r, c, "api_key.revoked", k, "prefix "+k.Prefix)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type rotateRequest struct {
	OverlapSeconds *int `json:"overlap_seconds"`
}

// overlap validates the rotation request's overlap_seconds (required,
// 0..604800).
func (q rotateRequest) overlap() (time.Duration, *httpx.Error) {
	if q.OverlapSeconds == nil || *q.OverlapSeconds < 0 || *q.OverlapSeconds > maxKeyOverlap {
		return 0, invalid(fmt.Sprintf("overlap_seconds is required, between 0 and %d", maxKeyOverlap))
	}
	return time.Duration(*q.OverlapSeconds) * time.Second, nil
}

var errKeyNotRotatable = httpx.NewError(http.StatusConflict, httpx.CodeConflict,
	"the key was already rotated, revoked or has expired")

// handleRotateAPIKey replaces a key by a new one (same name, scopes, rpm,
// owner and expiry); the old key keeps working until now + overlap
// exactly, or until its own expiry if that comes first.
func (a *API) handleRotateAPIKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req rotateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	overlap, e := req.overlap()
	if e != nil {
		return e
	}
	old, err := a.orgKey(r, c)
	if err != nil {
		return err
	}
	now := a.nowMs()
	if !old.Usable(now) || old.ReplacedBy != "" {
		return errKeyNotRotatable
	}
	next := storage.APIKey{OrgID: old.OrgID, OwnerID: old.OwnerID, Name: old.Name, Scopes: old.Scopes,
		RPM: old.RPM, CreatedAt: now, ExpiresAt: old.ExpiresAt, RotatedFrom: old.ID}
	if err := a.issueKey(&next); err != nil {
		return err
	}
	until := now.Add(overlap)
	if !old.ExpiresAt.IsZero() && old.ExpiresAt.Before(until) {
		until = old.ExpiresAt
	}
	err = a.cfg.Store.RotateAPIKey(r.Context(), c.OrgID, old.ID, next, until)
	if errors.Is(err, storage.ErrConflict) {
		return errKeyNotRotatable
	}
	if err != nil {
		return fmt.Errorf("rotate api key: %w", err)
	}
	a.auditKey(r, c, "api_key.rotated", old, fmt.Sprintf("prefix %s replaced by %s (prefix %s), overlap %ds",
		old.Prefix, next.ID, next.Prefix, int(overlap/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, createdAPIKey(next))
	return nil
}

// orgKey loads the key named by the path of the caller's organisation.
func (a *API) orgKey(r *http.Request, c *caller) (storage.APIKey, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return storage.APIKey{}, errNotFound
	}
	k, err := a.cfg.Store.GetAPIKey(r.Context(), c.OrgID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.APIKey{}, errNotFound
	}
	if err != nil {
		return storage.APIKey{}, fmt.Errorf("get api key: %w", err)
	}
	return k, nil
}

// auditKey records a key event: the key id as target, detail without the
// key text.
func (a *API) auditKey(r *http.Request, c *caller, action string, k storage.APIKey, detail string) {
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: action, TargetID: k.ID, Detail: detail})
}
