package api

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// createdKey is the answer of POST /api-keys and of a rotation, and
// listedKey one entry of GET /api-keys: the handlers' own types (the
// OpenAPI answer checks pin their JSON shape).
type (
	createdKey = apiKeyCreated
	listedKey  = apiKeyView
)

// createKey creates a key through POST /api-keys with the session token.
func (e *env) createKey(token string, body map[string]any) createdKey {
	e.t.Helper()
	var k createdKey
	e.do("POST", "/rest/v1/api-keys", body, bearer(token)).expect(e.t, 201, "").json(e.t, &k)
	return k
}

// seedKey stores a key of owner with scopes directly (mode live unless
// changed by mutate) and returns it with its text.
func (e *env) seedKey(owner storage.Agent, mode string, scopes []string, mutate ...func(*storage.APIKey)) (storage.APIKey, string) {
	e.t.Helper()
	secret, err := security.NewAPIKey(security.KeyKindSecret, mode)
	if err != nil {
		e.t.Fatal(err)
	}
	k := storage.APIKey{ID: storage.NewID("key"), OrgID: owner.OrgID, OwnerID: owner.ID, Name: "seeded",
		Prefix: security.KeyPrefix(secret), Mode: mode, Scopes: scopes, Secret: secret,
		SecretHash: e.store.KeyedHash(security.KeyPurposeAPIKey, secret), RPM: 600,
		CreatedAt: e.clock.Now().Truncate(time.Millisecond)}
	for _, m := range mutate {
		m(&k)
	}
	if err := e.store.CreateAPIKey(context.Background(), k); err != nil {
		e.t.Fatalf("seed key: %v", err)
	}
	return k, secret
}

// countingStore counts the key lookups and touches that reach the store.
type countingStore struct {
	*security.SealedStore
	lookups atomic.Int32
	touches atomic.Int32
}

func (s *countingStore) GetAPIKeyByHash(ctx context.Context, hashes [][]byte) (storage.APIKey, error) {
	s.lookups.Add(1)
	return s.SealedStore.GetAPIKeyByHash(ctx, hashes)
}

func (s *countingStore) TouchAPIKey(ctx context.Context, orgID, id string, at time.Time, ip string) error {
	s.touches.Add(1)
	return s.SealedStore.TouchAPIKey(ctx, orgID, id, at, ip)
}

// newCountingEnv is newEnv with the store wrapped in a countingStore.
func newCountingEnv(t *testing.T, mutate ...func(*Config)) (*env, *countingStore) {
	var cs *countingStore
	wrap := func(c *Config) {
		cs = &countingStore{SealedStore: c.Store.(*security.SealedStore)}
		c.Store = cs
	}
	return newEnv(t, append([]func(*Config){wrap}, mutate...)...), cs
}

// failingKeyStore fails every key lookup as a store outage.
type failingKeyStore struct{ *security.SealedStore }

func (failingKeyStore) GetAPIKeyByHash(context.Context, [][]byte) (storage.APIKey, error) {
	return storage.APIKey{}, storage.ErrUnavailable
}
