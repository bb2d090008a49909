package api

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

const newPassword = "a brand new passphrase"

var resetCodeRe = regexp.MustCompile(`Your code: (\d{8})\b`)

// resetCode asks for a code for email and returns it from the newest
// captured reset mail to that address.
func (e *env) resetCode(m *captureMailer, email string) string {
	e.t.Helper()
	e.do("POST", "/rest/v1/auth/password/forgot", map[string]any{"email": email}).expect(e.t, 202, "")
	e.settle()
	var code string
	for _, msg := range m.messages(mail.KindPasswordReset) {
		if msg.To == email {
			code = resetCodeRe.FindStringSubmatch(msg.Text)[1]
		}
	}
	if code == "" {
		e.t.Fatal("no reset mail")
	}
	return code
}

func resetBody(email, code, pw string) map[string]any {
	return map[string]any{"email": email, "code": code, "new_password": pw}
}

// wrongCode returns an 8-digit code other than code.
func wrongCode(code string) string {
	if code == "00000000" {
		return "00000001"
	}
	return "00000000"
}

func TestPasswordResetRevokesEverySession(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, seeded := e.seedOrg("Acme")
	signedIn, _ := e.login(owner.Email)
	code := e.resetCode(m, owner.Email)
	stale := e.magicToken(m, owner.Email) // a pending link dies with the reset
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, newPassword)).expect(t, 200, "")
	for _, tok := range []string{seeded, signedIn.AccessToken} {
		e.do("GET", "/rest/v1/me", nil, bearer(tok)).expect(t, 401, httpx.CodeUnauthorized)
	}
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": signedIn.RefreshToken}).expect(t, 401, "")
	e.do("POST", "/rest/v1/auth/login", loginBody(owner.Email, testPassword, "")).expect(t, 401, httpx.CodeInvalidCredentials)
	e.do("POST", "/rest/v1/auth/login", loginBody(owner.Email, newPassword, "")).expect(t, 200, "")
	e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(stale)).expect(t, 401, httpx.CodeInvalidToken)
	// Used once.
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, "yet another passphrase")).
		expect(t, 401, httpx.CodeInvalidCode)
	confirm := m.messages(mail.KindPasswordChange)
	if len(confirm) != 1 || confirm[0].To != owner.Email || strings.Contains(confirm[0].Text, code) ||
		strings.Contains(confirm[0].Text, newPassword) {
		t.Fatalf("confirmation mails %+v", confirm)
	}
	if len(e.actions(owner.OrgID, "auth.password_reset_requested")) != 1 || len(e.actions(owner.OrgID, "auth.password_reset")) != 1 ||
		len(e.actions(owner.OrgID, "auth.password_reset_failed")) != 1 {
		t.Fatal("reset audit missing")
	}
}

func TestPasswordResetSixthAttemptRefused(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	code := e.resetCode(m, owner.Email)
	for range 5 {
		e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, wrongCode(code), newPassword)).
			expect(t, 401, httpx.CodeInvalidCode)
	}
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, newPassword)).expect(t, 401, httpx.CodeInvalidCode)
	// A new request replaces the used-up code.
	fresh := e.resetCode(m, owner.Email)
	if fresh != code {
		e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, newPassword)).expect(t, 401, httpx.CodeInvalidCode)
	}
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, fresh, newPassword)).expect(t, 200, "")
}

func TestPasswordResetOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	code := e.resetCode(m, owner.Email)
	var wg sync.WaitGroup
	codes := make(chan int, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := newPassword + " " + string(rune('a'+i))
			codes <- e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, pw)).status
		}()
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		switch c {
		case 200:
			ok++
		case 401:
		default:
			t.Fatalf("status %d", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d resets succeeded, want exactly 1", ok)
	}
}

