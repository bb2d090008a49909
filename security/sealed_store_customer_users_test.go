package security

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// Customer users are sealed at rest (external id, name, email), found by
// their keyed index (not by a plaintext id), bound to their record, and
// move to new key versions with Reencrypt, after which the old versions
// retire without losing them.
func TestSealedCustomerUsersAtRestAndAcrossRotation(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	u := storage.CustomerUser{ID: "cus_canary", OrgID: e.org, ExternalID: "ext-canary-42", Name: "Canary Name",
		Email: "canary@example.test", TokenVersion: 1, CreatedAt: t0, LastSeenAt: t0}
	if err := e.s.CreateCustomerUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	raw, err := e.raw.GetCustomerUser(ctx, e.org, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{raw.ExternalID, raw.Name, raw.Email} {
		if !strings.HasPrefix(v, envelopeFormat+":") || strings.Contains(v, "canary") {
			t.Fatalf("stored unsealed: %q", v)
		}
	}
	got, err := e.s.FindCustomerUserByExternalID(ctx, e.org, "ext-canary-42")
	if err != nil || got.ID != u.ID || got.Name != u.Name || got.Email != u.Email {
		t.Fatalf("find by external id: %+v %v", got, err)
	}
	if _, err := e.s.FindCustomerUserByExternalID(ctx, "org_other", "ext-canary-42"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another organisation's lookup: %v", err)
	}
	// A sealed value moved onto another record does not open.
	other := storage.CustomerUser{ID: "cus_other", OrgID: e.org, ExternalID: "ext-other", TokenVersion: 1, CreatedAt: t0}
	if err := e.s.CreateCustomerUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	stolen, _ := e.raw.GetCustomerUser(ctx, e.org, "cus_other")
	stolen.Name = raw.Name
	if err := e.raw.UpdateCustomerUser(ctx, stolen); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.GetCustomerUser(ctx, e.org, "cus_other"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("a value moved to another user opened: %v", err)
	}
	stolen.Name = ""
	if err := e.raw.UpdateCustomerUser(ctx, stolen); err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{KeyPII, KeyBlindIndex} {
		if _, err := e.k.Rotate(name, t0); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, e, KeyPII, 1); n != 4 { // canary: 3 fields; other: its external id
		t.Fatalf("pii values on v1: %d, want 4", n)
	}
	if n := count(t, e, KeyBlindIndex, 1); n != 2 {
		t.Fatalf("indexes on v1: %d, want 2", n)
	}
	p, err := Reencrypt(ctx, e.raw, e.c, "", 0, nil)
	if err != nil || p.Reencrypted != 2 {
		t.Fatalf("reencrypt: %+v %v", p, err)
	}
	for _, name := range []string{KeyPII, KeyBlindIndex} {
		if n := count(t, e, name, 1); n != 0 {
			t.Fatalf("%s v1 still used by %d values", name, n)
		}
		if err := e.k.Retire(name, 1); err != nil {
			t.Fatal(err)
		}
	}
	got, err = e.s.FindCustomerUserByExternalID(ctx, e.org, "ext-canary-42")
	if err != nil || got.Name != u.Name {
		t.Fatalf("after retiring v1: %+v %v", got, err)
	}
}
