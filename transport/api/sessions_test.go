package api

import (
	"context"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Each live session shows device, browser and OS from its user agent,
// location and ISP from its IP (test-written MaxMind databases), which one
// is the caller's, and when it was created and last active; revoked
// sessions are gone from the list.
func TestMySessionsDescribeDevices(t *testing.T) {
	e := newEnv(t, withGeo(t))
	owner, _ := e.seedOrg("Acme")
	_, mac := e.loginFrom(owner.Email, "203.0.113.7", uaChromeMac)
	e.clock.Advance(time.Second)
	_, phone := e.loginFrom(owner.Email, "2001:db8:1:2::5", uaIPhone)
	e.clock.Advance(time.Second)
	_, gone := e.loginFrom(owner.Email, "192.0.2.9", "curl/8.4.0")
	e.do("POST", "/rest/v1/auth/logout", nil, bearer(gone.AccessToken)).expect(t, 204, "")

	list := e.listSessions(mac.AccessToken)
	var got []deviceSessionView
	for _, s := range list {
		if s.IP != "" { // the seeded session has no client
			got = append(got, s)
		}
	}
	if len(got) != 2 {
		t.Fatalf("sessions %+v, want the phone and the mac (the logged-out one gone)", got)
	}
	ph, mc := got[0], got[1] // newest first
	want := deviceSessionView{ID: ph.ID, Device: "mobile", Browser: "Safari 17", OS: "iOS 17", IP: "2001:db8:1:2::5",
		Location: "Berlin, Germany", ISP: "Example Fibre", CreatedAt: e.clock.Now().Add(-time.Second),
		LastActiveAt: e.clock.Now().Add(-time.Second)}
	if ph != want {
		t.Errorf("phone session\n got %+v\nwant %+v", ph, want)
	}
	if !mc.Current || ph.Current || mc.Device != "desktop" || mc.Browser != "Chrome 120" ||
		mc.Location != "Lisbon, Portugal" || mc.ISP != "Example Telecom" {
		t.Errorf("mac session %+v", mc)
	}
	if s := e.listSessions(phone.AccessToken); len(s) != 3 || !s[0].Current {
		t.Errorf("from the phone: %+v, want 3 sessions, the phone current", s)
	}
}

// Without databases, location and ISP are "unknown".
func TestMySessionsUnknownWithoutGeo(t *testing.T) {
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, tk := e.loginFrom(owner.Email, "203.0.113.7", uaChromeMac)
	for _, s := range e.listSessions(tk.AccessToken) {
		if s.Location != "unknown" || s.ISP != "unknown" {
			t.Errorf("session %+v: want unknown location and ISP", s)
		}
	}
}

// Use counts as activity, written at most once a minute: last_active_at
// moves with a request two minutes later.
func TestMySessionsLastActive(t *testing.T) {
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, tk := e.loginFrom(owner.Email, "203.0.113.7", uaChromeMac)
	started := e.clock.Now()
	e.clock.Advance(2 * time.Minute)
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "")
	e.sessions.WaitActivity()
	for _, s := range e.listSessions(tk.AccessToken) {
		if s.Current && (!s.LastActiveAt.Equal(e.clock.Now()) || !s.CreatedAt.Equal(started)) {
			t.Fatalf("current session created %v last active %v, want %v and %v", s.CreatedAt, s.LastActiveAt, started, e.clock.Now())
		}
	}
}

// A session whose refresh token must have expired is not listed.
func TestMySessionsLeaveOutExpired(t *testing.T) {
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, short := e.loginFrom(owner.Email, "203.0.113.7", uaChromeMac)
	var long tokens
	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": owner.Email, "password": testPassword, "remember_me": true},
		header("User-Agent", uaIPhone)).expect(t, 200, "").json(t, &long)
	e.clock.Advance(24*time.Hour + 2*time.Minute)
	var r tokens
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": long.RefreshToken}).expect(t, 200, "").json(t, &r)
	for _, s := range e.listSessions(r.AccessToken) {
		if !s.Current {
			t.Errorf("listed %+v: only the remembered session is alive", s)
		}
	}
	_ = short
}

// DELETE /me/sessions/{id}: one's own other session is revoked (its token
// stops working) and audited; another agent's session, of this
// organisation or another, and unknown ids are not_found and stay alive.
func TestRevokeMySession(t *testing.T) {
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	_, colleagueTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	_, strangerTok := e.seedOrg("Other")
	_, mine := e.loginFrom(owner.Email, "203.0.113.7", uaChromeMac)

	for _, tok := range []string{colleagueTok, strangerTok} {
		sid := sessionOf(t, e, tok)
		e.do("DELETE", "/rest/v1/me/sessions/"+sid, nil, bearer(ownerTok)).expect(t, 404, "not_found")
		e.do("GET", "/rest/v1/me", nil, bearer(tok)).expect(t, 200, "")
	}
	e.do("DELETE", "/rest/v1/me/sessions/ses_unknown", nil, bearer(ownerTok)).expect(t, 404, "not_found")
	e.do("DELETE", "/rest/v1/me/sessions/..%2f", nil, bearer(ownerTok)).expect(t, 404, "")

	sid := sessionOf(t, e, mine.AccessToken)
	e.do("DELETE", "/rest/v1/me/sessions/"+sid, nil, bearer(ownerTok)).expect(t, 204, "")
	e.do("GET", "/rest/v1/me", nil, bearer(mine.AccessToken)).expect(t, 401, "unauthorized")
	e.do("POST", "/rest/v1/auth/refresh", map[string]any{"refresh_token": mine.RefreshToken}).expect(t, 401, "")
	e.do("DELETE", "/rest/v1/me/sessions/"+sid, nil, bearer(ownerTok)).expect(t, 204, "")
	if n := countAudit(t, e, owner, "session.revoked"); n != 1 {
		t.Errorf("%d session.revoked events, want 1", n)
	}
	for _, s := range e.listSessions(ownerTok) {
		if s.ID == sid {
			t.Error("the revoked session is still listed")
		}
	}
}

