package security

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// A TOTP secret reaches the SQLite backend sealed (pending and, after
// enabling, enabled), is in no database file, and opens through GetMFA.
func TestSealedStoreSealsTOTPSecret(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	const secret = "CANARYQ7ZTOTPSECRETXYZ234567ABCD"
	p := storage.PendingTOTP{OrgID: e.org, AgentID: "agt_1", ID: "pend_1", Secret: secret, CreatedAt: t0}
	if err := e.s.BeginTOTP(ctx, p); err != nil {
		t.Fatal(err)
	}
	raw, err := e.raw.GetMFA(ctx, e.org, "agt_1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw.PendingSecret, envelopeFormat+":") || strings.Contains(raw.PendingSecret, "CANARY") {
		t.Fatalf("backend holds the pending secret %q, want a sealed envelope", raw.PendingSecret)
	}
	if got, err := e.s.GetMFA(ctx, e.org, "agt_1"); err != nil || got.PendingSecret != secret {
		t.Fatalf("get pending: %q, %v", got.PendingSecret, err)
	}
	if err := e.s.EnableTOTP(ctx, e.org, "agt_1", "pend_1", 7, nil, t0); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.GetMFA(ctx, e.org, "agt_1")
	if err != nil || got.Secret != secret || got.PendingSecret != "" {
		t.Fatalf("get enabled: %+v, %v", got, err)
	}
	if err := e.raw.Close(); err != nil {
		t.Fatal(err)
	}
	if data := string(dbBytes(t, e.path)); strings.Contains(strings.ToUpper(data), "CANARY") {
		t.Fatal("the TOTP secret is in the raw database files")
	}
}

// A sealed secret is bound to its agent: copied onto another agent's
// record it does not open.
func TestSealedStoreTOTPSecretIsBoundToItsAgent(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	if err := e.s.BeginTOTP(ctx, storage.PendingTOTP{OrgID: e.org, AgentID: "agt_a", ID: "p", Secret: "CANARYSECRET"}); err != nil {
		t.Fatal(err)
	}
	raw, err := e.raw.GetMFA(ctx, e.org, "agt_a")
	if err != nil {
		t.Fatal(err)
	}
	// The raw backend is handed the sealed value for another agent.
	if err := e.raw.BeginTOTP(ctx, storage.PendingTOTP{OrgID: e.org, AgentID: "agt_b", ID: "p", Secret: raw.PendingSecret}); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.GetMFA(ctx, e.org, "agt_b")
	if !errors.Is(err, ErrDecrypt) || got.PendingSecret != "" {
		t.Fatalf("another agent's sealed secret: %q, %v; want ErrDecrypt", got.PendingSecret, err)
	}
	if strings.Contains(err.Error(), "CANARY") {
		t.Errorf("error holds the plaintext: %v", err)
	}
}
