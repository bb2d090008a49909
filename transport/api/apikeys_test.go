package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// The lifecycle through REST: create (the key once), list (never the
// key), update, rotate, revoke, with audit events that never hold the key.
func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	exp := e.clock.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	k := e.createKey(tok, map[string]any{"name": "CRM sync", "scopes": []string{"chats:read", "team:read"},
		"expires_at": exp.Format(time.RFC3339)})
	info, ok := security.ParseKey(k.Key)
	if !ok || info.Kind != security.KeyKindSecret || info.Mode != security.KeyModeLive || !strings.HasPrefix(k.Key, "sk_live_") {
		t.Fatalf("created key %q is not a live secret key", k.Key)
	}
	if !strings.HasPrefix(k.ID, "key_") || k.Prefix != k.Key[:12] || k.RPM != 600 || k.Name != "CRM sync" ||
		k.ExpiresAt == nil || !k.ExpiresAt.Equal(exp) || len(k.Scopes) != 2 || k.RotatedFrom != "" {
		t.Fatalf("created key view %+v", k)
	}
	e.do("GET", "/rest/v1/agents", nil, bearer(k.Key)).expect(t, 200, "")

	r := e.do("GET", "/rest/v1/api-keys", nil, bearer(tok)).expect(t, 200, "")
	if strings.Contains(string(r.body), k.Key) || strings.Contains(string(r.body), k.Key[12:]) {
		t.Fatal("the key list holds the key text")
	}
	var list struct {
		APIKeys []listedKey `json:"api_keys"`
	}
	r.json(t, &list)
	if len(list.APIKeys) != 1 {
		t.Fatalf("list %s", r.body)
	}
	got := list.APIKeys[0]
	if got.ID != k.ID || got.Status != "active" || got.OwnerID != owner.ID || got.Prefix != k.Prefix ||
		got.LastUsedAt == nil || got.LastUsedIP == nil || *got.LastUsedIP != "127.0.0.1" || got.RevokedAt != nil || got.ReplacedBy != nil {
		t.Fatalf("listed key %+v", got)
	}

	var upd listedKey
	e.do("PATCH", "/rest/v1/api-keys/"+k.ID, map[string]any{"rpm": 30, "name": "Renamed"}, bearer(tok)).
		expect(t, 200, "").json(t, &upd)
	if upd.RPM != 30 || upd.Name != "Renamed" || upd.Scopes[0] != "chats:read" {
		t.Fatalf("updated %+v", upd)
	}

	var next createdKey
	e.do("POST", "/rest/v1/api-keys/"+k.ID+"/rotate", map[string]any{"overlap_seconds": 0}, bearer(tok)).
		expect(t, 201, "").json(t, &next)
	if next.RotatedFrom != k.ID || next.ID == k.ID || next.Key == k.Key || next.Name != "Renamed" || next.RPM != 30 ||
		next.ExpiresAt == nil || !next.ExpiresAt.Equal(exp) {
		t.Fatalf("rotated %+v", next)
	}
	e.do("GET", "/rest/v1/agents", nil, bearer(k.Key)).expect(t, 401, codeInvalidAPIKey)
	e.do("GET", "/rest/v1/agents", nil, bearer(next.Key)).expect(t, 200, "")

	e.do("DELETE", "/rest/v1/api-keys/"+next.ID, nil, bearer(tok)).expect(t, 204, "")
	e.do("GET", "/rest/v1/agents", nil, bearer(next.Key)).expect(t, 401, codeInvalidAPIKey)
	e.do("DELETE", "/rest/v1/api-keys/"+next.ID, nil, bearer(tok)).expect(t, 204, "")
	e.do("POST", "/rest/v1/api-keys/"+next.ID+"/rotate", map[string]any{"overlap_seconds": 10}, bearer(tok)).
		expect(t, 409, httpx.CodeConflict)
	e.do("POST", "/rest/v1/api-keys/"+k.ID+"/rotate", map[string]any{"overlap_seconds": 10}, bearer(tok)).
		expect(t, 409, httpx.CodeConflict)

	e.do("GET", "/rest/v1/api-keys", nil, bearer(tok)).expect(t, 200, "").json(t, &list)
	status := map[string]string{}
	for _, l := range list.APIKeys {
		status[l.ID] = l.Status
	}
	if len(list.APIKeys) != 2 || list.APIKeys[0].ID != next.ID || status[next.ID] != "revoked" || status[k.ID] != "expired" ||
		list.APIKeys[1].ReplacedBy == nil || *list.APIKeys[1].ReplacedBy != next.ID {
		t.Fatalf("list after rotate and revoke: %+v", list.APIKeys)
	}

	events, err := e.store.QueryAudit(context.Background(), owner.OrgID, storage.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev.Action] = true
		if strings.Contains(ev.Detail, k.Key[12:]) || strings.Contains(ev.Detail, next.Key[12:]) {
			t.Errorf("audit %s detail holds a key: %q", ev.Action, ev.Detail)
		}
		if strings.HasPrefix(ev.Action, "api_key.") && (ev.ActorID != owner.ID || ev.IP == "") {
			t.Errorf("audit %s without actor or IP: %+v", ev.Action, ev)
		}
	}
	for _, a := range []string{"api_key.created", "api_key.updated", "api_key.rotated", "api_key.revoked"} {
		if !seen[a] {
			t.Errorf("no %s audit event", a)
		}
	}
}

