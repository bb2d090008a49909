package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// withChatTokens gives the API a chat token issuer over a fresh keyring
// (issuer: the public origin), on the API's clock.
func withChatTokens(t testing.TB) func(*Config) {
	return func(c *Config) {
		ring, err := security.NewKeyring(c.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c.ChatTokens, err = security.NewChatTokens(ring, publicOrigin, c.Now); err != nil {
			t.Fatal(err)
		}
	}
}

func withDev(c *Config) { c.Dev = true; c.KeyMode = security.KeyModeTest }

// tokenOrg is an organisation with a widget and a secret key.
type tokenOrg struct {
	owner    storage.Agent
	session  string // the owner's access token
	widget   storage.Widget
	keyID    string
	secret   string
	keyOwner storage.Agent
}

func (e *env) tokenOrg(name string) tokenOrg {
	e.t.Helper()
	owner, tok := e.seedOrg(name)
	o := tokenOrg{owner: owner, session: tok, widget: e.seedWidget(owner.OrgID, "https://shop.example")}
	o.keyID, o.secret = e.createChatKey(tok)
	o.keyOwner = owner
	return o
}

// createChatKey creates a secret key with visitors:read as the agent of token.
func (e *env) createChatKey(token string) (id, secret string) {
	e.t.Helper()
	var k apiKeyCreated
	e.do("POST", "/rest/v1/api-keys", map[string]any{"name": "backend", "scopes": []string{"visitors:read"}},
		bearer(token)).expect(e.t, http.StatusCreated, "").json(e.t, &k)
	return k.ID, k.Key
}

func (e *env) issueToken(o tokenOrg, userID string, extra map[string]any) chatTokenResponse {
	e.t.Helper()
	body := map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": userID}}
	for k, v := range extra {
		body[k] = v
	}
	var out chatTokenResponse
	e.do("POST", "/rest/v1/auth/token", body).expect(e.t, http.StatusOK, "").json(e.t, &out)
	return out
}

func (e *env) tokenSession(pk, token string) resp {
	e.t.Helper()
	return e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": pk, "token": token})
}

func (e *env) chatFailures(reason string) uint64 {
	return e.metrics.ChatTokenFailures.With(reason).Value()
}

func TestChatTokenIssueAndStartSession(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	out := e.issueToken(o, "user-42", map[string]any{"user": map[string]any{"id": "user-42", "name": "Ada", "email": "Ada@Example.com"}})
	if !strings.HasPrefix(out.CustomerUserID, "cus_") || !out.ExpiresAt.Equal(e.clock.Now().Add(24*time.Hour)) ||
		strings.Count(out.Token, ".") != 2 {
		t.Fatalf("issued %+v", out)
	}
	if got := e.metrics.ChatTokensIssued.Value(); got != 1 {
		t.Fatalf("issued metric %d", got)
	}
	var s visitorSessionResponse
	e.tokenSession(o.widget.PublishableKey, out.Token).expect(t, http.StatusCreated, "").json(t, &s)
	if s.CustomerUserID != out.CustomerUserID || !strings.HasPrefix(s.Token, security.VisitorPrefix) || s.ExpiresIn != 24*3600 {
		t.Fatalf("session %+v", s)
	}
	v, err := e.store.GetVisitor(context.Background(), o.owner.OrgID, s.Visitor.ID)
	if err != nil || v.Name != "Ada" || v.Email != "ada@example.com" || v.WidgetID != o.widget.ID {
		t.Fatalf("visitor %+v %v", v, err)
	}
	// Another device: a new token for the same user is the same customer
	// user and the same visitor, whatever widget of the organisation.
	other := e.seedWidget(o.owner.OrgID)
	again := e.issueToken(o, "user-42", nil)
	var s2 visitorSessionResponse
	e.tokenSession(other.PublishableKey, again.Token).expect(t, http.StatusCreated, "").json(t, &s2)
	if again.CustomerUserID != out.CustomerUserID || s2.Visitor.ID != s.Visitor.ID {
		t.Fatalf("second device: %+v %+v", again, s2)
	}
	// The external id is sealed and indexed, never stored in the clear.
	u, err := e.raw.GetCustomerUser(context.Background(), o.owner.OrgID, out.CustomerUserID)
	if err != nil || strings.Contains(u.ExternalID, "user-42") || strings.Contains(u.Name, "Ada") || len(u.ExternalIndex) == 0 {
		t.Fatalf("raw customer user %+v %v", u, err)
	}
}

// A session started with a token expires with it, exactly.
func TestChatTokenSessionEndsWithTheToken(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	out := e.issueToken(o, "u1", map[string]any{"expiresIn": "15m"})
	e.clock.Advance(5 * time.Minute)
	var s visitorSessionResponse
	e.tokenSession(o.widget.PublishableKey, out.Token).expect(t, http.StatusCreated, "").json(t, &s)
	if s.ExpiresIn != 10*60 {
		t.Fatalf("expires_in %d, want the token's remaining 600 s", s.ExpiresIn)
	}
	e.clock.Advance(10*time.Minute - time.Millisecond)
	if _, err := e.sessions.Authenticate(context.Background(), s.Token); err != nil {
		t.Fatalf("1 ms before the token's exp: %v", err)
	}
	e.clock.Advance(time.Millisecond)
	if _, err := e.sessions.Authenticate(context.Background(), s.Token); err == nil {
		t.Fatal("the visitor session outlived its chat token")
	}
	e.tokenSession(o.widget.PublishableKey, out.Token).expect(t, http.StatusUnauthorized, codeTokenExpired)
}

func TestChatTokenExpiresInBounds(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	for _, bad := range []string{"14m59s", "8d", "169h", "1y", "0"} {
		body := map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": "u"}, "expiresIn": bad}
		r := e.do("POST", "/rest/v1/auth/token", body).expect(t, http.StatusBadRequest, "validation_failed")
		if !strings.Contains(string(r.body), "15m") || !strings.Contains(string(r.body), "7d") {
			t.Errorf("%s: message does not name the bounds: %s", bad, r.body)
		}
	}
	for in, want := range map[string]time.Duration{"15m": 15 * time.Minute, "1h": time.Hour, "7d": 7 * 24 * time.Hour} {
		if got := e.issueToken(o, "u", map[string]any{"expiresIn": in}); !got.ExpiresAt.Equal(e.clock.Now().Add(want)) {
			t.Errorf("%s: expires %v", in, got.ExpiresAt)
		}
	}
	for name, body := range map[string]any{
		"no user id":      map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{}},
		"long user id":    map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": strings.Repeat("x", 201)}},
		"bad email":       map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": "u", "email": "nope"}},
		"no key":          map[string]any{"user": map[string]any{"id": "u"}},
		"unknown field":   map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": "u"}, "admin": true},
		"spaces around":   map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": " u "}},
		"wrong type (id)": map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": 42}},
	} {
		if r := e.do("POST", "/rest/v1/auth/token", body); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
}

func TestChatTokenKeyPairRefused(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	b := e.tokenOrg("Other")
	for name, pair := range map[string][2]string{
		"wrong secret":          {o.keyID, b.secret},
		"wrong id":              {b.keyID, o.secret},
		"garbage secret":        {o.keyID, "sk_live_nope"},
		"publishable key":       {o.keyID, o.widget.PublishableKey},
		"agent token as secret": {o.keyID, o.session},
	} {
		body := map[string]any{"keyId": pair[0], "keySecret": pair[1], "user": map[string]any{"id": "u"}}
		e.with(t).do("POST", "/rest/v1/auth/token", body).expect(t, http.StatusUnauthorized, codeInvalidAPIKey)
		_ = name
	}
	e.do("DELETE", "/rest/v1/api-keys/"+o.keyID, nil, bearer(o.session)).expect(t, http.StatusNoContent, "")
	body := map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": "u"}}
	e.do("POST", "/rest/v1/auth/token", body).expect(t, http.StatusUnauthorized, codeInvalidAPIKey)
}

// The seed's six checks, each failing on its own while the others pass:
// 401 (token_expired for the expiry, invalid_token otherwise), counted by
// reason.
func TestChatTokenSixChecksFailSeparately(t *testing.T) {
	cases := []struct {
		name, reason, code string
		// break_ returns the token to present and the widget key to use.
		break_ func(e *env, o, other tokenOrg) (token, pk string)
	}{
		{"bad signature", security.ChatReasonSignature, codeInvalidToken, func(e *env, o, _ tokenOrg) (string, string) {
			tok := e.issueToken(o, "u", nil).Token
			cut := strings.LastIndexByte(tok, '.') + 1
			sig, err := base64.RawURLEncoding.DecodeString(tok[cut:])
			if err != nil {
				e.t.Fatal(err)
			}
			sig[10] ^= 1
			return tok[:cut] + base64.RawURLEncoding.EncodeToString(sig), o.widget.PublishableKey
		}},
		{"expired", security.ChatReasonExpired, codeTokenExpired, func(e *env, o, _ tokenOrg) (string, string) {
			tok := e.issueToken(o, "u", map[string]any{"expiresIn": "15m"}).Token
			e.clock.Advance(15 * time.Minute)
			return tok, o.widget.PublishableKey
		}},
		{"customer user missing", security.ChatReasonCustomerUser, codeInvalidToken, func(e *env, o, _ tokenOrg) (string, string) {
			tok, _, err := e.api.cfg.ChatTokens.Issue(security.ChatTokenParams{OrgID: o.owner.OrgID,
				CustomerUserID: "cus_nobody", TokenVersion: 1, KeyID: o.keyID, TTL: time.Hour})
			if err != nil {
				e.t.Fatal(err)
			}
			return tok, o.widget.PublishableKey
		}},
		{"customer user erased", security.ChatReasonCustomerUser, codeInvalidToken, func(e *env, o, _ tokenOrg) (string, string) {
			tok := e.issueToken(o, "u", nil).Token
			var s visitorSessionResponse
			e.tokenSession(o.widget.PublishableKey, tok).expect(e.t, http.StatusCreated, "").json(e.t, &s)
			e.do("DELETE", "/rest/v1/visitors/"+s.Visitor.ID, nil, bearer(o.session)).expect(e.t, http.StatusNoContent, "")
			return tok, o.widget.PublishableKey
		}},
		{"stale token version", security.ChatReasonTokenVersion, codeInvalidToken, func(e *env, o, _ tokenOrg) (string, string) {
			out := e.issueToken(o, "u", nil)
			e.do("POST", "/rest/v1/auth/invalidate-token", map[string]any{"keyId": o.keyID, "keySecret": o.secret,
				"customerUserId": out.CustomerUserID}).expect(e.t, http.StatusOK, "")
			return out.Token, o.widget.PublishableKey
		}},
		{"other organisation's widget", security.ChatReasonOrganization, codeInvalidToken, func(e *env, o, other tokenOrg) (string, string) {
			return e.issueToken(o, "u", nil).Token, other.widget.PublishableKey
		}},
		{"issuing key's owner deactivated", security.ChatReasonAgent, codeInvalidToken, func(e *env, o, _ tokenOrg) (string, string) {
			admin, adminTok := e.seedAgent(o.owner.OrgID, storage.RoleAdmin)
			o.keyID, o.secret = e.createChatKey(adminTok)
			tok := e.issueToken(o, "u", nil).Token
			e.do("POST", "/rest/v1/agents/"+admin.ID+"/deactivate", map[string]any{}, bearer(o.session)).expect(e.t, http.StatusOK, "")
			return tok, o.widget.PublishableKey
		}},
		{"issuing key revoked", security.ChatReasonAgent, codeInvalidToken, func(e *env, o, _ tokenOrg) (string, string) {
			tok := e.issueToken(o, "u", nil).Token
			e.do("DELETE", "/rest/v1/api-keys/"+o.keyID, nil, bearer(o.session)).expect(e.t, http.StatusNoContent, "")
			return tok, o.widget.PublishableKey
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withChatTokens(t))
			o, other := e.tokenOrg("Acme"), e.tokenOrg("Other")
			// The control: an untouched token of the same kind works.
			e.tokenSession(o.widget.PublishableKey, e.issueToken(o, "control", nil).Token).expect(t, http.StatusCreated, "")
			tok, pk := tc.break_(e, o, other)
			before := e.chatFailures(tc.reason)
			e.tokenSession(pk, tok).expect(t, http.StatusUnauthorized, tc.code)
			if got := e.chatFailures(tc.reason); got != before+1 {
				t.Errorf("helpr_chat_token_failures_total{reason=%q} %d → %d", tc.reason, before, got)
			}
		})
	}
}

