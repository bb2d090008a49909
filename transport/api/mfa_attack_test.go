package api

import (
	"context"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// The enrolment code cannot sign in: enabling recorded its step as used,
// so neither it nor the code of the step before is accepted afterwards.
func TestMFAEnrolmentCodeCannotLogIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	var s setupAnswer
	e.do("POST", "/rest/v1/auth/totp/setup", map[string]any{}, bearer(tok)).expect(t, 200, "").json(t, &s)
	enrolCode := e.code(s.Secret)
	e.do("POST", "/rest/v1/auth/totp/enable", map[string]any{"code": enrolCode}, bearer(tok)).expect(t, 200, "")
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": enrolCode}).expect(t, 401, "invalid_code")
	prev := codeAt(t, s.Secret, e.clock.Now().Add(-security.TOTPPeriod))
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": prev}).expect(t, 401, "invalid_code")
	if !auditHas(t, e, owner.OrgID, "auth.mfa_failed", "reason=code_reused") {
		t.Fatal("the replayed enrolment code was not audited as reused")
	}
	e.clock.Advance(security.TOTPPeriod)
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.code(s.Secret)}).expect(t, 200, "")
}

// One code is accepted once: again on a fresh ticket it is refused.
func TestMFACodeReplaySequential(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	code := e.code(acct.secret)
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": code}).expect(t, 200, "")
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": code}).expect(t, 401, "invalid_code")
	// Still refused within the whole ±1 window that would otherwise take it.
	e.clock.Advance(security.TOTPPeriod)
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": code}).expect(t, 401, "invalid_code")
}

// One code submitted 10 times at once, on 10 tickets: exactly one session.
func TestMFACodeReplayConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	tickets := make([]string, 10)
	for i := range tickets {
		tickets[i] = e.ticket(owner.Email)
	}
	code := e.code(acct.secret)
	statuses := parallel(10, func(i int) int {
		return e.verify(map[string]any{"mfa_ticket": tickets[i], "code": code}).status
	})
	if count(statuses, 200) != 1 || count(statuses, 401) != 9 {
		t.Fatalf("statuses %v, want one 200 and nine 401", statuses)
	}
	if n := liveSessions(t, e, owner); n != 2 { // the seeded token's and one new
		t.Fatalf("%d live sessions, want 2", n)
	}
}

// liveSessions counts the agent's unrevoked sessions.
func liveSessions(t *testing.T, e *env, agent storage.Agent) int {
	t.Helper()
	list, err := e.store.ListSessions(context.Background(), agent.OrgID, storage.SubjectAgent, agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range list {
		if s.RevokedAt.IsZero() {
			n++
		}
	}
	return n
}

// One backup code submitted 10 times at once: exactly one success.
func TestMFABackupCodeConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Mailer = &captureMailer{} })
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	tickets := make([]string, 10)
	for i := range tickets {
		tickets[i] = e.ticket(owner.Email)
	}
	statuses := parallel(10, func(i int) int {
		return e.verify(map[string]any{"mfa_ticket": tickets[i], "backup_code": acct.codes[0]}).status
	})
	if count(statuses, 200) != 1 || count(statuses, 401) != 9 {
		t.Fatalf("statuses %v, want one 200 and nine 401", statuses)
	}
	codes, err := e.store.ListBackupCodes(context.Background(), owner.OrgID, owner.ID)
	if err != nil || len(codes) != 9 {
		t.Fatalf("%d codes left, %v; want 9", len(codes), err)
	}
}

// ±1 step is accepted, ±2 refused, on the server's injected clock.
func TestMFASkewWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	e.clock.Advance(10 * security.TOTPPeriod)
	now := e.clock.Now()
	step := func(d int) string { return codeAt(t, acct.secret, now.Add(time.Duration(d)*security.TOTPPeriod)) }
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": step(-2)}).expect(t, 401, "invalid_code")
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": step(+2)}).expect(t, 401, "invalid_code")
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": step(-1)}).expect(t, 200, "")
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": step(+1)}).expect(t, 200, "")
}

// A ticket is single use: after a successful second step it is refused,
// even with a fresh code.
func TestMFATicketSingleUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	ticket := e.ticket(owner.Email)
	e.verify(map[string]any{"mfa_ticket": ticket, "code": e.code(acct.secret)}).expect(t, 200, "")
	e.clock.Advance(security.TOTPPeriod)
	e.verify(map[string]any{"mfa_ticket": ticket, "code": e.code(acct.secret)}).expect(t, 401, "invalid_token")
	for _, bad := range []string{"", "hlt_nope", "hlm_" + ticket[4:], ticket + "x"} {
		e.verify(map[string]any{"mfa_ticket": bad, "code": e.code(acct.secret)}).expect(t, 401, "invalid_token")
	}
}

// A ticket lives 5 minutes: 1 ms before is fine, the 5-minute mark itself
// is too late.
func TestMFATicketExpiresAtFiveMinutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	early, late := e.ticket(owner.Email), e.ticket(owner.Email)
	e.clock.Advance(5*time.Minute - time.Millisecond)
	e.verify(map[string]any{"mfa_ticket": early, "code": e.code(acct.secret)}).expect(t, 200, "")
	e.clock.Advance(time.Millisecond)
	e.verify(map[string]any{"mfa_ticket": late, "code": e.code(acct.secret)}).expect(t, 401, "invalid_token")
}

// A ticket names its account: another account's valid code does not
// satisfy it, and a satisfied ticket signs in only its own account.
func TestMFATicketBoundToAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, aTok := e.seedOrg("Acme")
	b, bTok := e.seedOrg("Bolt")
	acctA, acctB := e.enrol(a, aTok), e.enrol(b, bTok)
	ticketA := e.ticket(a.Email)
	e.verify(map[string]any{"mfa_ticket": ticketA, "code": e.code(acctB.secret)}).expect(t, 401, "invalid_code")
	e.verify(map[string]any{"mfa_ticket": ticketA, "backup_code": acctB.codes[0]}).expect(t, 401, "invalid_code")
	var tk tokenResponse
	e.verify(map[string]any{"mfa_ticket": ticketA, "code": e.code(acctA.secret)}).expect(t, 200, "").json(t, &tk)
	var me struct{ ID string }
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.ID != a.ID {
		t.Fatalf("ticket of %s signed in %s", a.ID, me.ID)
	}
	// B's code is still unused (A's ticket never consumed it).
	e.verify(map[string]any{"mfa_ticket": e.ticket(b.Email), "backup_code": acctB.codes[0]}).expect(t, 200, "")
}

// A ticket takes at most 10 tries.
func TestMFATicketAttemptsCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	ticket := e.ticket(owner.Email)
	for i := range mfaTicketAttempts {
		e.verify(map[string]any{"mfa_ticket": ticket, "code": e.wrongCode(acct.secret)}).expect(t, 401, "invalid_code")
		e.clock.Advance(mfaBackoff(i+1) + time.Second) // stay clear of the per-agent backoff
	}
	e.verify(map[string]any{"mfa_ticket": ticket, "code": e.code(acct.secret)}).expect(t, 401, "invalid_token")
}
