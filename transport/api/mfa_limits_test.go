package api

import (
	"context"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

func TestMFABackoffSchedule(t *testing.T) {
	t.Parallel()
	want := map[int]time.Duration{1: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 7: 4 * time.Second,
		14: 512 * time.Second, 15: 15 * time.Minute, 99: 15 * time.Minute, 1000: 15 * time.Minute}
	for n, d := range want {
		if got := mfaBackoff(n); got != d {
			t.Errorf("mfaBackoff(%d) = %v, want %v", n, got, d)
		}
	}
}

// mfaFailures returns the agent's stored failure count and backoff end.
func mfaFailures(t *testing.T, e *env, agent storage.Agent) (int, time.Time) {
	t.Helper()
	st, err := e.store.GetMFA(context.Background(), agent.OrgID, agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	return st.Failures, st.NextAttemptAt
}

// From the 5th consecutive failure the next attempt waits (1 s, doubling);
// an attempt during the wait is refused with the generic answer, even with
// the right code, and is not counted; exactly at its end the right code
// works and clears the count.
func TestMFABackoff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	var wrongBody []byte
	for i := 1; i <= 5; i++ {
		wrongBody = e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.wrongCode(acct.secret)}).
			expect(t, 401, "invalid_code").body
	}
	n, next := mfaFailures(t, e, owner)
	if n != 5 || !next.Equal(e.clock.Now().Add(time.Second)) {
		t.Fatalf("after 5 failures: %d, next attempt %v; want 5, now+1s", n, next)
	}
	e.clock.Advance(time.Second - time.Millisecond)
	r := e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.code(acct.secret)}).expect(t, 401, "invalid_code")
	if string(r.body) != string(wrongBody) {
		t.Fatalf("backoff answer %s differs from a wrong code's %s", r.body, wrongBody)
	}
	if n, _ := mfaFailures(t, e, owner); n != 5 {
		t.Fatalf("an attempt during backoff was counted: %d", n)
	}
	e.clock.Advance(time.Millisecond)
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.code(acct.secret)}).expect(t, 200, "")
	if n, next := mfaFailures(t, e, owner); n != 0 || !next.IsZero() {
		t.Fatalf("after success: %d, %v; want 0 and no wait", n, next)
	}
	// Doubling: failures 5, 6, 7 wait 1, 2 and 4 seconds.
	for i := 1; i <= 7; i++ {
		e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.wrongCode(acct.secret)}).expect(t, 401, "invalid_code")
		_, next := mfaFailures(t, e, owner)
		if want := mfaBackoff(i); !next.Equal(e.clock.Now().Add(want)) && !(want == 0 && next.IsZero()) {
			t.Fatalf("failure %d: next attempt %v, want now+%v", i, next, want)
		}
		e.clock.Advance(mfaBackoff(i))
	}
	if !auditHas(t, e, owner.OrgID, "auth.mfa_failed", "reason=backoff") {
		t.Fatal("a refused attempt in backoff was not audited")
	}
}

// 100 consecutive failures lock the second factor: the right code then
// gets the generic answer, forever, until a password reset clears the
// count (ClearMFAFailures). The 100th attempt itself is still checked.
// The password step is unaffected: the login limit is separate.
func TestMFALockAtHundred(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	ctx := context.Background()
	charge := func(from, to int) {
		for i := from; i < to; i++ {
			if err := e.store.ChargeMFAAttempt(ctx, owner.OrgID, owner.ID, i, e.clock.Now(), time.Time{}); err != nil {
				t.Fatalf("charge %d: %v", i, err)
			}
		}
	}
	// 99 failures (charged through the store for speed), then the right
	// code on the 100th attempt still works.
	charge(0, storage.MaxMFAFailures-1)
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.code(acct.secret)}).expect(t, 200, "")
	// 99 again, then a 100th wrong attempt through the API locks.
	charge(0, storage.MaxMFAFailures-1)
	wrong := e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.wrongCode(acct.secret)}).
		expect(t, 401, "invalid_code")
	if n, _ := mfaFailures(t, e, owner); n != storage.MaxMFAFailures {
		t.Fatalf("failures %d, want %d", n, storage.MaxMFAFailures)
	}
	for _, wait := range []time.Duration{16 * time.Minute, 30 * 24 * time.Hour} {
		e.clock.Advance(wait)
		r := e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.code(acct.secret)}).expect(t, 401, "invalid_code")
		if string(r.body) != string(wrong.body) {
			t.Fatalf("locked answer %s differs from a wrong code's %s", r.body, wrong.body)
		}
		e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "backup_code": acct.codes[0]}).expect(t, 401, "invalid_code")
	}
	if !auditHas(t, e, owner.OrgID, "auth.mfa_failed", "reason=locked") {
		t.Fatal("a locked attempt was not audited")
	}
	// What the password reset calls.
	if err := e.store.ClearMFAFailures(ctx, owner.OrgID, owner.ID); err != nil {
		t.Fatal(err)
	}
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.code(acct.secret)}).expect(t, 200, "")
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "backup_code": acct.codes[0]}).expect(t, 200, "")
}

// Second-factor failures count per agent: another agent's are untouched.
func TestMFAFailuresPerAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, aTok := e.seedOrg("Acme")
	b, bTok := e.seedOrg("Bolt")
	acctA, acctB := e.enrol(a, aTok), e.enrol(b, bTok)
	for range 6 {
		e.verify(map[string]any{"mfa_ticket": e.ticket(a.Email), "code": e.wrongCode(acctA.secret)}).expect(t, 401, "invalid_code")
	}
	e.verify(map[string]any{"mfa_ticket": e.ticket(b.Email), "code": e.code(acctB.secret)}).expect(t, 200, "")
}