// Tokens of one kind are refused where the other is expected.
func TestChatTokenAndAgentTokensDoNotMix(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	chat := e.issueToken(o, "u", nil).Token
	// An agent access token (hla_…) as a chat token.
	e.tokenSession(o.widget.PublishableKey, o.session).expect(t, http.StatusUnauthorized, codeInvalidToken)
	if e.chatFailures(security.ChatReasonMalformed) != 1 {
		t.Error("malformed not counted")
	}
	// A chat token as the Bearer token of agent routes.
	for _, path := range []string{"/rest/v1/me", "/rest/v1/conversations", "/rest/v1/customer-users", "/rest/v1/agents"} {
		e.do("GET", path, nil, bearer(chat)).expect(t, http.StatusUnauthorized, "")
	}
	// And as a visitor session token (the probe): no session.
	if r := e.do("GET", "/rest/v1/visitor/session", nil, bearer(chat)); !strings.Contains(string(r.body), `"visitor":null`) {
		t.Fatalf("probe with a chat token: %s", r.body)
	}
}

func TestInvalidateTokenRevokesSessions(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o, other := e.tokenOrg("Acme"), e.tokenOrg("Other")
	out := e.issueToken(o, "u", nil)
	var s visitorSessionResponse
	e.tokenSession(o.widget.PublishableKey, out.Token).expect(t, http.StatusCreated, "").json(t, &s)
	inv := map[string]any{"keyId": o.keyID, "keySecret": o.secret, "customerUserId": out.CustomerUserID}
	// Another organisation's key cannot touch the user.
	cross := map[string]any{"keyId": other.keyID, "keySecret": other.secret, "customerUserId": out.CustomerUserID}
	e.do("POST", "/rest/v1/auth/invalidate-token", cross).expect(t, http.StatusNotFound, "not_found")
	var res invalidateResponse
	e.do("POST", "/rest/v1/auth/invalidate-token", inv).expect(t, http.StatusOK, "").json(t, &res)
	if res.CustomerUserID != out.CustomerUserID || res.TokenVersion != 2 {
		t.Fatalf("invalidate %+v", res)
	}
	if _, err := e.sessions.Authenticate(context.Background(), s.Token); err == nil {
		t.Fatal("the visitor session survived the invalidation")
	}
	if e.metrics.ChatTokenInvalidations.Value() != 1 {
		t.Error("invalidation not counted")
	}
	// A fresh token works again, for the same visitor.
	var s2 visitorSessionResponse
	e.tokenSession(o.widget.PublishableKey, e.issueToken(o, "u", nil).Token).expect(t, http.StatusCreated, "").json(t, &s2)
	if s2.Visitor.ID != s.Visitor.ID {
		t.Fatal("a new visitor after invalidation")
	}
	for name, body := range map[string]map[string]any{
		"unknown user": {"keyId": o.keyID, "keySecret": o.secret, "customerUserId": "cus_nobody"},
		"bad id":       {"keyId": o.keyID, "keySecret": o.secret, "customerUserId": "vis_x"},
		"bad secret":   {"keyId": o.keyID, "keySecret": other.secret, "customerUserId": out.CustomerUserID},
	} {
		r := e.do("POST", "/rest/v1/auth/invalidate-token", body)
		if r.status != map[string]int{"unknown user": 404, "bad id": 400, "bad secret": 401}[name] {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	evs, err := e.store.QueryAudit(context.Background(), o.owner.OrgID, storage.AuditQuery{Action: "customer_user.tokens_invalidated"})
	if err != nil || len(evs) != 1 || evs[0].TargetID != out.CustomerUserID || strings.Contains(evs[0].Detail, o.secret) {
		t.Fatalf("audit %+v %v", evs, err)
	}
}

func TestDevTokenOnlyWithDev(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	body := map[string]any{"publishable_key": o.widget.PublishableKey, "user": map[string]any{"id": "u"}}
	e.do("POST", "/rest/v1/auth/dev-token", body).expect(t, http.StatusNotFound, "not_found")

	d := newEnv(t, withChatTokens(t), withDev)
	owner, _ := d.seedOrg("Dev")
	w := d.seedWidget(owner.OrgID)
	var out struct {
		chatTokenResponse
		Dev     bool   `json:"dev"`
		Warning string `json:"warning"`
	}
	r := d.do("POST", "/rest/v1/auth/dev-token", map[string]any{"publishable_key": w.PublishableKey, "user": map[string]any{"id": "u"}})
	r.expect(t, http.StatusOK, "").json(t, &out)
	if !out.Dev || !strings.Contains(out.Warning, "production") || r.header.Get("X-Helpr-Dev-Token") != "not for production" || out.Token == "" {
		t.Fatalf("dev token answer %s %v", r.body, r.header)
	}
	d.tokenSession(w.PublishableKey, out.Token).expect(t, http.StatusCreated, "")
	// Errors say it too.
	bad := d.do("POST", "/rest/v1/auth/dev-token", map[string]any{"publishable_key": "pk_nope", "user": map[string]any{"id": "u"}})
	if bad.status != http.StatusBadRequest && bad.status != http.StatusNotFound || !strings.Contains(string(bad.body), `"dev":true`) ||
		!strings.Contains(string(bad.body), `"warning"`) || bad.header.Get("X-Helpr-Dev-Token") == "" {
		t.Fatalf("dev error %d %s", bad.status, bad.body)
	}
	// A dev token is refused by a server without --dev (check 6).
	d.api.cfg.Dev = false
	d.tokenSession(w.PublishableKey, out.Token).expect(t, http.StatusUnauthorized, codeInvalidToken)
	if d.chatFailures(security.ChatReasonAgent) != 1 {
		t.Error("dev token on a production server not counted as agent")
	}
}

func TestCustomerUsersEndpoints(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o, other := e.tokenOrg("Acme"), e.tokenOrg("Other")
	var ids []string
	for _, u := range []string{"a", "b", "c"} {
		ids = append(ids, e.issueToken(o, u, map[string]any{"user": map[string]any{"id": u, "name": "N" + u}}).CustomerUserID)
		e.clock.Advance(time.Second)
	}
	e.issueToken(other, "x", nil)
	var page customerUserList
	e.do("GET", "/rest/v1/customer-users?limit=2", nil, bearer(o.session)).expect(t, http.StatusOK, "").json(t, &page)
	if len(page.CustomerUsers) != 2 || page.CustomerUsers[0].ID != ids[2] || page.CustomerUsers[0].ExternalID != "c" ||
		page.CustomerUsers[0].Name != "Nc" || page.NextCursor == nil {
		t.Fatalf("page 1 %+v", page)
	}
	var page2 customerUserList
	e.do("GET", "/rest/v1/customer-users?limit=2&cursor="+*page.NextCursor, nil, bearer(o.session)).expect(t, http.StatusOK, "").json(t, &page2)
	if len(page2.CustomerUsers) != 1 || page2.CustomerUsers[0].ID != ids[0] || page2.NextCursor != nil {
		t.Fatalf("page 2 %+v", page2)
	}
	e.do("GET", "/rest/v1/customer-users?cursor=bogus", nil, bearer(o.session)).expect(t, http.StatusBadRequest, "validation_failed")
	var one customerUserView
	e.do("GET", "/rest/v1/customer-users/"+ids[1], nil, bearer(o.session)).expect(t, http.StatusOK, "").json(t, &one)
	if one.ExternalID != "b" || one.TokenVersion != 1 || one.VisitorID != nil {
		t.Fatalf("one %+v", one)
	}
	// Another organisation sees none of them.
	e.do("GET", "/rest/v1/customer-users/"+ids[1], nil, bearer(other.session)).expect(t, http.StatusNotFound, "not_found")
	var theirs customerUserList
	e.do("GET", "/rest/v1/customer-users", nil, bearer(other.session)).expect(t, http.StatusOK, "").json(t, &theirs)
	if len(theirs.CustomerUsers) != 1 || theirs.CustomerUsers[0].ExternalID != "x" {
		t.Fatalf("other org lists %+v", theirs)
	}
	// A secret key with visitors:read reads them too.
	e.do("GET", "/rest/v1/customer-users", nil, bearer(o.secret)).expect(t, http.StatusOK, "")
}

// Resuming an identified visitor with its session token (no chat token)
// never outlives the chat token: the new session ends when the old one
// does. An anonymous visitor's resume still gets a full session.
func TestChatTokenResumeKeepsTheTokenExpiry(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	out := e.issueToken(o, "u1", map[string]any{"expiresIn": "1h"})
	var s visitorSessionResponse
	e.tokenSession(o.widget.PublishableKey, out.Token).expect(t, http.StatusCreated, "").json(t, &s)
	e.clock.Advance(20 * time.Minute)
	var resumed visitorSessionResponse
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": o.widget.PublishableKey},
		bearer(s.Token)).expect(t, http.StatusCreated, "").json(t, &resumed)
	if resumed.Visitor.ID != s.Visitor.ID || resumed.ExpiresIn != 40*60 {
		t.Fatalf("resumed %+v, want the same visitor for the token's remaining 2400 s", resumed)
	}
	_, anon := e.seedVisitor(o.widget)
	var plain visitorSessionResponse
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": o.widget.PublishableKey},
		bearer(anon)).expect(t, http.StatusCreated, "").json(t, &plain)
	if plain.ExpiresIn != 24*3600 {
		t.Fatalf("anonymous resume expires_in %d", plain.ExpiresIn)
	}
}

