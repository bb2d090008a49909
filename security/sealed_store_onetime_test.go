package security

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// invitationToken is a pending invitation of e's organisation whose Data
// holds an invitee's email.
func (e *sealedEnv) invitationToken(id, email string) storage.OneTime {
	return storage.OneTime{ID: id, Purpose: storage.PurposeInvitation, OrgID: e.org, SubjectID: "agt_inviter",
		Data: `{"email":"` + email + `","role":"agent"}`, CreatedAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)}
}

// OneTime.Data reaches the SQLite backend sealed (the raw store, the
// database files) and comes back opened through every reading method;
// empty Data stays empty.
func TestSealedStoreSealsOneTimeData(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	const email = "invitee.canary.q7z@example.test"
	inv := e.invitationToken("inv_1", email)
	if err := e.s.PutOneTime(ctx, inv); err != nil {
		t.Fatal(err)
	}
	raw, err := e.raw.GetOneTime(ctx, inv.Purpose, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw.Data, envelopeFormat+":") || strings.Contains(raw.Data, "canary") {
		t.Fatalf("backend holds Data %q, want a sealed envelope", raw.Data)
	}
	if got, err := e.s.GetOneTime(ctx, inv.Purpose, inv.ID); err != nil || got.Data != inv.Data {
		t.Fatalf("get: %q, %v; want %q", got.Data, err, inv.Data)
	}
	list, err := e.s.ListOneTime(ctx, e.org, inv.Purpose, t0)
	if err != nil || len(list) != 1 || list[0].Data != inv.Data {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if got, err := e.s.ConsumeOneTime(ctx, inv.Purpose, inv.ID, t0.Add(time.Second)); err != nil || got.Data != inv.Data {
		t.Fatalf("consume: %q, %v", got.Data, err)
	}
	empty := storage.OneTime{ID: "link_1", Purpose: storage.PurposeMagicLink, OrgID: e.org, SubjectID: "agt_1",
		MaxAttempts: 5, ExpiresAt: t0.Add(time.Minute)}
	if err := e.s.PutOneTime(ctx, empty); err != nil {
		t.Fatal(err)
	}
	if raw, err := e.raw.GetOneTime(ctx, empty.Purpose, empty.ID); err != nil || raw.Data != "" {
		t.Fatalf("empty Data stored as %q, %v", raw.Data, err)
	}
	if got, err := e.s.ChargeOneTimeAttempt(ctx, empty.Purpose, empty.ID, t0); err != nil || got.Data != "" || got.Attempts != 1 {
		t.Fatalf("charge: %+v, %v", got, err)
	}
	if err := e.raw.Close(); err != nil {
		t.Fatal(err)
	}
	if data := strings.ToLower(string(dbBytes(t, e.path))); strings.Contains(data, email) {
		t.Fatal("the invitee's email is in the raw database files")
	}
}

// Sealed Data is bound to its token's purpose and id: copied onto another
// token, or read under another purpose, it does not open.
func TestSealedStoreOneTimeDataIsBoundToItsToken(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	a := e.invitationToken("inv_a", "a.canary@example.test")
	if err := e.s.PutOneTime(ctx, a); err != nil {
		t.Fatal(err)
	}
	raw, err := e.raw.GetOneTime(ctx, a.Purpose, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	moved := raw
	moved.ID = "inv_b"
	retyped := raw
	retyped.Purpose = storage.PurposeMagicLink
	for _, o := range []storage.OneTime{moved, retyped} {
		if err := e.raw.PutOneTime(ctx, o); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.GetOneTime(ctx, o.Purpose, o.ID)
		if !errors.Is(err, ErrDecrypt) || got.Data != "" {
			t.Errorf("%s/%s with another token's Data: %q, %v; want ErrDecrypt", o.Purpose, o.ID, got.Data, err)
		}
		if err != nil && strings.Contains(err.Error(), "canary") {
			t.Errorf("error holds the plaintext: %v", err)
		}
	}
}
