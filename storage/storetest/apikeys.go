package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

var apiKeyCases = []testCase{
	{"APIKey/RoundTrip", testAPIKeyRoundTrip},
	{"APIKey/HashUnique", testAPIKeyHashUnique},
	{"APIKey/ListNewestFirst", testAPIKeyList},
	{"APIKey/Tenancy", testAPIKeyTenancy},
	{"APIKey/Rotate", testAPIKeyRotate},
	{"APIKey/RotateRefused", testAPIKeyRotateRefused},
	{"APIKey/ConcurrentRotationsOneWinner", testAPIKeyRotateRace},
	{"APIKey/RevokeKeepsFirstTime", testAPIKeyRevoke},
	{"APIKey/UpdateAndTouch", testAPIKeyUpdateTouch},
	{"APIKey/ArgumentChecks", testAPIKeyChecks},
	{"Widget/RotateKey", testWidgetRotateKey},
	{"Widget/RotateKeyTenancy", testWidgetRotateKeyTenancy},
}

// apiKey returns key id of the tenant's owner, created at sec, with a
// hash derived from id.
func apiKey(tn tenant, id string, sec int) storage.APIKey {
	return storage.APIKey{ID: id, OrgID: tn.org.ID, OwnerID: tn.owner.ID, Name: "Key " + id,
		Prefix: "sk_live_" + id[:4], Mode: "live", Scopes: []string{"chats:read", "team:read"},
		SecretHash: hash("secret/" + id), Secret: "sealed-" + id, RPM: 600, CreatedAt: at(sec)}
}

func createKey(t *testing.T, s storage.Store, k storage.APIKey) storage.APIKey {
	t.Helper()
	ok(t, s.CreateAPIKey(ctx(t), k), "create api key "+k.ID)
	return k
}

// testAPIKeyRoundTrip: every field comes back as stored, by id and by
// hash (also when the right hash is not the first of several).
func testAPIKeyRoundTrip(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	want := apiKey(tn, "key_full", 3)
	want.CreatedAt = want.CreatedAt.Add(7 * time.Millisecond)
	want.ExpiresAt = at(1000).Add(time.Millisecond)
	want.LastUsedAt, want.LastUsedIP = at(4), "203.0.113.9"
	want.RotatedFrom = "key_before"
	want.Scopes = []string{"webhooks:write", "chats:read", "visitors:write"} // order kept
	createKey(t, s, want)
	got, err := s.GetAPIKey(ctx(t), tn.org.ID, want.ID)
	ok(t, err, "get api key")
	same(t, got, want, "round trip by id")
	got, err = s.GetAPIKeyByHash(ctx(t), [][]byte{hash("other version"), want.SecretHash})
	ok(t, err, "get api key by second hash")
	same(t, got, want, "round trip by hash")
	bare := apiKey(tn, "key_bare", 5)
	createKey(t, s, bare)
	got, err = s.GetAPIKeyByHash(ctx(t), [][]byte{bare.SecretHash})
	ok(t, err, "get bare key")
	same(t, got, bare, "bare key (no expiry, use, rotation)")
	_, err = s.GetAPIKeyByHash(ctx(t), [][]byte{hash("missing")})
	wantErr(t, err, storage.ErrNotFound, "unknown hash")
	_, err = s.GetAPIKey(ctx(t), tn.org.ID, "key_missing")
	wantErr(t, err, storage.ErrNotFound, "unknown id")
}

// testAPIKeyHashUnique: a hash or id already stored is ErrConflict.
func testAPIKeyHashUnique(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	k := createKey(t, s, apiKey(tn, "key_one", 1))
	dup := apiKey(tn, "key_two", 2)
	dup.SecretHash = k.SecretHash
	wantErr(t, s.CreateAPIKey(ctx(t), dup), storage.ErrConflict, "duplicate hash")
	again := apiKey(tn, "key_one", 3)
	wantErr(t, s.CreateAPIKey(ctx(t), again), storage.ErrConflict, "duplicate id")
}

