package api

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

// newMailEnv is newEnv with a capturing Mailer.
func newMailEnv(t *testing.T, mutate ...func(*Config)) (*env, *captureMailer) {
	t.Helper()
	m := &captureMailer{}
	e := newEnv(t, append([]func(*Config){func(c *Config) { c.Mailer = m }}, mutate...)...)
	return e, m
}

// settle waits until the mail requests answered so far are fully handled.
func (e *env) settle() { e.api.links.pending.Wait() }

var magicRe = regexp.MustCompile(`/console/#magic=(hlm_[A-Za-z0-9_-]+)`)

// magicToken asks for a link for email and returns the token of the newest
// captured sign-in mail.
func (e *env) magicToken(m *captureMailer, email string) string {
	e.t.Helper()
	e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": email}).expect(e.t, 202, "")
	e.settle()
	sent := m.messages(mail.KindMagicLink)
	if len(sent) == 0 {
		e.t.Fatal("no magic-link mail")
	}
	last := sent[len(sent)-1]
	if last.To != email || !strings.HasPrefix(magicRe.FindString(last.Text), "/console/#magic=") ||
		!strings.Contains(last.Text, publicOrigin+"/console/#magic=") {
		e.t.Fatalf("mail %+v", last)
	}
	return magicRe.FindStringSubmatch(last.Text)[1]
}

func consumeBody(tok string) map[string]any { return map[string]any{"token": tok} }

func TestMagicLinkSignsInOnce(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	tok := e.magicToken(m, owner.Email)
	var tk tokens
	e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(tok)).expect(t, 200, "").json(t, &tk)
	if !strings.HasPrefix(tk.AccessToken, "hla_") || !strings.HasPrefix(tk.RefreshToken, "hlr_") {
		t.Fatalf("tokens %+v", tk)
	}
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "")
	e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(tok)).expect(t, 401, httpx.CodeInvalidToken)
	if len(e.actions(owner.OrgID, "auth.magic_link_sent")) != 1 || len(e.actions(owner.OrgID, "auth.magic_link_failed")) != 1 {
		t.Fatal("magic link audit missing")
	}
	login := e.actions(owner.OrgID, "auth.login")
	if len(login) != 1 || login[0].Detail != "method=magic_link" {
		t.Fatalf("login audit %+v", login)
	}
	// The token is stored only by its hash.
	raw, err := e.raw.ListOneTime(context.Background(), owner.OrgID, storage.PurposeMagicLink, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range raw {
		if strings.Contains(o.ID, tok) || strings.Contains(o.Data, tok) {
			t.Fatal("token stored in the clear")
		}
	}
}

func TestMagicLinkSameAnswerForUnknownAddress(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	known := e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": owner.Email}).expect(t, 202, "")
	unknown := e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": "nobody@example.com"}).expect(t, 202, "")
	e.settle()
	if string(known.body) != string(unknown.body) || string(known.body) != "{}\n" {
		t.Fatalf("bodies differ: %q vs %q", known.body, unknown.body)
	}
	if len(m.messages("")) != 1 {
		t.Fatalf("mails %d, want 1 (none for the unknown address)", len(m.messages("")))
	}
	e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": "not an address"}).expect(t, 400, httpx.CodeValidationFailed)
}

func TestMagicLinkExpiryBoundary(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	early := e.magicToken(m, owner.Email)
	late := e.magicToken(m, owner.Email) // an older link is not revoked by a newer one
	e.clock.Advance(15*time.Minute - time.Millisecond)
	e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(early)).expect(t, 200, "")
	e.clock.Advance(time.Millisecond)
	e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(late)).expect(t, 401, httpx.CodeInvalidToken)
}

func TestMagicLinkConsumedOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	tok := e.magicToken(m, owner.Email)
	var wg sync.WaitGroup
	codes := make(chan int, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(tok)).status
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
		t.Fatalf("%d sign-ins, want exactly 1", ok)
	}
	sessions, err := e.store.ListSessions(context.Background(), owner.OrgID, storage.SubjectAgent, owner.ID)
	if err != nil || len(sessions) != 2 { // seedOrg's and the link's
		t.Fatalf("sessions %d, %v; want 2", len(sessions), err)
	}
}

func TestMagicLinkRefusesForgedAndOtherTokens(t *testing.T) {
	t.Parallel()
	e, _ := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, refresh := e.login(owner.Email)
	var tk tokens
	refresh.json(t, &tk)
	for _, tok := range []string{"", "hlm_short", "hlm_" + strings.Repeat("A", 43), tk.RefreshToken, tk.AccessToken} {
		e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(tok)).expect(t, 401, httpx.CodeInvalidToken)
	}
}

func TestMagicLinkRateLimits(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, _ := e.seedOrg("Acme")
	// Per address: 3 per 15 minutes, whether or not the address exists,
	// from any IP.
	for _, addr := range []string{owner.Email, "nobody@example.com"} {
		for i := range 3 {
			e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": addr}, fromIP("198.51.100."+string(rune('1'+i)))).
				expect(t, 202, "")
		}
		r := e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": addr}, fromIP("198.51.100.9"))
		r.expect(t, 429, httpx.CodeRateLimited)
		if r.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
	}
	// Per IP: 10 per 15 minutes over any addresses.
	for i := range 10 {
		e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": "x" + string(rune('a'+i)) + "@example.com"},
			fromIP("203.0.113.7")).expect(t, 202, "")
	}
	e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": "other@example.com"}, fromIP("203.0.113.7")).
		expect(t, 429, httpx.CodeRateLimited)
	e.settle()
	if n := len(m.messages(mail.KindMagicLink)); n != 3 {
		t.Fatalf("%d links mailed, want 3", n)
	}
	e.clock.Advance(15 * time.Minute)
	e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": owner.Email}, fromIP("203.0.113.7")).expect(t, 202, "")
	e.settle()
}

func TestMagicLinkWithoutMailer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": owner.Email}).expect(t, 503, codeUnavailable)
	e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": "nobody@example.com"}).expect(t, 503, codeUnavailable)
}

func TestMagicLinkOfErasedAgent(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	member := e.seedMember(owner.OrgID, "member@example.com", testPassword)
	tok := e.magicToken(m, member.Email)
	e.do("DELETE", "/rest/v1/agents/"+member.ID, nil, bearer(ownerTok)).expect(t, http.StatusNoContent, "")
	e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(tok)).expect(t, 401, httpx.CodeInvalidToken)
}
