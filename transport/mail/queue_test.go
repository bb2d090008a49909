package mail

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// newSMTPSender returns an SMTP sender for srv.
func newSMTPSender(t *testing.T, srv *testsvc.SMTPServer) *SMTP {
	t.Helper()
	s, err := NewSMTP(SMTPConfig{URL: srv.URL(), TLSConfig: srv.ClientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A queued mail reaches a real SMTP server once, with its headers, and is
// then marked sent (never claimed again).
func TestQueueDeliversThroughSMTP(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithSTARTTLS())
	clk := newClock()
	q, st, _ := newTestQueue(t, newSMTPSender(t, srv), clk)
	run(t, q)
	if err := q.Enqueue(context.Background(), magicLink("ada@example.test")); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 20*time.Second)[0]
	if got.From != "no-reply@chat.example.test" || len(got.To) != 1 || got.To[0] != "ada@example.test" || !got.TLS {
		t.Fatalf("envelope %q → %v (tls %v)", got.From, got.To, got.TLS)
	}
	if got.Subject != "Sign in to helpr" || !strings.Contains(got.Body, "https://chat.example.test/console/#magic=canarytoken") {
		t.Fatalf("subject %q body %q", got.Subject, got.Body)
	}
	if id := got.Header.Get("Message-ID"); !strings.HasPrefix(id, "<mail_") || !strings.HasSuffix(id, "@chat.example.test>") {
		t.Errorf("Message-ID %q", id)
	}
	if d, err := got.Header.Date(); err != nil || !d.Equal(clk.Now()) {
		t.Errorf("Date %v (%v), want the queue time %v", d, err, clk.Now())
	}
	waitFor(t, "the mail marked sent", func() bool {
		left, err := st.ClaimMail(context.Background(), clk.Now().Add(24*time.Hour), time.Minute, 10)
		return err == nil && len(left) == 0
	})
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}

// waitFor polls cond for up to 20 s (a deadlock guard, not a speed limit).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// A restart loses nothing: mail queued by a queue that stopped before
// sending (never started, or stopped mid-send) is delivered by a new Queue
// on the same store file, at once.
func TestQueueRestartLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "helpr.db")
	clk := newClock()
	st := openStore(t, path)
	idle, _ := queueOn(t, st, senderFunc(func(context.Context, Envelope) error {
		t.Error("the first queue never runs, so never sends")
		return nil
	}), clk)
	if err := idle.Enqueue(context.Background(), magicLink("first@example.test")); err != nil {
		t.Fatal(err)
	}
	if err := idle.Enqueue(context.Background(), magicLink("second@example.test")); err != nil {
		t.Fatal(err)
	}
	var sending atomic.Bool
	started := make(chan struct{})
	stuck, _ := queueOn(t, st, senderFunc(func(ctx context.Context, e Envelope) error {
		if sending.CompareAndSwap(false, true) {
			close(started)
		}
		<-ctx.Done() // a server that never answers
		return &SendError{Reason: "data", Err: ctx.Err()}
	}), clk)
	stop := run(t, stuck)
	<-started
	stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	srv := testsvc.StartSMTP(t)
	fresh, _ := queueOn(t, openStore(t, path), newSMTPSender(t, srv), clk)
	run(t, fresh)
	got := srv.Wait(t, 2, 20*time.Second)
	to := map[string]bool{}
	for _, m := range got {
		to[m.To[0]] = true
	}
	if !to["first@example.test"] || !to["second@example.test"] {
		t.Fatalf("delivered to %v, want both queued mails", to)
	}
}
