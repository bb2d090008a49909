package api

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

const chromeUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

// seedAudit appends an event of org by actor at the env clock plus sec.
func (e *env) seedAudit(orgID, actorID, action string, sec int) storage.AuditEvent {
	e.t.Helper()
	ev := storage.AuditEvent{ID: storage.NewID("aud"), OrgID: orgID, ActorKind: storage.SubjectAgent, ActorID: actorID,
		Action: action, TargetID: "ses_x", IP: "203.0.113.7", UserAgent: chromeUA, Detail: "method=password",
		CreatedAt: e.clock.Now().Add(time.Duration(sec) * time.Second).Truncate(time.Millisecond)}
	if err := e.store.AppendAudit(context.Background(), ev); err != nil {
		e.t.Fatal(err)
	}
	return ev
}

func (e *env) listAudit(t *testing.T, tok, query string) auditPage {
	t.Helper()
	var out auditPage
	e.do("GET", "/rest/v1/audit"+query, nil, bearer(tok)).expect(t, 200, "").json(t, &out)
	return out
}

func eventIDs(p auditPage) []string {
	var ids []string
	for _, e := range p.Events {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestListAuditFiltersNewestFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	admin, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	e1 := e.seedAudit(owner.OrgID, owner.ID, "auth.login", 0)
	e2 := e.seedAudit(owner.OrgID, admin.ID, "auth.login", 10)
	e3 := e.seedAudit(owner.OrgID, owner.ID, "agent.role_changed", 20)
	fail := storage.AuditEvent{ID: "aud_fail", OrgID: owner.OrgID, Action: "auth.login_failed", TargetID: owner.ID, IP: "198.51.100.4",
		Outcome: storage.AuditFailure, CreatedAt: e.clock.Now().Add(30 * time.Second)}
	if err := e.store.AppendAudit(context.Background(), fail); err != nil {
		t.Fatal(err)
	}

	all := e.listAudit(t, tok, "")
	if len(all.Events) != 4 || all.NextCursor != nil || all.Events[1].ID != e3.ID || all.Events[3].ID != e1.ID {
		t.Fatalf("all events: %+v", all)
	}
	got := all.Events[3]
	want := auditEventView{ID: e1.ID, Seq: 1, Action: "auth.login", Outcome: "success", ActorKind: storage.SubjectAgent,
		ActorID: owner.ID, ActorName: owner.Name, TargetID: "ses_x", IP: "203.0.113.7", Device: "Chrome on macOS",
		UserAgent: chromeUA, Detail: "method=password", CreatedAt: e1.CreatedAt}
	if got != want {
		t.Errorf("event view:\n got %+v\nwant %+v", got, want)
	}
	if f := all.Events[0]; f.Outcome != "failure" || f.ActorID != "" || f.ActorName != "" || f.Device != "" {
		t.Errorf("anonymous failure: %+v", f)
	}
	for query, want := range map[string][]string{
		"?action=auth.login": {e2.ID, e1.ID},
		"?actor=" + admin.ID: {e2.ID},
		"?since=" + url.QueryEscape(e2.CreatedAt.Format(time.RFC3339Nano)): {fail.ID, e3.ID, e2.ID},
		"?action=auth.login&actor=" + owner.ID:                             {e1.ID},
		"?action=auth.logout":                                              nil,
	} {
		if got := eventIDs(e.listAudit(t, adminTok, query)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
}

func TestListAuditCursorPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	var want []string
	for i := range 7 {
		ev := e.seedAudit(owner.OrgID, owner.ID, "auth.login", i)
		want = append([]string{ev.ID}, want...)
	}
	var got []string
	query, pages := "?limit=3", 0
	for {
		p := e.listAudit(t, tok, query)
		got, pages = append(got, eventIDs(p)...), pages+1
		if p.NextCursor == nil {
			break
		}
		query = "?limit=3&cursor=" + url.QueryEscape(*p.NextCursor)
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
		t.Errorf("%d pages: %v, want %v", pages, got, want)
	}
	exact := e.listAudit(t, tok, "?limit=7")
	if len(exact.Events) != 7 || exact.NextCursor != nil {
		t.Errorf("a full last page has no next cursor: %d events, %v", len(exact.Events), exact.NextCursor)
	}
}

// Only owners and admins read the trail, and only their organisation's:
// no filter or cursor reaches another tenant's events.
func TestListAuditAccessAndTenancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, aTok := e.seedOrg("Acme")
	b, bTok := e.seedOrg("Beta")
	_, agentTok := e.seedAgent(a.OrgID, storage.RoleAgent)
	w := e.seedWidget(a.OrgID, "https://shop.example")
	_, visitorTok := e.seedVisitor(w)
	for i := range 3 {
		e.seedAudit(a.OrgID, a.ID, "auth.login", i)
	}
	eb := e.seedAudit(b.OrgID, b.ID, "auth.login", 5)

	e.do("GET", "/rest/v1/audit", nil).expect(t, 401, httpx.CodeUnauthorized)
	e.do("GET", "/rest/v1/audit", nil, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("GET", "/rest/v1/audit", nil, bearer(visitorTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", "/rest/v1/audit", nil, bearer(aTok)).expect(t, 405, "")

	if got := eventIDs(e.listAudit(t, bTok, "")); fmt.Sprint(got) != fmt.Sprint([]string{eb.ID}) {
		t.Errorf("b sees %v", got)
	}
	if got := e.listAudit(t, bTok, "?actor="+a.ID); len(got.Events) != 0 {
		t.Errorf("b filtering on a's owner sees %v", eventIDs(got))
	}
	first := e.listAudit(t, aTok, "?limit=1")
	if got := e.listAudit(t, bTok, "?cursor="+*first.NextCursor); fmt.Sprint(eventIDs(got)) != fmt.Sprint([]string{eb.ID}) {
		t.Errorf("a's cursor in b: %v", eventIDs(got))
	}
	for _, ev := range e.listAudit(t, aTok, "?limit=200").Events {
		if ev.ID == eb.ID {
			t.Errorf("a sees b's event")
		}
	}
}

func TestListAuditValidatesQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	for _, q := range []string{
		"?since=yesterday", "?since=2025-03-01", "?limit=0", "?limit=201", "?limit=ten",
		"?cursor=abc", "?cursor=0", "?cursor=-5", "?cursor=99999999999999999999",
		"?action=auth%20login", "?action=AUTH.LOGIN", "?action=" + strings.Repeat("a", 65),
		"?actor=agt%27%20OR%201", "?limit=1&limit=2",
	} {
		e.do("GET", "/rest/v1/audit"+q, nil, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	e.do("GET", "/rest/v1/audit?limit=200&since=2025-03-01T12:00:00Z&unknown=1", nil, bearer(tok)).expect(t, 200, "")
}

func TestAuditDevice(t *testing.T) {
	for ua, want := range map[string]string{
		"": "", chromeUA: "Chrome on macOS",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                        "Firefox on Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0":                   "Edge on Windows",
		"curl/8.5.0": "curl", "something": "unknown",
	} {
		if got := auditDevice(ua); got != want {
			t.Errorf("auditDevice(%q) = %q, want %q", ua, got, want)
		}
	}
}

// A failed sign-in is stored with outcome failure even where the caller
// set none, and a success with success.
func TestAuditOutcomeFromAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	e.do("POST", "/rest/v1/auth/login", map[string]string{"email": owner.Email, "password": "wrong wrong wrong"}).expect(t, 401, "")
	e.do("POST", "/rest/v1/auth/login", map[string]string{"email": owner.Email, "password": testPassword}).expect(t, 200, "")
	p := e.listAudit(t, tok, "")
	if len(p.Events) != 2 || p.Events[1].Action != "auth.login_failed" || p.Events[1].Outcome != "failure" ||
		p.Events[0].Action != "auth.login" || p.Events[0].Outcome != "success" {
		t.Fatalf("events: %+v", p.Events)
	}
	list, err := e.store.QueryAudit(context.Background(), owner.OrgID, storage.AuditQuery{Action: "auth.login_failed"})
	if err != nil || len(list) != 1 || list[0].Outcome != storage.AuditFailure {
		t.Fatalf("stored outcome: %+v %v", list, err)
	}
}
