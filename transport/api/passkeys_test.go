package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/helpr-chat/helpr/internal/webauthntest"
	"github.com/helpr-chat/helpr/storage"
)

// The hub's loopback origins as `helpr serve` has them by default: the
// public origin is an IP, so the relying party is "localhost" and
// passkeys work on the localhost alias.
const passkeyOrigin = "http://localhost:8080"

var passkeyRPOf = virtualwebauthn.RelyingParty{ID: "localhost", Name: "helpr", Origin: passkeyOrigin}

// withLoopbackAliases gives the API the default loopback aliases.
func withLoopbackAliases(c *Config) {
	c.OriginAliases = []string{passkeyOrigin, "http://[::1]:8080"}
}

// device is a software authenticator holding one credential of agent.
type device struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

func newDevice(agent storage.Agent) *device {
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{
		UserHandle: []byte(agent.ID), BackupEligible: true, BackupState: true})
	return &device{auth: auth, cred: webauthntest.NewEC2Credential()}
}

// attest answers creation options (the body of register/begin) as a
// browser with this device would.
func (d *device) attest(t *testing.T, options []byte) json.RawMessage {
	t.Helper()
	opts, err := virtualwebauthn.ParseAttestationOptions(string(options))
	if err != nil {
		t.Fatalf("parse creation options %s: %v", options, err)
	}
	return json.RawMessage(virtualwebauthn.CreateAttestationResponse(passkeyRPOf, d.auth, d.cred, *opts))
}

// assert answers request options (the body of login/begin), signing with
// the device's credential and its current counter.
func (d *device) assert(t *testing.T, options []byte) json.RawMessage {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(options))
	if err != nil {
		t.Fatalf("parse request options %s: %v", options, err)
	}
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(passkeyRPOf, d.auth, d.cred, *opts))
}

// register runs a whole registration of d for the agent holding tok.
func (e *env) register(d *device, tok, name string) passkeyView {
	e.t.Helper()
	t := e.t.(*testing.T)
	begin := e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 200, "")
	body := map[string]any{"name": name, "credential": d.attest(t, begin.body)}
	var v passkeyView
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", body, bearer(tok)).expect(t, 201, "").json(t, &v)
	return v
}

// loginBegin starts a passkey sign-in and returns the request options.
func (e *env) loginBegin() []byte {
	e.t.Helper()
	return e.do("POST", "/rest/v1/auth/passkeys/login/begin", map[string]any{}).expect(e.t, 200, "").body
}

// loginFinish sends an assertion.
func (e *env) loginFinish(assertion json.RawMessage) resp {
	e.t.Helper()
	return e.do("POST", "/rest/v1/auth/passkeys/login/finish", map[string]any{"credential": assertion})
}

// auditEvents returns the organisation's events, newest first.
func (e *env) auditEvents(orgID string) []storage.AuditEvent {
	e.t.Helper()
	list, err := e.store.ListAudit(context.Background(), orgID, 100)
	if err != nil {
		e.t.Fatalf("list audit: %v", err)
	}
	return list
}

// hasAudit reports whether the organisation has an event with action and detail.
func (e *env) hasAudit(orgID, action, detail, outcome string) bool {
	for _, ev := range e.auditEvents(orgID) {
		if ev.Action == action && ev.Detail == detail && outcomeIs(ev, outcome) {
			return true
		}
	}
	return false
}

// outcomeIs reports whether ev has outcome want ("" matches anything).
func outcomeIs(ev storage.AuditEvent, want string) bool {
	return want == "" || ev.Outcome == want
}

