package api

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

func registerBody(email string) map[string]any {
	return map[string]any{"org_name": "Acme", "name": "Ada", "email": email, "password": testPassword}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var out struct {
		Organization struct{ ID string } `json:"organization"`
		Agent        struct{ ID, Email, Role string }
	}
	e.do("POST", "/rest/v1/auth/register", registerBody("  Ada@Example.COM ")).expect(t, 201, "").json(t, &out)
	if out.Organization.ID == "" || out.Agent.ID == "" || out.Agent.Role != "owner" || out.Agent.Email != "ada@example.com" {
		t.Fatalf("register response %+v", out)
	}
	stored, err := e.store.GetAgent(context.Background(), out.Organization.ID, out.Agent.ID)
	if err != nil || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || stored.Role != storage.RoleOwner {
		t.Fatalf("stored agent %+v, %v", stored, err)
	}
	// The email of another organisation's agent registers a new one: the
	// answer says nothing about other tenants.
	var again struct {
		Organization struct{ ID string } `json:"organization"`
	}
	e.do("POST", "/rest/v1/auth/register", registerBody("ada@example.com")).expect(t, 201, "").json(t, &again)
	if again.Organization.ID == "" || again.Organization.ID == out.Organization.ID {
		t.Fatalf("second registration %+v", again)
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := map[string]any{
		"bad email":       registerBody("not-an-email"),
		"display name":    registerBody("Ada <ada@example.com>"),
		"short password":  map[string]any{"org_name": "A", "name": "A", "email": "a@example.com", "password": "short"},
		"long password":   map[string]any{"org_name": "A", "name": "A", "email": "a@example.com", "password": strings.Repeat("x", 129)},
		"no org name":     map[string]any{"name": "A", "email": "a@example.com", "password": testPassword},
		"unknown field":   map[string]any{"org_name": "A", "name": "A", "email": "a@example.com", "password": testPassword, "role": "owner"},
		"long name":       map[string]any{"org_name": strings.Repeat("a", 101), "name": "A", "email": "a@example.com", "password": testPassword},
		"control in name": map[string]any{"org_name": "A\x00", "name": "A", "email": "a@example.com", "password": testPassword},
		"not json":        "org_name=A",
		"two values":      `{"org_name":"A"} {}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			e.with(t).do("POST", "/rest/v1/auth/register", body).expect(t, 400, httpx.CodeValidationFailed)
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		e.with(t).do("POST", "/rest/v1/auth/register", `{}`, header("Content-Type", "text/plain")).
			expect(t, 400, httpx.CodeValidationFailed)
	})
	t.Run("too large", func(t *testing.T) {
		big := `{"org_name":"` + strings.Repeat("a", 70<<10) + `"}`
		e.with(t).do("POST", "/rest/v1/auth/register", big).expect(t, 413, httpx.CodePayloadTooLarge)
	})
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

func (e *env) login(email string) (tokens, resp) {
	e.t.Helper()
	var tk tokens
	r := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": email, "password": testPassword}).expect(e.t, 200, "")
	r.json(e.t, &tk)
	return tk, r
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	tk, r := e.login(strings.ToUpper(owner.Email))
	if !strings.HasPrefix(tk.AccessToken, "hla_") || !strings.HasPrefix(tk.RefreshToken, "hlr_") ||
		tk.TokenType != "Bearer" || tk.ExpiresIn != 3600 {
		t.Fatalf("tokens %+v", tk)
	}
	cookies := map[string]*http.Cookie{}
	for _, c := range r.resp.Cookies() {
		cookies[c.Name] = c
	}
	for name, val := range map[string]string{"helpr_access": tk.AccessToken, "helpr_refresh": tk.RefreshToken} {
		c := cookies[name]
		if c == nil || c.Value != val || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
			t.Fatalf("cookie %s: %+v", name, c)
		}
	}
	if cookies["helpr_access"].MaxAge != 3600 || cookies["helpr_refresh"].MaxAge != 24*3600 {
		t.Fatalf("cookie ages %d %d", cookies["helpr_access"].MaxAge, cookies["helpr_refresh"].MaxAge)
	}
	var me struct{ Kind, ID, Role, Email string }
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.Kind != "agent" || me.ID != owner.ID || me.Role != "owner" || me.Email != owner.Email {
		t.Fatalf("me %+v", me)
	}
	audit, err := e.store.ListAudit(context.Background(), owner.OrgID, 10)
	if err != nil || len(audit) == 0 || audit[0].Action != "auth.login" || audit[0].ActorID != owner.ID {
		t.Fatalf("audit %+v %v", audit, err)
	}
}

func TestLoginRememberMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	r := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": owner.Email, "password": testPassword, "remember_me": true}).expect(t, 200, "")
	for _, c := range r.resp.Cookies() {
		if c.Name == "helpr_refresh" && c.MaxAge != 30*24*3600 {
			t.Fatalf("remember-me refresh cookie age %d", c.MaxAge)
		}
	}
}

func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	wrong := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": owner.Email, "password": "wrong password"}).
		expect(t, 401, httpx.CodeInvalidCredentials)
	unknown := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": "nobody@example.com", "password": "wrong password"}).
		expect(t, 401, httpx.CodeInvalidCredentials)
	if !bytes.Equal(wrong.body, unknown.body) {
		t.Fatalf("bodies differ:\n%s\n%s", wrong.body, unknown.body)
	}
	if len(wrong.resp.Cookies()) != 0 || len(unknown.resp.Cookies()) != 0 {
		t.Fatal("failed login set cookies")
	}
	long := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": owner.Email, "password": strings.Repeat("x", 129)}).
		expect(t, 401, httpx.CodeInvalidCredentials)
	if !bytes.Equal(long.body, unknown.body) {
		t.Fatalf("over-long password body differs: %s", long.body)
	}
	audit, _ := e.store.ListAudit(context.Background(), owner.OrgID, 10)
	if len(audit) == 0 || audit[0].Action != "auth.login_failed" || audit[0].TargetID != owner.ID {
		t.Fatalf("audit %+v", audit)
	}
	anon, _ := e.store.ListAudit(context.Background(), "", 10)
	if len(anon) == 0 || anon[0].Action != "auth.login_failed" {
		t.Fatalf("unknown-account audit %+v", anon)
	}
	for _, ev := range append(audit, anon...) {
		if strings.Contains(ev.Detail, "@") || strings.Contains(ev.Detail, "wrong password") && ev.Detail != "wrong password" {
			t.Fatalf("audit detail leaks: %q", ev.Detail)
		}
	}
}

func TestLoginUpgradesBcrypt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	legacy, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.store.SetAgentPasswordHash(ctx, owner.OrgID, owner.ID, string(legacy)); err != nil {
		t.Fatal(err)
	}
	e.login(owner.Email)
	stored, err := e.store.GetAgent(ctx, owner.OrgID, owner.ID)
	if err != nil || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
		t.Fatalf("hash not upgraded: %q %v", stored.PasswordHash, err)
	}
	e.login(owner.Email) // the upgraded hash verifies
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	first, _ := e.login(owner.Email)

	var second tokens
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": first.RefreshToken}).
		expect(t, 200, "").json(t, &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" || second.TokenType != "Bearer" || second.ExpiresIn != 3600 {
		t.Fatalf("rotated tokens %+v", second)
	}
	e.do("GET", "/rest/v1/me", nil, bearer(second.AccessToken)).expect(t, 200, "")

	// Within the grace window a concurrent reuse gets the same pair.
	e.clock.Advance(30 * time.Second)
	var again tokens
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": first.RefreshToken}).
		expect(t, 200, "").json(t, &again)
	if again.RefreshToken != second.RefreshToken {
		t.Fatal("reuse within grace returned a different pair")
	}

	// After it, reuse is replay: the family is revoked.
	e.clock.Advance(31 * time.Second)
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": first.RefreshToken}).
		expect(t, 401, httpx.CodeRefreshReused)
	e.do("GET", "/rest/v1/me", nil, bearer(second.AccessToken)).expect(t, 401, httpx.CodeUnauthorized)
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": second.RefreshToken}).expect(t, 401, "")

	audit, _ := e.store.ListAudit(context.Background(), owner.OrgID, 10)
	if len(audit) == 0 || audit[0].Action != "auth.refresh_reused" || audit[0].ActorID != owner.ID {
		t.Fatalf("audit %+v", audit)
	}
}

func TestRefreshErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do("POST", "/rest/v1/auth/refresh", nil).expect(t, 401, httpx.CodeUnauthorized)
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": "hlr_bogus"}).expect(t, 401, httpx.CodeUnauthorized)
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"token": "x"}).expect(t, 400, httpx.CodeValidationFailed)
}

func TestRefreshFromCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	first, _ := e.login(owner.Email)
	rc := cookie(e.cookieName(httpx.RefreshCookie), first.RefreshToken)
	e.do("POST", "/rest/v1/auth/refresh", nil, rc).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/auth/refresh", nil, rc, origin("https://evil.example")).expect(t, 403, httpx.CodeForbidden)
	var next tokens
	r := e.do("POST", "/rest/v1/auth/refresh", nil, rc, origin(publicOrigin)).expect(t, 200, "")
	r.json(t, &next)
	var set bool
	for _, c := range r.resp.Cookies() {
		set = set || c.Name == "helpr_refresh" && c.Value == next.RefreshToken
	}
	if !set || next.RefreshToken == first.RefreshToken {
		t.Fatal("refresh cookie not rotated")
	}
	// An empty JSON body also falls back to the cookie.
	rc2 := cookie(e.cookieName(httpx.RefreshCookie), next.RefreshToken)
	e.do("POST", "/rest/v1/auth/refresh", `{}`, rc2, origin(publicOrigin)).expect(t, 200, "")
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	tk, _ := e.login(owner.Email)
	r := e.do("POST", "/rest/v1/auth/logout", nil, bearer(tk.AccessToken)).expect(t, 204, "")
	cleared := 0
	for _, c := range r.resp.Cookies() {
		if (c.Name == "helpr_access" || c.Name == "helpr_refresh") && c.MaxAge < 0 {
			cleared++
		}
	}
	if cleared != 2 {
		t.Fatalf("cookies not cleared: %v", r.resp.Cookies())
	}
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 401, httpx.CodeUnauthorized)
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": tk.RefreshToken}).expect(t, 401, "")
	e.do("POST", "/rest/v1/auth/logout", nil).expect(t, 401, httpx.CodeUnauthorized)
}

func TestTokenInURLRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	e.do("GET", "/rest/v1/me?access_token="+tok, nil).expect(t, 401, httpx.CodeUnauthorized)
	e.do("GET", "/rest/v1/me?token="+tok, nil).expect(t, 401, httpx.CodeUnauthorized)
	e.do("GET", "/rest/v1/me", nil, header("Authorization", "Basic "+tok)).expect(t, 401, httpx.CodeUnauthorized)
	e.do("GET", "/rest/v1/me", nil, bearer(tok)).expect(t, 200, "")
}

func TestCookieAuthCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	tk, _ := e.login(owner.Email)
	ac := cookie(e.cookieName(httpx.AccessCookie), tk.AccessToken)
	e.do("GET", "/rest/v1/me", nil, ac).expect(t, 200, "") // reads need no Origin
	widget := map[string]any{"name": "site", "allowed_origins": []string{}}
	e.do("POST", "/rest/v1/widgets", widget, ac).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/widgets", widget, ac, origin("https://evil.example")).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/widgets", widget, ac, origin(publicOrigin)).expect(t, 201, "")
	e.do("POST", "/rest/v1/widgets", widget, bearer(tk.AccessToken)).expect(t, 201, "") // bearer: no CSRF risk
	e.do("POST", "/rest/v1/auth/logout", nil, ac).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/auth/logout", nil, ac, origin(publicOrigin)).expect(t, 204, "")
	e.do("GET", "/rest/v1/me", nil, ac).expect(t, 401, httpx.CodeUnauthorized)
}

func TestSecureCookieNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.SecureCookies = true })
	owner, _ := e.seedOrg("Acme")
	tk, r := e.login(owner.Email)
	names := map[string]bool{}
	for _, c := range r.resp.Cookies() {
		names[c.Name] = c.Secure
	}
	if !names[httpx.AccessCookie] || !names[httpx.RefreshCookie] {
		t.Fatalf("secure cookies %v", names)
	}
	e.do("GET", "/rest/v1/me", nil, cookie(httpx.AccessCookie, tk.AccessToken)).expect(t, 200, "")
	// The unprefixed name is not read when cookies are Secure.
	e.do("GET", "/rest/v1/me", nil, cookie("helpr_access", tk.AccessToken)).expect(t, 401, "")
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	tk, _ := e.login(owner.Email)
	e.clock.Advance(time.Hour - time.Second)
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "")
	e.clock.Advance(time.Second)
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 401, httpx.CodeUnauthorized)
}

func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do("POST", "/rest/v1/auth/register", registerBody("secret.person@example.com")).expect(t, 201, "")
	tk, _ := e.login("secret.person@example.com")
	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": "secret.person@example.com", "password": "wrong password"}).expect(t, 401, "")
	e.do("GET", "/rest/v1/messages/search?q=hunter2", nil, bearer(tk.AccessToken)).expect(t, 200, "")
	logs := e.logs.String()
	if !strings.Contains(logs, `"route"`) {
		t.Fatalf("expected request logs, got %q", logs)
	}
	for _, secret := range []string{"secret.person", testPassword, "wrong password", tk.AccessToken, tk.RefreshToken, "Ada", "hunter2"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain %q:\n%s", secret, logs)
		}
	}
}

func TestInternalErrorHidesCause(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	e.do("GET", "/rest/v1/me", nil, bearer(tok)).expect(t, 200, "") // token now cached
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	// A closed store is an outage (storage.ErrUnavailable): retryable 503.
	r := e.do("GET", "/rest/v1/agents", nil, bearer(tok)).expect(t, 503, codeUnavailable)
	if bytes.Contains(r.body, []byte("sql")) || bytes.Contains(r.body, []byte("closed")) {
		t.Fatalf("cause leaked: %s", r.body)
	}
	if !strings.Contains(e.logs.String(), "store unavailable") {
		t.Fatal("store failure not logged")
	}
}

func TestUnknownRoutesAreJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do("GET", "/rest/v1/nope", nil).expect(t, 404, httpx.CodeNotFound)
	r := e.do("DELETE", "/rest/v1/agents", nil).expect(t, 405, httpx.CodeMethodNotAllowed)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "POST") || !strings.Contains(allow, "GET") {
		t.Fatalf("Allow %q", allow)
	}
	e.do("GET", "/rest/v1/auth/login", nil).expect(t, 405, httpx.CodeMethodNotAllowed)
}

func TestAuthFailureMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits)
	owner, _ := e.seedOrg("Acme")
	count := func(reason string) uint64 { return e.metrics.AuthFailures.With(reason).Value() }

	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": owner.Email, "password": "wrong password"}).expect(t, 401, "")
	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": "nobody@example.com", "password": "wrong password"}).expect(t, 401, "")
	e.do("GET", "/rest/v1/me", nil).expect(t, 401, "")
	e.do("GET", "/rest/v1/me", nil, bearer("hla_bogus")).expect(t, 401, "")
	tk, _ := e.login(owner.Email)
	e.do("POST", "/rest/v1/auth/logout", nil, cookie(e.cookieName(httpx.AccessCookie), tk.AccessToken)).expect(t, 403, "")
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": tk.RefreshToken}).expect(t, 200, "")
	e.clock.Advance(2 * time.Minute)
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": tk.RefreshToken}).expect(t, 401, httpx.CodeRefreshReused)
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 401, "")

	want := map[string]uint64{reasonInvalidCredentials: 2, reasonUnauthorized: 2, reasonForbiddenOrigin: 1,
		reasonRefreshReused: 1}
	for reason, n := range want {
		if got := count(reason); got != n {
			t.Errorf("%s: %d, want %d", reason, got, n)
		}
	}
	if count(reasonSessionRevoked)+count(reasonTokenExpired) != 1 {
		t.Errorf("revoked/expired access token not counted: %d + %d", count(reasonSessionRevoked), count(reasonTokenExpired))
	}
	for range 5 {
		e.do("POST", "/rest/v1/auth/login", map[string]any{"email": "x@example.com", "password": "wrong password"}, fromIP("192.0.2.1"))
	}
	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": "x@example.com", "password": "wrong password"}, fromIP("192.0.2.1")).
		expect(t, 429, httpx.CodeRateLimited)
	if count(reasonRateLimited) != 1 {
		t.Errorf("rate_limited: %d", count(reasonRateLimited))
	}
}
