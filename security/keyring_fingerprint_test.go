package security

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFingerprintHoldsNoMaterialAndIsStable(t *testing.T) {
	k := newTestKeyringAt(t, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	fp := k.Fingerprint()
	want := "helpr-keyring-fingerprint-v1 pii/1/2026-01-02T03:04:05.000000006Z " +
		"blind-index/1/2026-01-02T03:04:05.000000006Z pseudonym/1/2026-01-02T03:04:05.000000006Z"
	if string(fp) != want {
		t.Fatalf("fingerprint = %q, want %q", fp, want)
	}
	again, err := ParseKeyring(mustMarshal(t, k))
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint() != fp {
		t.Fatalf("fingerprint changed over Marshal/ParseKeyring: %q", again.Fingerprint())
	}
	if len(fp.ID()) != 12 {
		t.Fatalf("ID %q, want 12 hex digits", fp.ID())
	}
}

func TestFingerprintCovers(t *testing.T) {
	now := time.Now()
	a := newTestKeyringAt(t, now)
	b := newTestKeyringAt(t, now.Add(time.Nanosecond))
	recorded := a.Fingerprint()
	if err := a.Fingerprint().Covers(recorded); err != nil {
		t.Fatalf("a keyring does not cover itself: %v", err)
	}
	err := b.Fingerprint().Covers(recorded)
	if !errors.Is(err, ErrKeyringMismatch) || !strings.Contains(err.Error(), recorded.ID()) ||
		!strings.Contains(err.Error(), b.Fingerprint().ID()) {
		t.Fatalf("another keyring: Covers = %v, want ErrKeyringMismatch naming both ids", err)
	}
	if _, err := a.Rotate(KeyPII, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := a.Retire(KeyPII, 1); err != nil {
		t.Fatal(err)
	}
	if err := a.Fingerprint().Covers(recorded); err != nil {
		t.Fatalf("rotated and retired keyring does not cover its origin: %v", err)
	}
	if err := KeyringFingerprint(recorded).Covers(a.Fingerprint()); !errors.Is(err, ErrKeyringMismatch) {
		t.Fatalf("the keyring before rotation covers the rotated one: %v", err)
	}
	if err := a.Fingerprint().Covers("garbage"); err == nil {
		t.Fatal("Covers accepted a malformed recorded fingerprint")
	}
}

func newTestKeyringAt(t *testing.T, now time.Time) *Keyring {
	t.Helper()
	k, err := NewKeyring(now)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustMarshal(t *testing.T, k *Keyring) []byte {
	t.Helper()
	b, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