func TestPasskeyRegisterAndSignIn(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	d := newDevice(owner)

	begin := e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 200, "")
	var creation struct {
		PublicKey struct {
			RP                     struct{ ID string }
			Timeout                int
			AuthenticatorSelection struct{ ResidentKey, UserVerification string }
			ExcludeCredentials     []struct{ ID string }
		}
	}
	begin.json(t, &creation)
	pk := creation.PublicKey
	if pk.RP.ID != "localhost" || pk.Timeout != 300000 || pk.AuthenticatorSelection.ResidentKey != "required" ||
		pk.AuthenticatorSelection.UserVerification != "preferred" || len(pk.ExcludeCredentials) != 0 {
		t.Fatalf("creation options %s", begin.body)
	}
	body := map[string]any{"name": "Work laptop", "credential": d.attest(t, begin.body)}
	var v passkeyView
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", body, bearer(tok)).expect(t, 201, "").json(t, &v)
	if !strings.HasPrefix(v.ID, "psk_") || v.Name != "Work laptop" || v.LastUsedAt != nil || !v.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("registered passkey %+v", v)
	}
	if !e.hasAudit(owner.OrgID, "auth.passkey_added", "", storage.AuditSuccess) {
		t.Error("no auth.passkey_added event")
	}

	// A second registration excludes the first credential.
	again := e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 200, "")
	again.json(t, &creation)
	if len(creation.PublicKey.ExcludeCredentials) != 1 {
		t.Fatalf("excludeCredentials of the second registration: %s", again.body)
	}

	// Passwordless sign-in: no allowCredentials, the user handle names the agent.
	opts := e.loginBegin()
	if strings.Contains(string(opts), "allowCredentials") {
		t.Fatalf("login options list credentials: %s", opts)
	}
	e.clock.Advance(time.Minute)
	d.cred.Counter = 1
	var tk tokenResponse
	e.loginFinish(d.assert(t, opts)).expect(t, 200, "").json(t, &tk)
	if tk.AccessToken == "" || tk.RefreshToken == "" {
		t.Fatalf("sign-in answered %+v", tk)
	}
	var me struct{ ID string }
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.ID != owner.ID {
		t.Fatalf("signed in as %q, want %q", me.ID, owner.ID)
	}
	if !e.hasAudit(owner.OrgID, "auth.login", "method=passkey", storage.AuditSuccess) {
		t.Error("no auth.login method=passkey event")
	}
	var list passkeyList
	e.do("GET", "/rest/v1/auth/passkeys", nil, bearer(tok)).expect(t, 200, "").json(t, &list)
	if len(list.Passkeys) != 1 || list.Passkeys[0].LastUsedAt == nil || !list.Passkeys[0].LastUsedAt.Equal(e.clock.Now()) {
		t.Fatalf("passkeys after sign-in: %+v", list)
	}
}

// A challenge lives 5 minutes on the API's clock: 4:59 is accepted, 5:00
// + 1 s is refused, for sign-in and registration alike.
func TestPasskeyChallengeExpires(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	d := newDevice(owner)

	begin := e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 200, "")
	e.clock.Advance(5*time.Minute + time.Second)
	body := map[string]any{"credential": d.attest(t, begin.body)}
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", body, bearer(tok)).expect(t, 401, "invalid_token")

	begin = e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 200, "")
	e.clock.Advance(5*time.Minute - time.Second)
	body = map[string]any{"credential": d.attest(t, begin.body)}
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", body, bearer(tok)).expect(t, 201, "")

	late := e.loginBegin()
	e.clock.Advance(5*time.Minute + time.Second)
	d.cred.Counter = 1
	e.loginFinish(d.assert(t, late)).expect(t, 401, "invalid_token")

	inTime := e.loginBegin()
	e.clock.Advance(5*time.Minute - time.Second)
	e.loginFinish(d.assert(t, inTime)).expect(t, 200, "")
}

