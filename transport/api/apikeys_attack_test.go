package api

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// A publishable key is no credential: Bearer pk_… is 403 publishable_key
// on every authenticated route, secret endpoints included.
func TestAPIKeyPublishableKeyRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	var wg widgetView
	e.do("POST", "/rest/v1/widgets", map[string]any{"name": "site"}, bearer(tok)).expect(t, 201, "").json(t, &wg)
	legacy := e.seedWidget(owner.OrgID)
	for _, key := range []string{wg.PublishableKey, legacy.PublishableKey} {
		for _, path := range []string{"/rest/v1/conversations", "/rest/v1/api-keys", "/rest/v1/agents", "/rest/v1/me", "/rest/v1/audit"} {
			e.do("GET", path, nil, bearer(key)).expect(t, 403, codePublishableKey)
		}
		e.do("POST", "/rest/v1/api-keys", map[string]any{"name": "k", "scopes": []string{"chats:read"}}, bearer(key)).
			expect(t, 403, codePublishableKey)
	}
}

// No key, whatever its scopes, reaches /api-keys, /audit, /me, session
// management, widget management or a team mutation.
func TestAPIKeyNeverReachesAccountEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, key := e.seedKey(owner, "live", allScopes)
	for _, rq := range []struct{ method, path string }{
		{"GET", "/api-keys"}, {"POST", "/api-keys"}, {"GET", "/audit"}, {"GET", "/me"}, {"POST", "/me/password"},
		{"POST", "/invitations"}, {"DELETE", "/invitations/inv_x"}, {"POST", "/agents"}, {"PATCH", "/agents/agt_x"},
		{"DELETE", "/agents/agt_x"}, {"POST", "/widgets"}, {"GET", "/widgets"}, {"PATCH", "/widgets/wdg_x"},
		{"POST", "/widgets/wdg_x/rotate-key"}, {"POST", "/auth/logout"}, {"GET", "/auth/totp"},
		{"GET", "/auth/passkeys"},
	} {
		r := e.do(rq.method, "/rest/v1"+rq.path, map[string]any{}, bearer(key))
		r.expect(t, 403, codeInsufficientScope)
	}
}

// Expiry is exact: a key works at expires_at-1ms and fails at expires_at;
// revocation fails the very next request.
func TestAPIKeyExpiryAndRevocationImmediate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	exp := e.clock.Now().Add(time.Hour)
	k := e.createKey(tok, map[string]any{"name": "k", "scopes": []string{"chats:read"}, "expires_at": exp.Format(time.RFC3339Nano)})
	e.clock.Advance(time.Hour - time.Millisecond)
	e.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 200, "")
	e.clock.Advance(time.Millisecond)
	e.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 401, codeInvalidAPIKey)

	tok = e.token(owner.OrgID, storage.SubjectAgent, owner.ID) // the first session's access token expired
	_, key := e.seedKey(owner, "live", []string{"chats:read"})
	e.do("GET", "/rest/v1/conversations", nil, bearer(key)).expect(t, 200, "")
	list, _ := e.store.ListAPIKeys(context.Background(), owner.OrgID)
	e.do("DELETE", "/rest/v1/api-keys/"+list[0].ID, nil, bearer(tok)).expect(t, 204, "")
	e.do("GET", "/rest/v1/conversations", nil, bearer(key)).expect(t, 401, codeInvalidAPIKey)
}

// A rotation's overlap ends exactly: the old key works until now+overlap
// (exclusive), the new one from the start.
func TestAPIKeyRotationOverlapEndsExactly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	old := e.createKey(tok, map[string]any{"name": "k", "scopes": []string{"chats:read"}})
	var next createdKey
	e.do("POST", "/rest/v1/api-keys/"+old.ID+"/rotate", map[string]any{"overlap_seconds": 90}, bearer(tok)).
		expect(t, 201, "").json(t, &next)
	e.do("GET", "/rest/v1/conversations", nil, bearer(next.Key)).expect(t, 200, "")
	e.clock.Advance(90*time.Second - time.Millisecond)
	e.do("GET", "/rest/v1/conversations", nil, bearer(old.Key)).expect(t, 200, "")
	e.clock.Advance(time.Millisecond)
	e.do("GET", "/rest/v1/conversations", nil, bearer(old.Key)).expect(t, 401, codeInvalidAPIKey)
	e.do("GET", "/rest/v1/conversations", nil, bearer(next.Key)).expect(t, 200, "")
	// The overlap never outlives the old key's own expiry.
	exp := e.clock.Now().Add(10 * time.Second)
	short := e.createKey(tok, map[string]any{"name": "s", "scopes": []string{"chats:read"}, "expires_at": exp.Format(time.RFC3339Nano)})
	e.do("POST", "/rest/v1/api-keys/"+short.ID+"/rotate", map[string]any{"overlap_seconds": 3600}, bearer(tok)).expect(t, 201, "")
	e.clock.Advance(10 * time.Second)
	e.do("GET", "/rest/v1/conversations", nil, bearer(short.Key)).expect(t, 401, codeInvalidAPIKey)
}