// testAPIKeyList: newest first, revoked ones included, per organisation.
func testAPIKeyList(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	other := newTenant(t, s, "beta")
	createKey(t, s, apiKey(tn, "key_old", 1))
	createKey(t, s, apiKey(tn, "key_mid", 2))
	createKey(t, s, apiKey(tn, "key_new", 3))
	createKey(t, s, apiKey(other, "key_beta", 4))
	ok(t, s.RevokeAPIKey(ctx(t), tn.org.ID, "key_mid", at(5)), "revoke")
	list, err := s.ListAPIKeys(ctx(t), tn.org.ID)
	ok(t, err, "list")
	sameList(t, ids(list, func(k storage.APIKey) string { return k.ID }), []string{"key_new", "key_mid", "key_old"}, "list order")
	list, err = s.ListAPIKeys(ctx(t), "org_none")
	ok(t, err, "list empty org")
	if len(list) != 0 {
		t.Errorf("empty organisation lists %d keys", len(list))
	}
}

// testAPIKeyTenancy: another organisation's key is ErrNotFound for every
// scoped method, and nothing of it changes.
func testAPIKeyTenancy(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	b := newTenant(t, s, "beta")
	kb := createKey(t, s, apiKey(b, "key_beta", 1))
	_, err := s.GetAPIKey(ctx(t), a.org.ID, kb.ID)
	wantErr(t, err, storage.ErrNotFound, "get another org's key")
	wantErr(t, s.RevokeAPIKey(ctx(t), a.org.ID, kb.ID, at(2)), storage.ErrNotFound, "revoke another org's key")
	wantErr(t, s.UpdateAPIKey(ctx(t), a.org.ID, kb.ID, "Hijacked", 1), storage.ErrNotFound, "update another org's key")
	wantErr(t, s.TouchAPIKey(ctx(t), a.org.ID, kb.ID, at(3), "198.51.100.1"), storage.ErrNotFound, "touch another org's key")
	next := apiKey(a, "key_next", 4)
	next.RotatedFrom = kb.ID
	wantErr(t, s.RotateAPIKey(ctx(t), a.org.ID, kb.ID, next, at(5)), storage.ErrNotFound, "rotate another org's key")
	_, err = s.GetAPIKeyByHash(ctx(t), [][]byte{next.SecretHash})
	wantErr(t, err, storage.ErrNotFound, "no successor stored by a refused rotation")
	got, err := s.GetAPIKey(ctx(t), b.org.ID, kb.ID)
	ok(t, err, "get own key")
	same(t, got, kb, "key unchanged by the other organisation")
	list, err := s.ListAPIKeys(ctx(t), a.org.ID)
	ok(t, err, "list a")
	if len(list) != 0 {
		t.Errorf("organisation a lists b's keys: %v", ids(list, func(k storage.APIKey) string { return k.ID }))
	}
}

// testAPIKeyRotate: the old key is marked replaced with its new expiry and
// the successor stored, both visible at once.
func testAPIKeyRotate(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	old := createKey(t, s, apiKey(tn, "key_old", 1))
	next := apiKey(tn, "key_next", 10)
	next.RotatedFrom = old.ID
	ok(t, s.RotateAPIKey(ctx(t), tn.org.ID, old.ID, next, at(70)), "rotate")
	got, err := s.GetAPIKey(ctx(t), tn.org.ID, old.ID)
	ok(t, err, "get old")
	want := old
	want.ReplacedBy, want.ExpiresAt = next.ID, at(70)
	same(t, got, want, "old key after rotation")
	got, err = s.GetAPIKeyByHash(ctx(t), [][]byte{next.SecretHash})
	ok(t, err, "get next by hash")
	same(t, got, next, "next key")
}

