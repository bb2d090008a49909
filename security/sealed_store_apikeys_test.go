package security

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// An API key's text reaches the backend sealed (create and rotate), is in
// no database file, opens through every read, and is bound to its key id:
// copied onto another key it does not open.
func TestSealedStoreSealsAPIKeySecret(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	secret, err := NewAPIKey(KeyKindSecret, KeyModeLive)
	if err != nil {
		t.Fatal(err)
	}
	k := storage.APIKey{ID: "key_1", OrgID: e.org, OwnerID: "agt_1", Name: "k", Prefix: KeyPrefix(secret), Mode: "live",
		Scopes: []string{"chats:read"}, SecretHash: e.c.KeyedHash(KeyPurposeAPIKey, secret), Secret: secret, RPM: 1, CreatedAt: t0}
	if err := e.s.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	next, err := NewAPIKey(KeyKindSecret, KeyModeLive)
	if err != nil {
		t.Fatal(err)
	}
	k2 := k
	k2.ID, k2.Secret, k2.SecretHash, k2.RotatedFrom = "key_2", next, e.c.KeyedHash(KeyPurposeAPIKey, next), k.ID
	if err := e.s.RotateAPIKey(ctx, e.org, k.ID, k2, t0); err != nil {
		t.Fatal(err)
	}
	for _, want := range []storage.APIKey{k, k2} {
		raw, err := e.raw.GetAPIKey(ctx, e.org, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw.Secret, envelopeFormat+":") || strings.Contains(raw.Secret, want.Secret[8:]) {
			t.Fatalf("backend holds %q, want a sealed envelope", raw.Secret)
		}
		got, err := e.s.GetAPIKeyByHash(ctx, e.c.KeyedHashes(KeyPurposeAPIKey, want.Secret))
		if err != nil || got.Secret != want.Secret {
			t.Fatalf("by hash: %q, %v", got.Secret, err)
		}
	}
	list, err := e.s.ListAPIKeys(ctx, e.org)
	if err != nil || len(list) != 2 || list[0].Secret == "" || list[1].Secret == "" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	// Bound to its id: key_1's envelope stored on key_3 does not open.
	raw1, _ := e.raw.GetAPIKey(ctx, e.org, k.ID)
	k3 := k
	k3.ID, k3.SecretHash, k3.Secret, k3.RotatedFrom = "key_3", []byte("other-hash"), raw1.Secret, ""
	if err := e.raw.CreateAPIKey(ctx, k3); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.GetAPIKey(ctx, e.org, "key_3"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("a moved envelope: %v, want ErrDecrypt", err)
	}
	if err := e.raw.Close(); err != nil {
		t.Fatal(err)
	}
	if data := string(dbBytes(t, e.path)); strings.Contains(data, secret[8:]) || strings.Contains(data, next[8:]) {
		t.Fatal("an API key is in the raw database files")
	}
}
