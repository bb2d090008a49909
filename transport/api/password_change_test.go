package api

import (
	"testing"

	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

func changeBody(current, next string) map[string]any {
	return map[string]any{"current_password": current, "new_password": next}
}

func TestPasswordChangeRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, other := e.seedOrg("Acme")
	mine, _ := e.login(owner.Email)
	e.do("POST", "/rest/v1/me/password", changeBody(testPassword, newPassword), bearer(mine.AccessToken)).expect(t, 200, "")
	e.do("GET", "/rest/v1/me", nil, bearer(mine.AccessToken)).expect(t, 200, "")
	e.do("GET", "/rest/v1/me", nil, bearer(other)).expect(t, 401, httpx.CodeUnauthorized)
	e.do("POST", "/rest/v1/auth/login", loginBody(owner.Email, testPassword, "")).expect(t, 401, httpx.CodeInvalidCredentials)
	e.do("POST", "/rest/v1/auth/login", loginBody(owner.Email, newPassword, "")).expect(t, 200, "")
	if n := len(m.messages(mail.KindPasswordChange)); n != 1 {
		t.Fatalf("%d confirmation mails", n)
	}
	if len(e.actions(owner.OrgID, "auth.password_changed")) != 1 {
		t.Fatal("no auth.password_changed")
	}
}

func TestPasswordChangeChecks(t *testing.T) {
	t.Parallel()
	e, _ := newMailEnv(t)
	owner, tok := e.seedOrg("Acme")
	e.do("POST", "/rest/v1/me/password", changeBody("wrong password!", newPassword), bearer(tok)).
		expect(t, 401, httpx.CodeInvalidCredentials)
	e.do("POST", "/rest/v1/me/password", changeBody(testPassword, "short"), bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/me/password", changeBody("", newPassword), bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/me/password", changeBody(testPassword, newPassword)).expect(t, 401, httpx.CodeUnauthorized)
	w := e.seedWidget(owner.OrgID)
	_, visitorTok := e.seedVisitor(w)
	e.do("POST", "/rest/v1/me/password", changeBody(testPassword, newPassword), bearer(visitorTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("GET", "/rest/v1/me", nil, bearer(tok)).expect(t, 200, "") // nothing was revoked
	if got := e.actions(owner.OrgID, "auth.password_changed"); len(got) != 1 || got[0].Detail != "wrong current password" {
		t.Fatalf("audit %+v", got)
	}
}

func TestPasswordChangeRateLimited(t *testing.T) {
	t.Parallel()
	e, _ := newMailEnv(t, withLimits)
	_, tok := e.seedOrg("Acme")
	for range 5 {
		e.do("POST", "/rest/v1/me/password", changeBody("wrong password!", newPassword), bearer(tok)).
			expect(t, 401, httpx.CodeInvalidCredentials)
	}
	e.do("POST", "/rest/v1/me/password", changeBody(testPassword, newPassword), bearer(tok)).expect(t, 429, httpx.CodeRateLimited)
}