// A signed assertion is good once: replaying it (its challenge consumed)
// is refused, sequentially and when sent concurrently.
func TestPasskeyReplayedAssertionRefused(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	d := newDevice(owner)
	e.register(d, tok, "key")

	d.cred.Counter = 1
	assertion := d.assert(t, e.loginBegin())
	e.loginFinish(assertion).expect(t, 200, "")
	e.loginFinish(assertion).expect(t, 401, "invalid_token")

	d.cred.Counter = 2
	assertion = d.assert(t, e.loginBegin())
	const n = 8
	codes := make(chan int, n)
	for range n {
		go func() { codes <- e.loginFinish(assertion).status }()
	}
	ok := 0
	for range n {
		switch c := <-codes; c {
		case 200:
			ok++
		case 401:
		default:
			t.Errorf("concurrent replay answered %d", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent submissions of one assertion signed in, want exactly 1", ok, n)
	}
}

// A challenge is bound to its ceremony and (registration) to its agent: a
// register challenge does not sign in, a login challenge does not
// register, and another agent's register challenge is refused — without
// burning it for its owner.
func TestPasskeyChallengeBoundToCeremonyAndUser(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	mallory, malTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	d := newDevice(owner)
	e.register(d, tok, "key")

	// The register ceremony's challenge, signed as an assertion, is not a login.
	reg := e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 200, "")
	d.cred.Counter = 1
	e.loginFinish(d.assert(t, reg.body)).expect(t, 401, "invalid_token")

	// A login challenge does not register.
	d2 := newDevice(owner)
	body := map[string]any{"credential": d2.attest(t, e.loginBegin())}
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", body, bearer(tok)).expect(t, 401, "invalid_token")

	// Mallory finishes the owner's registration with her own device: refused.
	md := newDevice(mallory)
	body = map[string]any{"credential": md.attest(t, reg.body)}
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", body, bearer(malTok)).expect(t, 401, "invalid_token")
	// The owner's challenge is still good for the owner.
	body = map[string]any{"credential": d2.attest(t, reg.body)}
	e.do("POST", "/rest/v1/auth/passkeys/register/finish", body, bearer(tok)).expect(t, 201, "")
	var list passkeyList
	e.do("GET", "/rest/v1/auth/passkeys", nil, bearer(malTok)).expect(t, 200, "").json(t, &list)
	if len(list.Passkeys) != 0 {
		t.Fatalf("mallory has passkeys: %+v", list)
	}
}

// A sign count that does not advance (a cloned authenticator) is refused
// and audited; the passkey keeps working with a higher count.
func TestPasskeySignCountRegressionRefused(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	d := newDevice(owner)
	d.cred.Counter = 5
	e.register(d, tok, "key")

	d.cred.Counter = 9
	e.loginFinish(d.assert(t, e.loginBegin())).expect(t, 200, "")
	for _, count := range []uint32{9, 3} {
		d.cred.Counter = count
		e.loginFinish(d.assert(t, e.loginBegin())).expect(t, 401, "invalid_credentials")
	}
	n := 0
	for _, ev := range e.auditEvents(owner.OrgID) {
		if ev.Action == "auth.passkey_failed" && ev.Detail == "sign_count_regression" && outcomeIs(ev, storage.AuditFailure) && ev.ActorID == owner.ID {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d sign_count_regression events, want 2", n)
	}
	d.cred.Counter = 10
	e.loginFinish(d.assert(t, e.loginBegin())).expect(t, 200, "")
}

// A credential whose user handle names someone else is refused and
// audited; an unknown credential is refused.
func TestPasskeyForeignUserHandleRefused(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	d := newDevice(owner)
	e.register(d, tok, "key")
	victim, _ := e.seedAgent(owner.OrgID, storage.RoleAdmin)

	d.auth.Options.UserHandle = []byte(victim.ID)
	d.cred.Counter = 1
	e.loginFinish(d.assert(t, e.loginBegin())).expect(t, 401, "invalid_credentials")
	if !e.hasAudit(owner.OrgID, "auth.passkey_failed", "verification_failed", storage.AuditFailure) {
		t.Error("no auth.passkey_failed event for the foreign user handle")
	}
	stranger := newDevice(owner)
	e.loginFinish(stranger.assert(t, e.loginBegin())).expect(t, 401, "invalid_credentials")
}

// An erased agent's passkeys are gone: their device no longer signs in.
func TestPasskeyErasedAgentCannotSignIn(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, _ := e.seedOrg("Acme")
	bob, bobTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	d := newDevice(bob)
	e.register(d, bobTok, "key")
	err := e.store.EraseSubject(context.Background(), storage.Erasure{OrgID: owner.OrgID, Kind: storage.SubjectAgent,
		SubjectID: bob.ID, Pseudonym: e.store.Pseudonym(bob.ID), At: e.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	d.cred.Counter = 1
	e.loginFinish(d.assert(t, e.loginBegin())).expect(t, 401, "invalid_credentials")
}

// Rename and delete reach the caller's own passkeys only: another agent
// of the organisation and another organisation's owner get 404.
func TestPasskeyManageScopedToOwner(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	_, colleague := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	_, outsider := e.seedOrg("Beta")
	p := e.register(newDevice(owner), tok, "key")
	path := "/rest/v1/auth/passkeys/" + p.ID

	for _, attacker := range []string{colleague, outsider} {
		e.do("PATCH", path, map[string]any{"name": "mine"}, bearer(attacker)).expect(t, 404, "not_found")
		e.do("DELETE", path, nil, bearer(attacker)).expect(t, 404, "not_found")
		var list passkeyList
		e.do("GET", "/rest/v1/auth/passkeys", nil, bearer(attacker)).expect(t, 200, "").json(t, &list)
		if len(list.Passkeys) != 0 {
			t.Fatalf("another agent lists %+v", list)
		}
	}
	var v passkeyView
	e.do("PATCH", path, map[string]any{"name": " Phone "}, bearer(tok)).expect(t, 200, "").json(t, &v)
	if v.ID != p.ID || v.Name != "Phone" {
		t.Fatalf("renamed %+v", v)
	}
	e.do("PATCH", path, map[string]any{"name": ""}, bearer(tok)).expect(t, 400, "validation_failed")
	e.do("PATCH", "/rest/v1/auth/passkeys/NOT-AN-ID", map[string]any{"name": "x"}, bearer(tok)).expect(t, 404, "not_found")
	e.do("DELETE", path, nil, bearer(tok)).expect(t, 204, "")
	e.do("DELETE", path, nil, bearer(tok)).expect(t, 404, "not_found")
	for _, action := range []string{"auth.passkey_renamed", "auth.passkey_deleted"} {
		if !e.hasAudit(owner.OrgID, action, "", storage.AuditSuccess) {
			t.Errorf("no %s event", action)
		}
	}
}

// Registration and management need an agent session.
func TestPasskeyEndpointsNeedAnAgent(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, _ := e.seedOrg("Acme")
	for _, r := range []struct{ method, path string }{
		{"POST", "/rest/v1/auth/passkeys/register/begin"}, {"POST", "/rest/v1/auth/passkeys/register/finish"},
		{"GET", "/rest/v1/auth/passkeys"}, {"PATCH", "/rest/v1/auth/passkeys/psk_x"},
		{"DELETE", "/rest/v1/auth/passkeys/psk_x"},
	} {
		e.do(r.method, r.path, map[string]any{}).expect(t, 401, "unauthorized")
	}
	_, visitor := e.seedVisitor(e.seedWidget(owner.OrgID, "https://shop.example"))
	e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(visitor)).expect(t, 403, "forbidden")
}

// Passkey sign-in is rate limited per client IP with the login window.
func TestPasskeyLoginRateLimited(t *testing.T) {
	e := newEnv(t, withLoopbackAliases, withLimits)
	for range DefaultLoginLimit {
		e.do("POST", "/rest/v1/auth/passkeys/login/begin", map[string]any{}, fromIP("203.0.113.7")).expect(t, 200, "")
	}
	e.do("POST", "/rest/v1/auth/passkeys/login/begin", map[string]any{}, fromIP("203.0.113.7")).expect(t, 429, "rate_limited")
	e.do("POST", "/rest/v1/auth/passkeys/login/finish", map[string]any{}, fromIP("203.0.113.7")).expect(t, 429, "rate_limited")
	e.do("POST", "/rest/v1/auth/passkeys/login/begin", map[string]any{}, fromIP("203.0.113.8")).expect(t, 200, "")
}

// Without a domain to be a relying party for, the passkey endpoints say so.
func TestPasskeysUnavailableOnAnIPOrigin(t *testing.T) {
	e := newEnv(t) // http://127.0.0.1:8080 and no localhost alias
	_, tok := e.seedOrg("Acme")
	e.do("POST", "/rest/v1/auth/passkeys/register/begin", nil, bearer(tok)).expect(t, 503, codeUnavailable)
	e.do("POST", "/rest/v1/auth/passkeys/login/begin", map[string]any{}).expect(t, 503, codeUnavailable)
}

func TestPasskeyRelyingParty(t *testing.T) {
	for _, c := range []struct {
		own     []string
		rpID    string
		origins []string
	}{
		{[]string{"https://chat.example.com"}, "chat.example.com", []string{"https://chat.example.com"}},
		{[]string{"https://Example.COM:8443"}, "example.com", []string{"https://Example.COM:8443"}},
		{[]string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"}, "localhost", []string{"http://localhost:8080"}},
		{[]string{"http://[::1]:9000", "http://localhost:9000"}, "localhost", []string{"http://localhost:9000"}},
		{[]string{"http://localhost:8080", "http://127.0.0.1:8080"}, "localhost", []string{"http://localhost:8080"}},
		{[]string{"http://127.0.0.1:8080"}, "", nil},
		{[]string{"http://10.0.0.5:8080", "http://localhost:8080"}, "", nil},
		{[]string{""}, "", nil},
	} {
		rp := newPasskeyRP(c.own)
		if c.rpID == "" {
			if rp.wa != nil || rp.why == "" {
				t.Errorf("%v: relying party %+v, want none with a reason", c.own, rp.wa)
			}
			continue
		}
		if rp.wa == nil {
			t.Errorf("%v: no relying party: %s", c.own, rp.why)
			continue
		}
		if rp.wa.Config.RPID != c.rpID || strings.Join(rp.wa.Config.RPOrigins, " ") != strings.Join(c.origins, " ") {
			t.Errorf("%v: rp id %q origins %v, want %q %v", c.own, rp.wa.Config.RPID, rp.wa.Config.RPOrigins, c.rpID, c.origins)
		}
	}
}

// An assertion made for another origin (a phishing site relaying the
// challenge) is refused.
func TestPasskeyWrongOriginRefused(t *testing.T) {
	e := newEnv(t, withLoopbackAliases)
	owner, tok := e.seedOrg("Acme")
	d := newDevice(owner)
	e.register(d, tok, "key")
	opts, err := virtualwebauthn.ParseAssertionOptions(string(e.loginBegin()))
	if err != nil {
		t.Fatal(err)
	}
	d.cred.Counter = 1
	phish := virtualwebauthn.RelyingParty{ID: "localhost", Origin: "http://127.0.0.1:8080"}
	assertion := virtualwebauthn.CreateAssertionResponse(phish, d.auth, d.cred, *opts)
	e.loginFinish(json.RawMessage(assertion)).expect(t, 401, "invalid_credentials")
}