// The visitor's data export names its customer user (the customer's user
// id is personal data too); an anonymous visitor's is null.
func TestExportIncludesTheCustomerUser(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	out := e.issueToken(o, "user-7", map[string]any{"user": map[string]any{"id": "user-7", "email": "u7@example.com"}})
	var s visitorSessionResponse
	e.tokenSession(o.widget.PublishableKey, out.Token).expect(t, http.StatusCreated, "").json(t, &s)
	var exp visitorExport
	e.do("GET", "/rest/v1/visitors/"+s.Visitor.ID+"/export", nil, bearer(o.session)).expect(t, http.StatusOK, "").json(t, &exp)
	if exp.CustomerUser == nil || exp.CustomerUser.ID != out.CustomerUserID || exp.CustomerUser.ExternalID != "user-7" ||
		exp.CustomerUser.Email != "u7@example.com" {
		t.Fatalf("export customer user %+v", exp.CustomerUser)
	}
	anon, _ := e.seedVisitor(o.widget)
	var plain visitorExport
	e.do("GET", "/rest/v1/visitors/"+anon.ID+"/export", nil, bearer(o.session)).expect(t, http.StatusOK, "").json(t, &plain)
	if plain.CustomerUser != nil {
		t.Fatalf("anonymous export %+v", plain.CustomerUser)
	}
}

