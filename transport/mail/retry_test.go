package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// During an outage a mail is retried with exponential backoff, exactly
// at its retry time and not a millisecond before, and is delivered once
// the server is back. drain runs the worker's loop body synchronously.
func TestQueueRetriesWithBackoffThroughAnOutage(t *testing.T) {
	srv := testsvc.StartSMTP(t)
	srv.Refuse(true)
	clk := newClock()
	q, _, logs := newTestQueue(t, newSMTPSender(t, srv), clk)
	ctx := context.Background()
	if err := q.Enqueue(ctx, magicLink("ada@example.test")); err != nil {
		t.Fatal(err)
	}
	q.drain(ctx) // attempt 1 fails: retry in 30 s
	clk.add(DefaultRetryBase - time.Millisecond)
	q.drain(ctx) // not due yet
	if !strings.Contains(logs.String(), `"reason":"mail 451"`) || strings.Count(logs.String(), "will retry") != 1 {
		t.Fatalf("after one refused attempt and an early drain, logs:\n%s", logs)
	}
	clk.add(time.Millisecond)
	q.drain(ctx) // attempt 2 fails: retry in 60 s
	clk.add(2*DefaultRetryBase - time.Millisecond)
	q.drain(ctx)
	if n := strings.Count(logs.String(), "will retry"); n != 2 {
		t.Fatalf("%d retries logged, want 2:\n%s", n, logs)
	}
	srv.Refuse(false)
	q.drain(ctx)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages before the retry time", n)
	}
	clk.add(time.Millisecond)
	q.drain(ctx)
	if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "ada@example.test" {
		t.Fatalf("after the outage: %+v", got)
	}
	clk.add(24 * time.Hour)
	q.drain(ctx)
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages, want the one (sent mail is not sent again)", n)
	}
}

// The backoff doubles from RetryBase and is capped at RetryMax.
func TestQueueBackoff(t *testing.T) {
	q, _, _ := newTestQueue(t, senderFunc(func(context.Context, Envelope) error { return nil }), newClock())
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := q.backoff(i + 1); got != w {
			t.Errorf("backoff after attempt %d = %s, want %s", i+1, got, w)
		}
	}
}

// After MaxAttempts failed sends the mail is given up: one error line
// with only its kind and id, and no further attempt ever.
func TestQueueGivesUpAfterMaxAttempts(t *testing.T) {
	var sends atomic.Int32
	clk := newClock()
	q, _, logs := newTestQueue(t, senderFunc(func(context.Context, Envelope) error {
		sends.Add(1)
		return &SendError{Reason: "dial", Err: errors.New("connection refused by ada@example.test")}
	}), clk, func(c *QueueConfig) { c.MaxAttempts = 3 })
	ctx := context.Background()
	if err := q.Enqueue(ctx, magicLink("ada@example.test")); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		q.drain(ctx)
		clk.add(DefaultRetryMax)
	}
	if n := sends.Load(); n != 3 {
		t.Fatalf("%d sends, want 3", n)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "given up") {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, `"level":"error"`) || !strings.Contains(line, `"kind":"magic_link"`) ||
		!strings.Contains(line, `"mail_id":"mail_`) || strings.Count(line, ":") != 4 {
		t.Fatalf("give-up line %q: want an error with level, kind, mail_id and message only", line)
	}
}

// A permanent failure (the recipient refused) is given up at once.
func TestQueueGivesUpOnPermanentFailure(t *testing.T) {
	var sends atomic.Int32
	clk := newClock()
	q, _, logs := newTestQueue(t, senderFunc(func(context.Context, Envelope) error {
		sends.Add(1)
		return &SendError{Reason: "rcpt 550", Permanent: true, Err: errors.New("550 no such user")}
	}), clk)
	ctx := context.Background()
	if err := q.Enqueue(ctx, magicLink("ada@example.test")); err != nil {
		t.Fatal(err)
	}
	q.drain(ctx)
	clk.add(48 * time.Hour)
	q.drain(ctx)
	if n := sends.Load(); n != 1 || !strings.Contains(logs.String(), "mail given up") {
		t.Fatalf("%d sends, logs:\n%s", n, logs)
	}
}

// Two workers (two nodes) on one store deliver every mail exactly once.
func TestQueueTwoWorkersSendEachMailOnce(t *testing.T) {
	srv := testsvc.StartSMTP(t)
	clk := newClock()
	a, st, _ := newTestQueue(t, newSMTPSender(t, srv), clk, func(c *QueueConfig) { c.Poll = 5 * time.Millisecond })
	b, _ := queueOn(t, st, newSMTPSender(t, srv), clk, func(c *QueueConfig) { c.Poll = 5 * time.Millisecond })
	run(t, a)
	run(t, b)
	const n = 20
	for i := range n {
		q := a
		if i%2 == 1 {
			q = b
		}
		if err := q.Enqueue(context.Background(), magicLink(fmt.Sprintf("agent%02d@example.test", i))); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Wait(t, n, 20*time.Second)
	time.Sleep(50 * time.Millisecond) // ten poll rounds: a duplicate would show
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		seen[m.To[0]]++
	}
	if len(got) < n || len(seen) != n || len(srv.Messages()) != n {
		t.Fatalf("%d messages to %d recipients, want %d each once: %v", len(srv.Messages()), len(seen), n, seen)
	}
}

// Enqueue refuses header injection (CR or LF in To or Subject), a list
// of recipients, and oversized or empty fields, storing nothing.
func TestQueueEnqueueRefusesBadMessages(t *testing.T) {
	q, st, _ := newTestQueue(t, senderFunc(func(context.Context, Envelope) error { return nil }), newClock())
	ok := magicLink("ada@example.test")
	bad := map[string]func(m *Message){
		"LF in to":        func(m *Message) { m.To = "ada@example.test\nBcc: eve@example.test" },
		"CRLF in to":      func(m *Message) { m.To = "ada@example.test\r\nBcc: eve@example.test" },
		"CR in subject":   func(m *Message) { m.Subject = "Sign in\rBcc: eve@example.test" },
		"LF in subject":   func(m *Message) { m.Subject = "Sign in\nBcc: eve@example.test" },
		"tab in subject":  func(m *Message) { m.Subject = "Sign\tin" },
		"two recipients":  func(m *Message) { m.To = "ada@example.test, eve@example.test" },
		"no address":      func(m *Message) { m.To = "ada" },
		"empty subject":   func(m *Message) { m.Subject = "" },
		"long subject":    func(m *Message) { m.Subject = strings.Repeat("s", maxSubjectBytes+1) },
		"long text":       func(m *Message) { m.Text = strings.Repeat("t", maxTextBytes+1) },
		"invalid utf-8":   func(m *Message) { m.Text = "\xff" },
		"no kind":         func(m *Message) { m.Kind = "" },
		"kind with space": func(m *Message) { m.Kind = "magic link" },
	}
	for name, f := range bad {
		m := ok
		f(&m)
		if err := q.Enqueue(context.Background(), m); err == nil {
			t.Errorf("%s: enqueued", name)
		}
	}
	if left, _ := st.ClaimMail(context.Background(), newClock().Now().Add(time.Hour), time.Minute, 100); len(left) != 0 {
		t.Fatalf("%d refused mails stored", len(left))
	}
	named := ok
	named.To = "Ada Lovelace <ada@example.test>"
	if err := q.Enqueue(context.Background(), named); err != nil {
		t.Fatalf("a named address: %v", err)
	}
}
