package api

import (
	"context"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/security"
)

// A magic link proves one factor: an account with TOTP gets the second
// step, no tokens.
func TestMagicLinkOfTOTPAccountNeedsTheSecondStep(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, tok := e.seedOrg("Acme")
	acct := e.enrol(owner, tok)
	link := e.magicToken(m, owner.Email)
	r := e.do("POST", "/rest/v1/auth/magic-link/consume", consumeBody(link)).expect(t, 200, "")
	var ans mfaAnswer
	r.json(t, &ans)
	if !ans.MFARequired || ans.AccessToken != "" || !strings.HasPrefix(ans.MFATicket, security.MFATicketPrefix) ||
		len(r.resp.Cookies()) != 0 {
		t.Fatalf("magic link of a TOTP account answered %s", r.body)
	}
	var tk tokens
	e.verify(map[string]any{"mfa_ticket": ans.MFATicket, "code": e.code(acct.secret)}).expect(t, 200, "").json(t, &tk)
	if tk.AccessToken == "" {
		t.Fatal("no tokens after the second step")
	}
	login := e.actions(owner.OrgID, "auth.login")
	if len(login) != 1 || !strings.HasPrefix(login[0].Detail, "method=magic_link") {
		t.Fatalf("login audit %+v", login)
	}
}

// A password reset clears the second-factor failure lock.
func TestPasswordResetClearsTheMFALock(t *testing.T) {
	t.Parallel()
	e, m := newMailEnv(t)
	owner, tok := e.seedOrg("Acme")
	e.enrol(owner, tok)
	ctx := context.Background()
	now := e.clock.Now()
	for seen := range 100 {
		if err := e.store.ChargeMFAAttempt(ctx, owner.OrgID, owner.ID, seen, now, now); err != nil {
			t.Fatalf("charge %d: %v", seen, err)
		}
	}
	if st, err := e.store.GetMFA(ctx, owner.OrgID, owner.ID); err != nil || !st.Locked() {
		t.Fatalf("not locked: %+v %v", st, err)
	}
	code := e.resetCode(m, owner.Email)
	e.do("POST", "/rest/v1/auth/password/reset", resetBody(owner.Email, code, newPassword)).expect(t, 200, "")
	st, err := e.store.GetMFA(ctx, owner.OrgID, owner.ID)
	if err != nil || st.Failures != 0 || !st.Enabled() {
		t.Fatalf("after reset %+v %v", st, err)
	}
}