// testAPIKeyRotateRefused: a replaced or revoked key cannot be rotated
// (ErrConflict), a missing one is ErrNotFound, and a refused rotation
// stores nothing.
func testAPIKeyRotateRefused(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	old := createKey(t, s, apiKey(tn, "key_old", 1))
	next := apiKey(tn, "key_next", 2)
	next.RotatedFrom = old.ID
	ok(t, s.RotateAPIKey(ctx(t), tn.org.ID, old.ID, next, at(3)), "first rotation")
	again := apiKey(tn, "key_again", 4)
	again.RotatedFrom = old.ID
	wantErr(t, s.RotateAPIKey(ctx(t), tn.org.ID, old.ID, again, at(5)), storage.ErrConflict, "rotate a replaced key")
	revoked := createKey(t, s, apiKey(tn, "key_revoked", 6))
	ok(t, s.RevokeAPIKey(ctx(t), tn.org.ID, revoked.ID, at(7)), "revoke")
	fromRevoked := apiKey(tn, "key_fromrev", 8)
	fromRevoked.RotatedFrom = revoked.ID
	wantErr(t, s.RotateAPIKey(ctx(t), tn.org.ID, revoked.ID, fromRevoked, at(9)), storage.ErrConflict, "rotate a revoked key")
	missing := apiKey(tn, "key_frommiss", 10)
	missing.RotatedFrom = "key_missing"
	wantErr(t, s.RotateAPIKey(ctx(t), tn.org.ID, "key_missing", missing, at(11)), storage.ErrNotFound, "rotate a missing key")
	for _, k := range []storage.APIKey{again, fromRevoked, missing} {
		_, err := s.GetAPIKey(ctx(t), tn.org.ID, k.ID)
		wantErr(t, err, storage.ErrNotFound, "successor of a refused rotation "+k.ID)
	}
}

// testAPIKeyRotateRace: of concurrent rotations of one key exactly one
// succeeds and exactly one successor exists.
func testAPIKeyRotateRace(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	old := createKey(t, s, apiKey(tn, "key_old", 1))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := apiKey(tn, "key_next"+string(rune('a'+i)), 2)
			next.RotatedFrom = old.ID
			errs[i] = s.RotateAPIKey(ctx(t), tn.org.ID, old.ID, next, at(3))
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, storage.ErrConflict):
			t.Errorf("losing rotation: %v, want ErrConflict", err)
		}
	}
	list, err := s.ListAPIKeys(ctx(t), tn.org.ID)
	ok(t, err, "list")
	if wins != 1 || len(list) != 2 {
		t.Fatalf("%d rotations won and %d keys stored; want 1 and 2", wins, len(list))
	}
	got, err := s.GetAPIKey(ctx(t), tn.org.ID, old.ID)
	ok(t, err, "get old")
	succ := list[0]
	if succ.ID == old.ID {
		succ = list[1]
	}
	if got.ReplacedBy != succ.ID || succ.RotatedFrom != old.ID {
		t.Errorf("old key replaced by %q, but the successor stored is %q (from %q)", got.ReplacedBy, succ.ID, succ.RotatedFrom)
	}
}

// testAPIKeyRevoke: revocation keeps the first time; revoking again is nil.
func testAPIKeyRevoke(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	k := createKey(t, s, apiKey(tn, "key_one", 1))
	ok(t, s.RevokeAPIKey(ctx(t), tn.org.ID, k.ID, at(5)), "revoke")
	ok(t, s.RevokeAPIKey(ctx(t), tn.org.ID, k.ID, at(9)), "revoke again")
	got, err := s.GetAPIKeyByHash(ctx(t), [][]byte{k.SecretHash})
	ok(t, err, "a revoked key is still found (the caller decides)")
	if !got.RevokedAt.Equal(at(5)) {
		t.Errorf("revoked at %v, want the first time %v", got.RevokedAt, at(5))
	}
	wantErr(t, s.RevokeAPIKey(ctx(t), tn.org.ID, "key_missing", at(5)), storage.ErrNotFound, "revoke missing")
}

// testAPIKeyUpdateTouch: name and rpm change; last use never goes back.
func testAPIKeyUpdateTouch(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	k := createKey(t, s, apiKey(tn, "key_one", 1))
	ok(t, s.UpdateAPIKey(ctx(t), tn.org.ID, k.ID, "Renamed", 42), "update")
	ok(t, s.TouchAPIKey(ctx(t), tn.org.ID, k.ID, at(20), "203.0.113.1"), "touch")
	ok(t, s.TouchAPIKey(ctx(t), tn.org.ID, k.ID, at(10), "203.0.113.2"), "touch earlier")
	got, err := s.GetAPIKey(ctx(t), tn.org.ID, k.ID)
	ok(t, err, "get")
	want := k
	want.Name, want.RPM, want.LastUsedAt, want.LastUsedIP = "Renamed", 42, at(20), "203.0.113.1"
	same(t, got, want, "updated and touched key")
	wantErr(t, s.UpdateAPIKey(ctx(t), tn.org.ID, "key_missing", "x", 1), storage.ErrNotFound, "update missing")
	wantErr(t, s.TouchAPIKey(ctx(t), tn.org.ID, "key_missing", at(30), ""), storage.ErrNotFound, "touch missing")
}

