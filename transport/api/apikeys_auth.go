package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// isAPIKeyText reports whether a bearer token is an API key's text (secret
// or publishable) rather than a session token.
func isAPIKeyText(token string) bool {
	return strings.HasPrefix(token, "sk_") || strings.HasPrefix(token, "pk_")
}

// keyAuthed authenticates a request carrying Authorization: Bearer sk_…
// (or refuses a pk_… with 403 publishable_key), in the contract's order:
// the key checks (checkSecretKey), the route's scope, the rate limit,
// then the throttled last-used write, and calls h as the key's owner.
func (a *API) keyAuthed(w http.ResponseWriter, r *http.Request, token string, h authedFunc) error {
	if strings.HasPrefix(token, "pk_") {
		a.authFailed(codePublishableKey)
		return errPublishableKey
	}
	k, owner, err := a.checkSecretKey(r.Context(), token)
	if err != nil {
		return err
	}
	if err := checkScope(r, k.Scopes); err != nil {
		return err
	}
	// rate limit: coordinator wires chargeAPIKey here
	// (if err := a.chargeAPIKey(w, r, k.ID, k.OwnerID, k.RPM); err != nil { return err })
	a.touchKey(r, k)
	return h(w, r, keyCaller(k, owner))
}

// routeKey is the scope table's key of the request's route: its method
// and ServeMux pattern without the /rest/v1 prefix ("GET /conversations/{id}").
func routeKey(r *http.Request) string {
	method, path, ok := strings.Cut(r.Pattern, " ")
	if !ok {
		return ""
	}
	return method + " " + strings.TrimPrefix(path, prefix)
}

// checkScope refuses a key whose scopes lack the route's (403
// insufficient_scope, naming the scope), and every route the scope table
// does not list.
func checkScope(r *http.Request, scopes []string) error {
	need, ok := routeScopes[routeKey(r)]
	if !ok {
		return httpx.NewError(http.StatusForbidden, codeInsufficientScope,
			"this endpoint is not available to API keys; use an agent session")
	}
	if !slices.Contains(scopes, need) {
		return httpx.NewError(http.StatusForbidden, codeInsufficientScope,
			"this endpoint needs an API key with scope "+need)
	}
	return nil
}

// keyTouchEvery is how often one node records a key's last use.
const keyTouchEvery = time.Minute

// keyTouches remembers when this node last recorded each key's use. Its
// zero value is ready; safe for concurrent use.
type keyTouches struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether key id's use at now should be written, and if so
// records now as its last write.
func (t *keyTouches) due(id string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[string]time.Time{}
	}
	if last, ok := t.last[id]; ok && now.Sub(last) < keyTouchEvery {
		return false
	}
	if len(t.last) > 100_000 { // bound the memory: forget everything, at most one extra write per key
		clear(t.last)
	}
	t.last[id] = now
	return true
}

// touchKey records the key's last use (time and client IP) at most once a
// minute per key on this node. A failed write is logged, never the key.
func (a *API) touchKey(r *http.Request, k storage.APIKey) {
	now := a.nowMs()
	if !a.keyTouch.due(k.ID, now) {
		return
	}
	ctx := context.WithoutCancel(r.Context())
	if err := a.cfg.Store.TouchAPIKey(ctx, k.OrgID, k.ID, now, a.clientIP(r)); err != nil {
		a.log.Warn().Err(err).Str("key_id", k.ID).Msg("record api key use failed")
	}
}