// The socket's chat sessions (StartChatSession) count against the same
// visitor-session limits as POST /visitor/sessions.
func TestStartChatSessionIsRateLimited(t *testing.T) {
	e := newEnv(t, withChatTokens(t), func(c *Config) { c.VisitorSessionIPLimit = RateLimit{Limit: 3, Window: time.Minute} })
	o := e.tokenOrg("Acme")
	tok := e.issueToken(o, "u", nil).Token
	ctx := context.Background()
	for i := range 3 {
		hlv, err := e.api.StartChatSession(ctx, tok, o.widget, "203.0.113.9", "ua")
		if err != nil || !strings.HasPrefix(hlv, security.VisitorPrefix) {
			t.Fatalf("session %d: %q %v", i, hlv, err)
		}
	}
	if _, err := e.api.StartChatSession(ctx, tok, o.widget, "203.0.113.9", "ua"); !errors.Is(err, security.ErrChatSessionLimited) {
		t.Fatalf("fourth session from one IP: %v", err)
	}
	if _, err := e.api.StartChatSession(ctx, tok, o.widget, "198.51.100.7", "ua"); err != nil {
		t.Fatalf("another IP: %v", err)
	}
	if _, err := e.api.StartChatSession(ctx, "eyJ.bad.token", o.widget, "198.51.100.8", "ua"); !errors.Is(err, security.ErrChatTokenInvalid) {
		t.Fatalf("a bad token: %v", err)
	}
}

// Concurrent first uses agree: one customer user per external id, one
// visitor per customer user (the losers of each race read the winner).
func TestChatTokenFirstUseRaces(t *testing.T) {
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	const n = 6
	users, visitors := make([]string, n), make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := e.api.customerUserFor(context.Background(), o.owner.OrgID, chatUserInput{ID: "racer"})
			if err != nil {
				t.Errorf("customer user %d: %v", i, err)
				return
			}
			users[i] = u.ID
		}()
	}
	wg.Wait()
	tok := e.issueToken(o, "racer", nil).Token
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := e.api.startChatSession(context.Background(), tok, o.widget, storage.Visitor{}, "", "")
			if err != nil {
				t.Errorf("session %d: %v", i, err)
				return
			}
			visitors[i] = s.visitor.ID
		}()
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if users[i] != users[0] || visitors[i] != visitors[0] {
			t.Fatalf("users %v, visitors %v: want one of each", users, visitors)
		}
	}
}