// testAPIKeyChecks: malformed arguments are refused before any write.
func testAPIKeyChecks(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	for name, mutate := range map[string]func(*storage.APIKey){
		"no id":     func(k *storage.APIKey) { k.ID = "" },
		"no owner":  func(k *storage.APIKey) { k.OwnerID = "" },
		"no hash":   func(k *storage.APIKey) { k.SecretHash = nil },
		"no scopes": func(k *storage.APIKey) { k.Scopes = nil },
		"zero rpm":  func(k *storage.APIKey) { k.RPM = 0 },
		"revoked":   func(k *storage.APIKey) { k.RevokedAt = at(1) },
	} {
		k := apiKey(tn, "key_bad", 1)
		mutate(&k)
		if err := s.CreateAPIKey(ctx(t), k); err == nil || errors.Is(err, storage.ErrConflict) {
			t.Errorf("create with %s: error %v, want an argument error", name, err)
		}
	}
	if _, err := s.GetAPIKeyByHash(ctx(t), nil); err == nil {
		t.Error("GetAPIKeyByHash without hashes: no error")
	}
	old := createKey(t, s, apiKey(tn, "key_old", 2))
	next := apiKey(tn, "key_next", 3) // RotatedFrom not set
	if err := s.RotateAPIKey(ctx(t), tn.org.ID, old.ID, next, at(4)); err == nil {
		t.Error("rotation whose successor does not name the old key: no error")
	}
}

// testWidgetRotateKey: the new key finds the widget; the previous key
// still does, with PreviousKeyUntil set (the caller checks the time); a
// second rotation drops the first key.
func testWidgetRotateKey(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	ok(t, s.RotateWidgetKey(ctx(t), tn.org.ID, tn.widget.ID, "pk_new", at(100)), "rotate")
	want := tn.widget
	want.PublishableKey, want.PreviousKey, want.PreviousKeyUntil = "pk_new", tn.widget.PublishableKey, at(100)
	for _, key := range []string{"pk_new", tn.widget.PublishableKey} {
		got, err := s.GetWidgetByKey(ctx(t), key)
		ok(t, err, "get by "+key)
		same(t, got, want, "widget by "+key)
	}
	got, err := s.GetWidget(ctx(t), tn.org.ID, tn.widget.ID)
	ok(t, err, "get")
	same(t, got, want, "widget by id")
	ok(t, s.RotateWidgetKey(ctx(t), tn.org.ID, tn.widget.ID, "pk_newer", at(200)), "rotate again")
	_, err = s.GetWidgetByKey(ctx(t), tn.widget.PublishableKey)
	wantErr(t, err, storage.ErrNotFound, "the key before the previous one")
	got, err = s.GetWidgetByKey(ctx(t), "pk_new")
	ok(t, err, "get by the previous key")
	if got.PreviousKey != "pk_new" || !got.PreviousKeyUntil.Equal(at(200)) || got.PublishableKey != "pk_newer" {
		t.Errorf("after two rotations: %+v", got)
	}
	_, err = s.GetWidgetByKey(ctx(t), "")
	wantErr(t, err, storage.ErrNotFound, "empty key")
	other := newTenant(t, s, "beta")
	wantErr(t, s.RotateWidgetKey(ctx(t), tn.org.ID, tn.widget.ID, other.widget.PublishableKey, at(300)),
		storage.ErrConflict, "rotate to a key in use")
}

// testWidgetRotateKeyTenancy: an organisation cannot rotate another's
// widget key.
func testWidgetRotateKeyTenancy(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	b := newTenant(t, s, "beta")
	wantErr(t, s.RotateWidgetKey(ctx(t), a.org.ID, b.widget.ID, "pk_hijack", at(100)), storage.ErrNotFound, "rotate b's widget as a")
	got, err := s.GetWidgetByKey(ctx(t), b.widget.PublishableKey)
	ok(t, err, "b's widget by its key")
	same(t, got, b.widget, "b's widget unchanged")
	_, err = s.GetWidgetByKey(ctx(t), "pk_hijack")
	wantErr(t, err, storage.ErrNotFound, "no widget under the refused key")
}