func TestPasswordResetCodeIsBoundToItsAccount(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	a, _ := e.seedOrg("Acme")
	b := e.seedMember(a.OrgID, "b@example.com", testPassword)
	other, _ := e.seedOrg("Other")
	codeA := e.resetCode(m, a.Email)
	e.resetCode(m, b.Email)
	for _, email := range []string{b.Email, other.Email, "nobody@example.com"} {
		e.do("POST", "/rest/v1/auth/password/reset", resetBody(email, codeA, newPassword)).expect(t, 401, httpx.CodeInvalidCode)
	}
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(a.Email, codeA, newPassword)).expect(t, 200, "")
	e.do("POST", "/rest/v1/auth/login", loginBody(b.Email, testPassword, "")).expect(t, 200, "")
}

func TestPasswordResetExpiryBoundary(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	code := e.resetCode(m, owner.Email)
	e.clock.Advance(10*time.Minute - time.Millisecond)
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, wrongCode(code), newPassword)).
		expect(t, 401, httpx.CodeInvalidCode)
	e.clock.Advance(time.Millisecond)
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, newPassword)).expect(t, 401, httpx.CodeInvalidCode)

	code = e.resetCode(m, owner.Email)
	e.clock.Advance(10*time.Minute - time.Millisecond)
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, newPassword)).expect(t, 200, "")
}

func TestPasswordResetStoresAKeyedHash(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	code := e.resetCode(m, owner.Email)
	got, err := e.raw.GetOneTime(context.Background(), storage.PurposePasswordReset, resetID(owner))
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxAttempts != 5 || len(got.CodeHash) != 36 || strings.Contains(string(got.CodeHash), code) ||
		strings.Contains(got.Data, code) || !got.ExpiresAt.Equal(got.CreatedAt.Add(10*time.Minute)) {
		t.Fatalf("stored code %+v", got)
	}
}

func TestPasswordResetValidation(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	code := e.resetCode(m, owner.Email)
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, "short")).expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, "", newPassword)).expect(t, 400, httpx.CodeValidationFailed)
	for _, bad := range []string{"1234567", "123456789", "abcdefgh"} {
		e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, bad, newPassword)).expect(t, 401, httpx.CodeInvalidCode)
	}
	// None of those burned an attempt.
	got, err := e.raw.GetOneTime(context.Background(), storage.PurposePasswordReset, resetID(owner))
	if err != nil || got.Attempts != 0 {
		t.Fatalf("attempts %d, %v", got.Attempts, err)
	}
}

func TestPasswordForgotNoEnumerationAndLimits(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	known := e.do("POST", "/rest/v1/auth/password/forgot", map[string]any{"email": owner.Email}).expect(t, 202, "")
	unknown := e.do("POST", "/rest/v1/auth/password/forgot", map[string]any{"email": "nobody@example.com"}).expect(t, 202, "")
	if string(known.body) != string(unknown.body) {
		t.Fatalf("bodies differ: %q vs %q", known.body, unknown.body)
	}
	for range 2 {
		e.do("POST", "/rest/v1/auth/password/forgot", map[string]any{"email": "nobody@example.com"}).expect(t, 202, "")
	}
	e.do("POST", "/rest/v1/auth/password/forgot", map[string]any{"email": "nobody@example.com"}).expect(t, 429, httpx.CodeRateLimited)
	e.settle()
	if n := len(m.messages("")); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}

func TestPasswordResetRateLimitedPerIP(t *testing.T) {
	t.Parallel()
	e, _ := newMailEnv(t)
	for range 10 {
		e.do("POST", "/rest/v1/auth/password/reset", resetBody("x@example.com", "12345678", newPassword), fromIP("203.0.113.5")).
			expect(t, 401, httpx.CodeInvalidCode)
	}
	e.do("POST", "/rest/v1/auth/password/reset", resetBody("x@example.com", "12345678", newPassword), fromIP("203.0.113.5")).
		expect(t, 429, httpx.CodeRateLimited)
}

func TestResetCodesAreUniformDigits(t *testing.T) {
	t.Parallel()
	seen := map[byte]int{}
	for range 2000 {
		c, err := newResetCode()
		if err != nil || !validCodeForm(c) {
			t.Fatalf("code %q, %v", c, err)
		}
		seen[c[0]]++
	}
	if len(seen) != 10 {
		t.Fatalf("leading digits %v: not all ten seen", seen)
	}
}
