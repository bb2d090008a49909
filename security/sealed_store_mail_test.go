package security

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// mail returns a queued magic-link mail of e's organisation.
func (e *sealedEnv) mail(id, to string) storage.Mail {
	return storage.Mail{ID: id, OrgID: e.org, Kind: "magic_link", To: to, Subject: "Sign in to helpr",
		Text: "Open https://chat.example.test/console/#magic=canarytoken" + id, CreatedAt: t0, NextAt: t0}
}

// A mail's To, Subject and Text reach the SQLite backend sealed (neither
// the raw store nor the database files hold them) and come back opened
// from ClaimMail.
func TestSealedStoreSealsMail(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	const to = "mail.canary.k3v@example.test"
	m := e.mail("mail_1", to)
	if err := e.s.EnqueueMail(ctx, m); err != nil {
		t.Fatal(err)
	}
	raw, err := e.raw.ClaimMail(ctx, t0, time.Minute, 1)
	if err != nil || len(raw) != 1 {
		t.Fatalf("raw claim: %+v, %v", raw, err)
	}
	for name, v := range map[string]string{"to": raw[0].To, "subject": raw[0].Subject, "text": raw[0].Text} {
		if !strings.HasPrefix(v, envelopeFormat+":") || strings.Contains(v, "canary") || strings.Contains(v, "Sign in") {
			t.Errorf("backend holds %s %q, want a sealed envelope", name, v)
		}
	}
	got, err := e.s.ClaimMail(ctx, t0.Add(time.Minute), time.Minute, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("sealed claim: %+v, %v", got, err)
	}
	if got[0].To != m.To || got[0].Subject != m.Subject || got[0].Text != m.Text || got[0].Attempts != 2 {
		t.Fatalf("claimed %+v, want the mail opened with 2 attempts", got[0])
	}
	if err := e.raw.Close(); err != nil {
		t.Fatal(err)
	}
	data := strings.ToLower(string(dbBytes(t, e.path)))
	for _, plain := range []string{to, "canarytoken", "sign in to helpr"} {
		if strings.Contains(data, plain) {
			t.Errorf("%q is in the raw database files", plain)
		}
	}
}

// Sealed fields are bound to their mail and field: a text copied onto
// another mail does not open, that mail is given up (it can never be
// sent), and the other mails of the same claim are still returned.
func TestSealedStoreMailIsBoundToItsRecord(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	a := e.mail("mail_a", "a@example.test")
	sealedA, err := sealMail(e.c, a)
	if err != nil {
		t.Fatal(err)
	}
	moved := sealedA
	moved.ID = "mail_moved" // another mail carrying a's sealed fields
	swapped := sealedA
	swapped.ID, swapped.To, swapped.Subject = "mail_swapped", sealedA.Subject, sealedA.To // fields exchanged
	for _, m := range []storage.Mail{moved, swapped} {
		if err := e.raw.EnqueueMail(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.s.EnqueueMail(ctx, e.mail("mail_ok", "ok@example.test")); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.ClaimMail(ctx, t0, time.Minute, 10)
	if err == nil || !strings.Contains(err.Error(), "mail_moved") || !strings.Contains(err.Error(), "mail_swapped") {
		t.Fatalf("claim error %v, want one naming both tampered mails", err)
	}
	if len(got) != 1 || got[0].ID != "mail_ok" || got[0].To != "ok@example.test" {
		t.Fatalf("claimed %+v, want only mail_ok, opened", got)
	}
	again, err := e.s.ClaimMail(ctx, t0.Add(time.Hour), time.Minute, 10)
	if err != nil || len(again) != 1 || again[0].ID != "mail_ok" {
		t.Fatalf("after the lease: %+v, %v; want only mail_ok (the tampered ones given up)", again, err)
	}
}
