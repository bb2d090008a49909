package api

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// totpAccount is an agent with TOTP enabled: its secret and backup codes.
type totpAccount struct {
	agent  storage.Agent
	token  string
	secret string
	codes  []string
}

type setupAnswer struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"`
}

// codeAt returns secret's 6-digit code at time at.
func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := security.TOTPCode(secret, security.TOTPStep(at), security.TOTPDigits)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// code returns the code of the current step of the env's clock.
func (e *env) code(secret string) string { return codeAt(e.t, secret, e.clock.Now()) }

// wrongCode returns a 6-digit code that no step within the window of the
// env's clock has.
func (e *env) wrongCode(secret string) string {
	e.t.Helper()
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", n)
		if _, ok := security.MatchTOTP(secret, c, e.clock.Now()); !ok {
			return c
		}
	}
}

// enrol sets up and enables TOTP for agent (token: its access token) at
// the current time and moves the clock to the next step, so that a fresh
// code exists for the first sign-in.
func (e *env) enrol(agent storage.Agent, token string) totpAccount {
	e.t.Helper()
	var s setupAnswer
	e.do("POST", "/rest/v1/auth/totp/setup", map[string]any{}, bearer(token)).expect(e.t, 200, "").json(e.t, &s)
	var en struct {
		BackupCodes []string `json:"backup_codes"`
	}
	e.do("POST", "/rest/v1/auth/totp/enable", map[string]any{"code": e.code(s.Secret)}, bearer(token)).
		expect(e.t, 200, "").json(e.t, &en)
	e.clock.Advance(security.TOTPPeriod)
	return totpAccount{agent: agent, token: token, secret: s.Secret, codes: en.BackupCodes}
}

type mfaAnswer struct {
	MFARequired bool     `json:"mfa_required"`
	MFATicket   string   `json:"mfa_ticket"`
	Methods     []string `json:"methods"`
	AccessToken string   `json:"access_token"`
}

// passwordStep signs in with email and testPassword and returns the
// mfa_required answer, failing unless it is one.
func (e *env) passwordStep(email string) (mfaAnswer, resp) {
	e.t.Helper()
	r := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": email, "password": testPassword}).expect(e.t, 200, "")
	var m mfaAnswer
	r.json(e.t, &m)
	if !m.MFARequired || !strings.HasPrefix(m.MFATicket, security.MFATicketPrefix) {
		e.t.Fatalf("login of a TOTP account answered %s", r.body)
	}
	return m, r
}

// ticket returns a fresh mfa ticket for email.
func (e *env) ticket(email string) string {
	e.t.Helper()
	m, _ := e.passwordStep(email)
	return m.MFATicket
}

// verify sends the second step.
func (e *env) verify(body map[string]any) resp {
	e.t.Helper()
	return e.do("POST", "/rest/v1/auth/mfa/verify", body)
}

// parallel runs fn(i) for i in [0, n) at once and returns the statuses.
func parallel(n int, fn func(i int) int) []int {
	out := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// count returns how many of statuses equal want.
func count(statuses []int, want int) int {
	n := 0
	for _, s := range statuses {
		if s == want {
			n++
		}
	}
	return n
}