// Create refuses every malformed field with 400 and stores nothing.
func TestAPIKeyCreateValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	now := e.clock.Now().UTC()
	for name, body := range map[string]any{
		"no name":        map[string]any{"scopes": []string{"chats:read"}},
		"long name":      map[string]any{"name": strings.Repeat("n", 101), "scopes": []string{"chats:read"}},
		"no scopes":      map[string]any{"name": "k", "scopes": []string{}},
		"unknown scope":  map[string]any{"name": "k", "scopes": []string{"team:write"}},
		"dup scope":      map[string]any{"name": "k", "scopes": []string{"chats:read", "chats:read"}},
		"past expiry":    map[string]any{"name": "k", "scopes": []string{"chats:read"}, "expires_at": now.Format(time.RFC3339)},
		"far expiry":     map[string]any{"name": "k", "scopes": []string{"chats:read"}, "expires_at": now.AddDate(2, 0, 2).Format(time.RFC3339)},
		"bad expiry":     map[string]any{"name": "k", "scopes": []string{"chats:read"}, "expires_at": "tomorrow"},
		"rpm 0":          map[string]any{"name": "k", "scopes": []string{"chats:read"}, "rpm": 0},
		"rpm too high":   map[string]any{"name": "k", "scopes": []string{"chats:read"}, "rpm": 100001},
		"unknown field":  map[string]any{"name": "k", "scopes": []string{"chats:read"}, "owner_id": "agt_x"},
		"scopes as text": map[string]any{"name": "k", "scopes": "chats:read"},
	} {
		e.do("POST", "/rest/v1/api-keys", body, bearer(tok)).expect(t, 400, "")
		_ = name
	}
	e.do("PATCH", "/rest/v1/api-keys/key_missing", map[string]any{"rpm": 5}, bearer(tok)).expect(t, 404, httpx.CodeNotFound)
	k := e.createKey(tok, map[string]any{"name": "k", "scopes": []string{"chats:read"}, "rpm": 100000})
	e.do("PATCH", "/rest/v1/api-keys/"+k.ID, map[string]any{"rpm": 0}, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	e.do("PATCH", "/rest/v1/api-keys/"+k.ID, map[string]any{"name": " "}, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	for _, body := range []any{map[string]any{}, map[string]any{"overlap_seconds": -1}, map[string]any{"overlap_seconds": 604801}} {
		e.do("POST", "/rest/v1/api-keys/"+k.ID+"/rotate", body, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	list, err := e.store.ListAPIKeys(context.Background(), k.OrgIDFor(e))
	if err != nil || len(list) != 1 {
		t.Fatalf("stored %d keys (%v), want the one valid one", len(list), err)
	}
}

// OrgIDFor reads the key's organisation from the store (test helper).
func (k createdKey) OrgIDFor(e *env) string {
	e.t.Helper()
	hs := e.store.KeyedHashes(security.KeyPurposeAPIKey, k.Key)
	got, err := e.store.GetAPIKeyByHash(context.Background(), hs)
	if err != nil {
		e.t.Fatal(err)
	}
	return got.OrgID
}

// Only owners and admins with a session manage keys: agents get 403, and
// no API key (whatever its scopes) reaches /api-keys.
func TestAPIKeyManagementIsForManagerSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	_, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	e.createKey(adminTok, map[string]any{"name": "by admin", "scopes": []string{"chats:read"}})
	body := map[string]any{"name": "k", "scopes": []string{"chats:read"}}
	e.do("POST", "/rest/v1/api-keys", body, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("GET", "/rest/v1/api-keys", nil, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	_, key := e.seedKey(owner, "live", allScopes)
	k := e.createKey(tok, body)
	for _, rq := range []struct{ method, path string }{
		{"POST", "/rest/v1/api-keys"}, {"GET", "/rest/v1/api-keys"}, {"PATCH", "/rest/v1/api-keys/" + k.ID},
		{"DELETE", "/rest/v1/api-keys/" + k.ID}, {"POST", "/rest/v1/api-keys/" + k.ID + "/rotate"},
	} {
		e.do(rq.method, rq.path, body, bearer(key)).expect(t, 403, codeInsufficientScope)
	}
	e.do("GET", "/rest/v1/agents", nil, bearer(k.Key)).expect(t, 403, codeInsufficientScope)
}

// The key is encrypted at rest: the backend holds an envelope, not the
// key, and the lookup hash is a keyed hash.
func TestAPIKeySecretSealedAtRest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	k := e.createKey(tok, map[string]any{"name": "k", "scopes": []string{"chats:read"}})
	raw, err := e.raw.GetAPIKey(context.Background(), owner.OrgID, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw.Secret, "hpe1:") || strings.Contains(raw.Secret, k.Key[8:]) {
		t.Fatalf("backend holds %q, want a sealed envelope", raw.Secret)
	}
	if !e.cipher.KeyedHashEqual(security.KeyPurposeAPIKey, k.Key, raw.SecretHash) {
		t.Fatal("stored hash is not the keyed hash of the key")
	}
	opened, err := e.store.GetAPIKey(context.Background(), owner.OrgID, k.ID)
	if err != nil || opened.Secret != k.Key {
		t.Fatalf("sealed store opens %q (%v), want the key", opened.Secret, err)
	}
}

// verifyKeyPair (POST /auth/token's check) accepts the right id with its
// key and refuses, with 401 invalid_api_key, a wrong id, another key's id,
// a revoked key and a deactivated owner.
func TestAPIKeyVerifyKeyPair(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	k, secret := e.seedKey(owner, "live", []string{"visitors:read"})
	other, _ := e.seedKey(owner, "live", []string{"visitors:read"})
	ctx := context.Background()
	got, ag, err := e.api.verifyKeyPair(ctx, k.ID, secret)
	if err != nil || got.ID != k.ID || ag.ID != owner.ID {
		t.Fatalf("verify: %v %+v %+v", err, got, ag)
	}
	refused := func(what, id, s string) {
		t.Helper()
		_, _, err := e.api.verifyKeyPair(ctx, id, s)
		if he, ok := err.(*httpx.Error); !ok || he.Status != http.StatusUnauthorized || he.Code != codeInvalidAPIKey {
			t.Errorf("%s: %v, want 401 invalid_api_key", what, err)
		}
	}
	refused("wrong id", "key_wrong", secret)
	refused("another key's id", other.ID, secret)
	refused("bad checksum", k.ID, secret[:len(secret)-1]+"x")
	refused("empty", "", "")
	if err := e.store.RevokeAPIKey(ctx, owner.OrgID, k.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	refused("revoked", k.ID, secret)
	k2, secret2 := e.seedKey(owner, "live", []string{"visitors:read"})
	if err := e.store.DeactivateAgent(ctx, owner.OrgID, owner.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	refused("deactivated owner", k2.ID, secret2)
}
