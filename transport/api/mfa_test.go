package api

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/mail"
)

// Enrolment: setup shows a secret, its otpauth URL and a QR PNG and
// enables nothing; a wrong first code is refused; the right one enables
// TOTP with 10 backup codes; setup again is a conflict.
func TestTOTPEnrolment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	var st totpStatusResponse
	e.do("GET", "/rest/v1/auth/totp", nil, bearer(tok)).expect(t, 200, "").json(t, &st)
	if st.Enabled || st.BackupCodesRemaining != 0 {
		t.Fatalf("status before enrolment %+v", st)
	}
	e.do("POST", "/rest/v1/auth/totp/enable", map[string]any{"code": "123456"}, bearer(tok)).expect(t, 409, "conflict")
	var s setupAnswer
	e.do("POST", "/rest/v1/auth/totp/setup", map[string]any{}, bearer(tok)).expect(t, 200, "").json(t, &s)
	u, err := url.Parse(s.OTPAuthURL)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("issuer") != "helpr" ||
		u.Query().Get("secret") != s.Secret || !strings.HasSuffix(u.Path, ":"+owner.Email) {
		t.Fatalf("otpauth_url %q", s.OTPAuthURL)
	}
	if !strings.HasPrefix(s.QRPNG, "data:image/png;base64,") || len(s.QRPNG) < 200 {
		t.Fatalf("qr_png %.60s", s.QRPNG)
	}
	e.do("GET", "/rest/v1/auth/totp", nil, bearer(tok)).expect(t, 200, "").json(t, &st)
	if st.Enabled {
		t.Fatal("setup alone enabled TOTP")
	}
	// Password sign-in still gives tokens while only pending.
	if tk, _ := e.login(owner.Email); tk.AccessToken == "" {
		t.Fatal("a pending enrolment changed the sign-in")
	}
	wrong := codeAt(t, s.Secret, e.clock.Now().Add(-90e9))
	e.do("POST", "/rest/v1/auth/totp/enable", map[string]any{"code": wrong}, bearer(tok)).expect(t, 401, "invalid_code")
	e.do("POST", "/rest/v1/auth/totp/enable", map[string]any{"code": "12ab56"}, bearer(tok)).expect(t, 400, "validation_failed")
	var en backupCodesResponse
	e.do("POST", "/rest/v1/auth/totp/enable", map[string]any{"code": e.code(s.Secret)}, bearer(tok)).
		expect(t, 200, "").json(t, &en)
	if len(en.BackupCodes) != 10 {
		t.Fatalf("%d backup codes", len(en.BackupCodes))
	}
	e.do("GET", "/rest/v1/auth/totp", nil, bearer(tok)).expect(t, 200, "").json(t, &st)
	if !st.Enabled || st.BackupCodesRemaining != 10 {
		t.Fatalf("status after enrolment %+v", st)
	}
	e.do("POST", "/rest/v1/auth/totp/setup", map[string]any{}, bearer(tok)).expect(t, 409, "conflict")
	e.do("POST", "/rest/v1/auth/totp/enable", map[string]any{"code": e.code(s.Secret)}, bearer(tok)).expect(t, 409, "conflict")
	if !auditHas(t, e, owner.OrgID, "auth.totp_enabled", "") {
		t.Fatal("no auth.totp_enabled audit event")
	}
}