// Visitors have no session list.
func TestVisitorsHaveNoSessionList(t *testing.T) {
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, vt := e.seedVisitor(e.seedWidget(owner.OrgID, "https://shop.example"))
	e.do("GET", "/rest/v1/me/sessions", nil, bearer(vt)).expect(t, 403, "forbidden")
	e.do("POST", "/rest/v1/me/sessions/revoke-others", nil, bearer(vt)).expect(t, 403, "forbidden")
}

// revoke-others signs every other session out and keeps the caller's.
func TestRevokeOthers(t *testing.T) {
	e := newEnv(t)
	owner, first := e.seedOrg("Acme")
	_, second := e.loginFrom(owner.Email, "203.0.113.7", uaChromeMac)
	_, third := e.loginFrom(owner.Email, "203.0.113.8", uaIPhone)
	var out revokedResponse
	e.do("POST", "/rest/v1/me/sessions/revoke-others", nil, bearer(third.AccessToken)).expect(t, 200, "").json(t, &out)
	if out.Revoked != 2 {
		t.Fatalf("revoked %d, want 2", out.Revoked)
	}
	for _, tok := range []string{first, second.AccessToken} {
		e.do("GET", "/rest/v1/me", nil, bearer(tok)).expect(t, 401, "")
	}
	if s := e.listSessions(third.AccessToken); len(s) != 1 || !s[0].Current {
		t.Fatalf("after revoke-others: %+v", s)
	}
	if n := countAudit(t, e, owner, "session.revoked_others"); n != 1 {
		t.Errorf("%d session.revoked_others events, want 1", n)
	}
}

// Owners and admins list and revoke a team member's sessions; agents
// cannot; admins cannot touch an owner's; another organisation's agent and
// a session of someone else are not_found.
func TestAgentSessionsForManagers(t *testing.T) {
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	admin, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	member, memberTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	stranger, strangerTok := e.seedOrg("Other")
	base := "/rest/v1/agents/" + member.ID + "/sessions"

	var out sessionsResponse
	e.do("GET", base, nil, bearer(adminTok)).expect(t, 200, "").json(t, &out)
	if len(out.Sessions) != 1 || out.Sessions[0].Current {
		t.Fatalf("member sessions seen by the admin: %+v", out.Sessions)
	}
	e.do("GET", base, nil, bearer(memberTok)).expect(t, 403, "forbidden")
	e.do("GET", "/rest/v1/agents/"+owner.ID+"/sessions", nil, bearer(adminTok)).expect(t, 403, "forbidden")
	e.do("POST", "/rest/v1/agents/"+owner.ID+"/sessions/revoke-all", nil, bearer(adminTok)).expect(t, 403, "forbidden")
	e.do("GET", "/rest/v1/agents/"+stranger.ID+"/sessions", nil, bearer(ownerTok)).expect(t, 404, "not_found")
	e.do("POST", "/rest/v1/agents/"+stranger.ID+"/sessions/revoke-all", nil, bearer(ownerTok)).expect(t, 404, "not_found")
	e.do("DELETE", base+"/"+sessionOf(t, e, adminTok), nil, bearer(ownerTok)).expect(t, 404, "not_found")
	e.do("DELETE", base+"/"+sessionOf(t, e, strangerTok), nil, bearer(ownerTok)).expect(t, 404, "not_found")
	e.do("GET", "/rest/v1/me", nil, bearer(adminTok)).expect(t, 200, "")

	e.do("DELETE", base+"/"+out.Sessions[0].ID, nil, bearer(adminTok)).expect(t, 204, "")
	e.do("GET", "/rest/v1/me", nil, bearer(memberTok)).expect(t, 401, "")
	again := e.token(owner.OrgID, storage.SubjectAgent, member.ID)
	e.token(owner.OrgID, storage.SubjectAgent, member.ID)
	var rv revokedResponse
	e.do("POST", base+"/revoke-all", nil, bearer(ownerTok)).expect(t, 200, "").json(t, &rv)
	if rv.Revoked != 2 {
		t.Fatalf("revoke-all revoked %d, want 2", rv.Revoked)
	}
	e.do("GET", "/rest/v1/me", nil, bearer(again)).expect(t, 401, "")
	_ = admin
}

// sessionOf returns the session id of an access token.
func sessionOf(t *testing.T, e *env, token string) string {
	t.Helper()
	p, err := e.sessions.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return p.SessionID
}

// countAudit counts the organisation's events with action.
func countAudit(t *testing.T, e *env, owner storage.Agent, action string) int {
	t.Helper()
	list, err := e.store.ListAudit(context.Background(), owner.OrgID, 500)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range list {
		if ev.Action == action {
			n++
		}
	}
	return n
}