// A malformed or mistyped key (bad checksum) is refused without a store
// read; a well-formed unknown key costs exactly one.
func TestAPIKeyBadChecksumNoStoreRead(t *testing.T) {
	t.Parallel()
	e, cs := newCountingEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, key := e.seedKey(owner, "live", []string{"chats:read"})
	flip := []byte(key)
	flip[20] ^= 1 // still base62? 'a'^1 = '`' is not: both refusals are format-only
	for _, bad := range []string{key[:len(key)-1] + string("0123456789"[(int(key[len(key)-1])+1)%10]), key[:len(key)-1],
		"sk_live_" + "x", string(flip), "sk_live_" + key[8:len(key)-6] + "ZZZZZZ"} {
		if bad == key {
			continue
		}
		e.do("GET", "/rest/v1/conversations", nil, bearer(bad)).expect(t, 401, codeInvalidAPIKey)
	}
	if n := cs.lookups.Load(); n != 0 {
		t.Fatalf("%d store lookups for malformed keys, want 0", n)
	}
	e.do("GET", "/rest/v1/conversations", nil, bearer(key)).expect(t, 200, "")
	if n := cs.lookups.Load(); n != 1 {
		t.Fatalf("%d store lookups for one request, want 1", n)
	}
}

// A key of the other mode is refused with the same answer: a test key on
// a live server, a live key on a --dev server, even when stored.
func TestAPIKeyWrongModeRefused(t *testing.T) {
	t.Parallel()
	live := newEnv(t)
	owner, _ := live.seedOrg("Acme")
	_, testKey := live.seedKey(owner, "test", []string{"chats:read"})
	_, mixed := live.seedKey(owner, "live", []string{"chats:read"}, func(k *storage.APIKey) { k.Mode = "test" })
	live.do("GET", "/rest/v1/conversations", nil, bearer(testKey)).expect(t, 401, codeInvalidAPIKey)
	live.do("GET", "/rest/v1/conversations", nil, bearer(mixed)).expect(t, 401, codeInvalidAPIKey)

	dev := newEnv(t, func(c *Config) { c.KeyMode = "test" })
	owner, tok := dev.seedOrg("Acme")
	_, liveKey := dev.seedKey(owner, "live", []string{"chats:read"})
	dev.do("GET", "/rest/v1/conversations", nil, bearer(liveKey)).expect(t, 401, codeInvalidAPIKey)
	k := dev.createKey(tok, map[string]any{"name": "k", "scopes": []string{"chats:read"}})
	if k.Key[:8] != "sk_test_" {
		t.Fatalf("a --dev server issued %q", k.Key[:8])
	}
	dev.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 200, "")
	var wg widgetView
	dev.do("POST", "/rest/v1/widgets", map[string]any{"name": "site"}, bearer(tok)).expect(t, 201, "").json(t, &wg)
	if wg.PublishableKey[:8] != "pk_test_" {
		t.Fatalf("a --dev server's widget key %q", wg.PublishableKey)
	}
	if _, err := New(Config{Store: dev.store, Sessions: dev.sessions, Hasher: testHasher(t), KeyMode: "prod"}); err == nil {
		t.Fatal("KeyMode prod accepted")
	}
}

// A key acts as its owner, now: a deactivated owner's keys stop at once
// (401); a demoted owner's keys lose the manager routes (403) and keep
// the rest.
func TestAPIKeyFollowsOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	admin, _ := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	w := e.seedWidget(owner.OrgID)
	v, _ := e.seedVisitor(w)
	_, key := e.seedKey(admin, "live", []string{"visitors:read", "chats:read"})
	e.do("GET", "/rest/v1/visitors/"+v.ID+"/export", nil, bearer(key)).expect(t, 200, "")
	ctx := context.Background()
	if err := e.store.SetAgentRole(ctx, owner.OrgID, admin.ID, storage.RoleAgent); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/rest/v1/visitors/"+v.ID+"/export", nil, bearer(key)).expect(t, 403, httpx.CodeForbidden)
	e.do("GET", "/rest/v1/visitors/"+v.ID, nil, bearer(key)).expect(t, 200, "")
	e.do("GET", "/rest/v1/conversations", nil, bearer(key)).expect(t, 200, "")
	if err := e.store.DeactivateAgent(ctx, owner.OrgID, admin.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/rest/v1/conversations", nil, bearer(key)).expect(t, 401, codeInvalidAPIKey)
}