// auditHas reports whether the organisation has an event action whose
// detail contains detail.
func auditHas(t *testing.T, e *env, orgID, action, detail string) bool {
	t.Helper()
	list, err := e.store.ListAudit(context.Background(), orgID, 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range list {
		if ev.Action == action && strings.Contains(ev.Detail, detail) {
			return true
		}
	}
	return false
}

// With TOTP on, the password step answers mfa_required with a ticket and
// no tokens and sets no cookie; the second step gives the token pair.
func TestTwoStepLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	m, r := e.passwordStep(owner.Email)
	if len(m.Methods) != 2 || m.Methods[0] != "totp" || m.Methods[1] != "backup_code" {
		t.Fatalf("methods %v", m.Methods)
	}
	if len(r.resp.Cookies()) != 0 || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("the mfa answer set cookies: %v", r.header["Set-Cookie"])
	}
	for _, leak := range []string{"access_token", "refresh_token", "hla_", "hlr_"} {
		if strings.Contains(string(r.body), leak) {
			t.Fatalf("the mfa answer carries %q: %s", leak, r.body)
		}
	}
	// The ticket is no session token.
	e.do("GET", "/rest/v1/me", nil, bearer(m.MFATicket)).expect(t, 401, "unauthorized")
	v := e.verify(map[string]any{"mfa_ticket": m.MFATicket, "code": e.code(acct.secret)}).expect(t, 200, "")
	var tk tokenResponse
	v.json(t, &tk)
	if !strings.HasPrefix(tk.AccessToken, "hla_") || len(v.resp.Cookies()) != 2 {
		t.Fatalf("verify answered %s with %d cookies", v.body, len(v.resp.Cookies()))
	}
	var me struct{ ID string }
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "").json(t, &me)
	if me.ID != owner.ID {
		t.Fatalf("signed in as %s, want %s", me.ID, owner.ID)
	}
	if !auditHas(t, e, owner.OrgID, "auth.login", "method=password,mfa=totp") {
		t.Fatal("no auth.login audit with method=password,mfa=totp")
	}
}

// "remember" on verify (or remember_me on the password step) gives the
// long refresh lifetime.
func TestTwoStepLoginRemember(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	r := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": owner.Email, "password": testPassword,
		"remember_me": true}).expect(t, 200, "")
	var m mfaAnswer
	r.json(t, &m)
	v := e.verify(map[string]any{"mfa_ticket": m.MFATicket, "code": e.code(acct.secret)}).expect(t, 200, "")
	for _, c := range v.resp.Cookies() {
		if c.Name == "helpr_refresh" && c.MaxAge != 30*24*3600 {
			t.Fatalf("remembered refresh cookie age %d", c.MaxAge)
		}
	}
}

// A backup code signs in once, mails the holder (without any code) and
// lowers the remaining count; used again it is refused.
func TestBackupCodeSignIn(t *testing.T) {
	t.Parallel()
	m := &captureMailer{}
	e := newEnv(t, func(c *Config) { c.Mailer = m })
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	code := strings.ToUpper(acct.codes[3])
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "backup_code": code}).expect(t, 200, "")
	sent := m.messages(mail.KindBackupCodeUsed)
	if len(sent) != 1 || sent[0].To != owner.Email || sent[0].OrgID != owner.OrgID {
		t.Fatalf("backup-code mails %+v", sent)
	}
	for _, c := range acct.codes {
		if strings.Contains(strings.ToLower(sent[0].Text+sent[0].Subject), c) {
			t.Fatalf("the mail holds a backup code: %q", sent[0].Text)
		}
	}
	if !strings.Contains(sent[0].Text, "9 backup codes left") || !strings.Contains(sent[0].Text, publicOrigin+"/console/#security") {
		t.Fatalf("mail text %q", sent[0].Text)
	}
	var st totpStatusResponse
	e.do("GET", "/rest/v1/auth/totp", nil, bearer(tok)).expect(t, 200, "").json(t, &st)
	if st.BackupCodesRemaining != 9 {
		t.Fatalf("remaining %d, want 9", st.BackupCodesRemaining)
	}
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "backup_code": code}).expect(t, 401, "invalid_code")
	if !auditHas(t, e, owner.OrgID, "auth.login", "method=password,mfa=backup_code") ||
		!auditHas(t, e, owner.OrgID, "auth.backup_code_used", "remaining=9") ||
		!auditHas(t, e, owner.OrgID, "auth.mfa_failed", "factor=backup_code") {
		t.Fatal("audit events of a backup-code sign-in missing")
	}
	// A TOTP code sent as backup_code, and a backup code as code, are refused.
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "backup_code": e.code(acct.secret)}).expect(t, 400, "validation_failed")
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": acct.codes[0]}).expect(t, 400, "validation_failed")
}

