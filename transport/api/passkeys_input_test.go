package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// Malformed bodies and names are refused before any ceremony is touched.
func TestPasskeyMalformedInput(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	for _, body := range []any{
		map[string]any{"credential": "not an object"},
		map[string]any{"credential": map[string]any{"id": "x", "type": "public-key"}},
		map[string]any{},
		map[string]any{"credential": map[string]any{}, "extra": 1},
	} {
		e.do("POST", "/rest/v1/auth/passkeys/login/finish", body).expect(t, 400, "validation_failed")
		e.do("POST", "/rest/v1/auth/passkeys/register/finish", body, bearer(tok)).expect(t, 400, "validation_failed")
	}
	begin := e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 200, "")
	long := map[string]any{"name": strings.Repeat("n", maxPasskeyNameLen+1), "credential": newDevice(owner).attest(t, begin.body)}
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", long, bearer(tok)).expect(t, 400, "validation_failed")
	// The refused request left the challenge unused: a default name works.
	unnamed := map[string]any{"credential": newDevice(owner).attest(t, begin.body)}
	var v passkeyView
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", unnamed, bearer(tok)).expect(t, 201, "").json(t, &v)
	if v.Name != defaultPasskeyName {
		t.Fatalf("name %q, want %q", v.Name, defaultPasskeyName)
	}
	// One credential registered twice (a second ceremony) is a conflict.
	d := newDevice(owner)
	e.register(d, tok, "first")
	begin = e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 200, "")
	twice := map[string]any{"credential": d.attest(t, begin.body)}
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", twice, bearer(tok)).expect(t, 409, "conflict")
}

// An agent holds at most MaxPasskeysPerAgent passkeys.
func TestPasskeyCountCapped(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	for i := range storage.MaxPasskeysPerAgent {
		p := storage.Passkey{ID: fmt.Sprintf("psk_%d", i), OrgID: owner.OrgID, AgentID: owner.ID,
			CredentialID: []byte(fmt.Sprintf("cred-%d", i)), Name: "k", PublicKey: []byte{1}, CreatedAt: e.clock.Now()}
		if err := e.store.CreatePasskey(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 409, "conflict")
}

// ceremonyID accepts exactly the base64url of a well-formed hlc_ token.
func TestCeremonyID(t *testing.T) {
	token, id := security.NewOneTimeToken(security.CeremonyPrefix)
	got, ok := ceremonyID(base64.RawURLEncoding.EncodeToString([]byte(token)))
	if !ok || got != id {
		t.Fatalf("ceremonyID of a fresh challenge = %q, %v; want %q", got, ok, id)
	}
	other, _ := security.NewOneTimeToken(security.MagicLinkPrefix)
	for _, bad := range []string{"", "!!", base64.RawURLEncoding.EncodeToString([]byte(other)),
		base64.RawURLEncoding.EncodeToString([]byte(token + "x")), base64.StdEncoding.EncodeToString([]byte(token)),
		strings.Repeat("A", 200)} {
		if _, ok := ceremonyID(bad); ok {
			t.Errorf("ceremonyID(%q) accepted", bad)
		}
	}
}

// FuzzCeremonyID: whatever a client echoes as challenge, ceremonyID never
// panics and accepts only a well-formed ceremony token.
func FuzzCeremonyID(f *testing.F) {
	token, _ := security.NewOneTimeToken(security.CeremonyPrefix)
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(token)))
	f.Add("aGxjXw")
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ceremonyID(s)
		if !ok {
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if want, wok := security.OneTimeID(string(raw), security.CeremonyPrefix); err != nil || !wok || want != id {
			t.Fatalf("ceremonyID(%q) = %q, accepted a non-token", s, id)
		}
	})
}