// Tenancy: a key of organisation A cannot read B's conversation,
// messages or visitor (404), and lists only A's.
func TestAPIKeyCrossTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, _ := e.seedOrg("Acme")
	b, _ := e.seedOrg("Beta")
	wb := e.seedWidget(b.OrgID)
	vb, _ := e.seedVisitor(wb)
	cb := e.seedConversation(vb, "", 1)
	_, key := e.seedKey(a, "live", []string{"chats:read", "visitors:read"})
	e.do("GET", "/rest/v1/conversations/"+cb.ID, nil, bearer(key)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", "/rest/v1/conversations/"+cb.ID+"/messages", nil, bearer(key)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", "/rest/v1/visitors/"+vb.ID, nil, bearer(key)).expect(t, 404, httpx.CodeNotFound)
	var list struct {
		Conversations []struct{ ID string } `json:"conversations"`
	}
	e.do("GET", "/rest/v1/conversations", nil, bearer(key)).expect(t, 200, "").json(t, &list)
	if len(list.Conversations) != 0 {
		t.Fatalf("A's key lists %d conversations of B", len(list.Conversations))
	}
}

// Revocation is effective on every node at once: two API instances over
// one store, revoke on one, refused on the other with the next request
// (nothing caches a key's validity).
func TestAPIKeyRevocationAcrossNodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	other, err := New(e.api.cfg)
	if err != nil {
		t.Fatal(err)
	}
	node2 := httptest.NewServer(other.Handler())
	t.Cleanup(node2.Close)
	e2 := *e
	e2.srv = node2
	k := e.createKey(tok, map[string]any{"name": "k", "scopes": []string{"chats:read"}})
	e2.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 200, "")
	e.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 200, "")
	e.do("DELETE", "/rest/v1/api-keys/"+k.ID, nil, bearer(tok)).expect(t, 204, "")
	e2.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 401, codeInvalidAPIKey)
	// And a rotation's end on node 1 is seen by node 2 at the same instant.
	k2 := e.createKey(tok, map[string]any{"name": "k2", "scopes": []string{"chats:read"}})
	e2.do("GET", "/rest/v1/conversations", nil, bearer(k2.Key)).expect(t, 200, "")
	e.do("POST", "/rest/v1/api-keys/"+k2.ID+"/rotate", map[string]any{"overlap_seconds": 0}, bearer(tok)).expect(t, 201, "")
	e2.do("GET", "/rest/v1/conversations", nil, bearer(k2.Key)).expect(t, 401, codeInvalidAPIKey)
	_ = owner
}

// The last use is written at most once a minute per key per node, with
// the client IP.
func TestAPIKeyLastUsedThrottled(t *testing.T) {
	t.Parallel()
	e, cs := newCountingEnv(t)
	owner, _ := e.seedOrg("Acme")
	k, key := e.seedKey(owner, "live", []string{"chats:read"})
	for range 3 {
		e.do("GET", "/rest/v1/conversations", nil, bearer(key), fromIP("198.51.100.7")).expect(t, 200, "")
	}
	if n := cs.touches.Load(); n != 1 {
		t.Fatalf("%d touches for 3 requests within a minute, want 1", n)
	}
	e.clock.Advance(time.Minute)
	e.do("GET", "/rest/v1/conversations", nil, bearer(key), fromIP("198.51.100.8")).expect(t, 200, "")
	if n := cs.touches.Load(); n != 2 {
		t.Fatalf("%d touches after a minute, want 2", n)
	}
	got, err := e.store.GetAPIKey(context.Background(), owner.OrgID, k.ID)
	if err != nil || got.LastUsedIP != "198.51.100.8" || !got.LastUsedAt.Equal(e.clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("last use %v from %q (%v)", got.LastUsedAt, got.LastUsedIP, err)
	}
	// A refused request (scope) records no use.
	e.clock.Advance(time.Minute)
	e.do("GET", "/rest/v1/agents", nil, bearer(key)).expect(t, 403, codeInsufficientScope)
	if n := cs.touches.Load(); n != 2 {
		t.Fatalf("a refused request touched the key (%d touches)", n)
	}
}

// A store outage during the key lookup is 503 unavailable (retry), never
// a 401 that would make clients drop a valid key, and never a pass.
func TestAPIKeyLookupOutageIs503(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Store = failingKeyStore{c.Store.(*security.SealedStore)} })
	owner, _ := e.seedOrg("Acme")
	_, key := e.seedKey(owner, "live", []string{"chats:read"})
	e.do("GET", "/rest/v1/conversations", nil, bearer(key)).expect(t, 503, codeUnavailable)
}