// Regenerating needs the password and invalidates every old code.
func TestRegenerateBackupCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	e.do("POST", "/rest/v1/auth/backup-codes/regenerate", map[string]any{"password": testPassword}, bearer(tok)).
		expect(t, 409, "conflict")
	acct := e.enrol(owner, tok)
	e.do("POST", "/rest/v1/auth/backup-codes/regenerate", map[string]any{"password": "wrong password!"}, bearer(tok)).
		expect(t, 401, "invalid_credentials")
	var fresh backupCodesResponse
	e.do("POST", "/rest/v1/auth/backup-codes/regenerate", map[string]any{"password": testPassword}, bearer(tok)).
		expect(t, 200, "").json(t, &fresh)
	if len(fresh.BackupCodes) != 10 || fresh.BackupCodes[0] == acct.codes[0] {
		t.Fatalf("regenerated %v", fresh.BackupCodes)
	}
	for _, old := range acct.codes[:3] {
		e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "backup_code": old}).expect(t, 401, "invalid_code")
	}
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "backup_code": fresh.BackupCodes[0]}).expect(t, 200, "")
	if !auditHas(t, e, owner.OrgID, "auth.backup_codes_regenerated", "") {
		t.Fatal("no auth.backup_codes_regenerated audit event")
	}
}

// Disabling needs the password and a current code; afterwards the
// password alone signs in again.
func TestTOTPDisable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	e.do("POST", "/rest/v1/auth/totp/disable", map[string]any{"password": testPassword, "code": "123456"}, bearer(tok)).
		expect(t, 409, "conflict")
	acct := e.enrol(owner, tok)
	e.do("POST", "/rest/v1/auth/totp/disable", map[string]any{"password": "wrong password!", "code": e.code(acct.secret)},
		bearer(tok)).expect(t, 401, "invalid_credentials")
	stale := codeAt(t, acct.secret, e.clock.Now().Add(-120e9))
	e.do("POST", "/rest/v1/auth/totp/disable", map[string]any{"password": testPassword, "code": stale}, bearer(tok)).
		expect(t, 401, "invalid_code")
	e.do("POST", "/rest/v1/auth/totp/disable", map[string]any{"password": testPassword}, bearer(tok)).
		expect(t, 400, "validation_failed")
	e.do("POST", "/rest/v1/auth/totp/disable", map[string]any{"password": testPassword, "code": e.code(acct.secret)},
		bearer(tok)).expect(t, 200, "")
	if tk, _ := e.login(owner.Email); tk.AccessToken == "" {
		t.Fatal("no tokens after disabling TOTP")
	}
	var st totpStatusResponse
	e.do("GET", "/rest/v1/auth/totp", nil, bearer(tok)).expect(t, 200, "").json(t, &st)
	if st.Enabled || st.BackupCodesRemaining != 0 {
		t.Fatalf("status after disable %+v", st)
	}
	if !auditHas(t, e, owner.OrgID, "auth.totp_disabled", "") {
		t.Fatal("no auth.totp_disabled audit event")
	}
}

// Neither the secret nor a backup code reaches the logs, the audit trail
// or the database in the clear.
func TestTOTPSecretsStayOutOfLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "code": e.wrongCode(acct.secret)})
	e.verify(map[string]any{"mfa_ticket": e.ticket(owner.Email), "backup_code": acct.codes[0]}).expect(t, 200, "")
	secrets := append([]string{acct.secret}, acct.codes...)
	logs := e.logs.String()
	list, err := e.store.ListAudit(context.Background(), owner.OrgID, 500)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := e.raw.GetMFA(context.Background(), owner.OrgID, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) || strings.Contains(logs, strings.ReplaceAll(s, "-", "")) {
			t.Fatalf("a secret is in the logs")
		}
		for _, ev := range list {
			if strings.Contains(ev.Detail, s) {
				t.Fatalf("a secret is in audit event %s", ev.Action)
			}
		}
	}
	if raw.Secret == "" || strings.Contains(raw.Secret, acct.secret) {
		t.Fatalf("the backend holds the secret unsealed")
	}
}

// An agent erased after the password step cannot finish signing in.
func TestMFAVerifyErasedAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	ticket := e.ticket(owner.Email)
	err := e.store.EraseSubject(context.Background(), storage.Erasure{OrgID: owner.OrgID, Kind: storage.SubjectAgent,
		SubjectID: owner.ID, Pseudonym: e.store.Pseudonym(owner.ID), At: e.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	e.verify(map[string]any{"mfa_ticket": ticket, "code": e.code(acct.secret)}).expect(t, 401, "invalid_token")
}
