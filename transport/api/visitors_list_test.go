package api

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// seedVisitorsAt stores n visitors of widget w, named "Visitor <i>", whose
// creation times tie in groups of three, and returns their ids newest
// first (created_at desc, id desc).
func (e *env) seedVisitorsAt(w storage.Widget, n int) []string {
	e.t.Helper()
	type row struct {
		id string
		at time.Time
	}
	base := e.clock.Now().Truncate(time.Millisecond)
	rows := make([]row, n)
	for i := range rows {
		at := base.Add(time.Duration(i/3) * time.Second)
		rows[i] = row{storage.NewID("vis"), at}
		v := storage.Visitor{ID: rows[i].id, OrgID: w.OrgID, WidgetID: w.ID, Name: fmt.Sprintf("Visitor %d", i),
			Email: fmt.Sprintf("v%d@example.org", i), CreatedAt: at, LastSeenAt: at}
		if err := e.store.CreateVisitor(context.Background(), v); err != nil {
			e.t.Fatalf("seed visitor: %v", err)
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	out := make([]string, n)
	for i, r := range rows {
		out[i] = r.id
	}
	return out
}

type visitorPage struct {
	Visitors   []visitorJSON `json:"visitors"`
	NextCursor *string       `json:"next_cursor"`
}

// pageAllVisitors walks GET /visitors with limit and returns every visitor.
func (e *env) pageAllVisitors(t *testing.T, tok string, limit int) []visitorJSON {
	t.Helper()
	var all []visitorJSON
	q := fmt.Sprintf("?limit=%d", limit)
	for range 50 {
		var page visitorPage
		e.do("GET", "/rest/v1/visitors"+q, nil, bearer(tok)).expect(t, 200, "").json(t, &page)
		if page.Visitors == nil {
			t.Fatal(`"visitors" is not a list`)
		}
		all = append(all, page.Visitors...)
		if page.NextCursor == nil {
			return all
		}
		q = fmt.Sprintf("?limit=%d&cursor=%s", limit, url.QueryEscape(*page.NextCursor))
	}
	t.Fatal("paging did not end")
	return nil
}

// GET /visitors without email lists the organisation's visitors newest
// first, every one exactly once across pages, PII opened, an erased one in
// its place shown as erased; another organisation sees only its own.
func TestListVisitors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	w := e.seedWidget(owner.OrgID)
	want := e.seedVisitorsAt(w, 11)
	erased := want[4]
	e.do("DELETE", "/rest/v1/visitors/"+erased, nil, bearer(ownerTok)).expect(t, 204, "")
	other, otherTok := e.seedOrg("Other")
	otherIDs := e.seedVisitorsAt(e.seedWidget(other.OrgID), 4)

	for _, limit := range []int{1, 3, 11, 50} {
		got := e.pageAllVisitors(t, agentTok, limit)
		ids := make([]string, len(got))
		for i, v := range got {
			ids[i] = v.ID
			switch {
			case v.ID == erased && (!v.Deleted || v.Name != "" || v.Email != "" || v.Phone != ""):
				t.Fatalf("erased visitor listed as %+v", v)
			case v.ID != erased && (v.Deleted || !strings.HasPrefix(v.Name, "Visitor ") || !strings.HasSuffix(v.Email, "@example.org")):
				t.Fatalf("visitor listed as %+v (PII not opened?)", v)
			case v.WidgetID != w.ID:
				t.Fatalf("visitor %s of widget %s", v.ID, v.WidgetID)
			}
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("limit %d:\n got %v\nwant %v", limit, ids, want)
		}
	}
	theirs := e.pageAllVisitors(t, otherTok, 2)
	if len(theirs) != len(otherIDs) {
		t.Fatalf("other tenant lists %d visitors, want %d", len(theirs), len(otherIDs))
	}
	for i, v := range theirs {
		if v.ID != otherIDs[i] {
			t.Fatalf("other tenant's list %+v", theirs)
		}
	}
	// The default page is 50; an email lookup answers next_cursor null.
	var page visitorPage
	e.do("GET", "/rest/v1/visitors", nil, bearer(agentTok)).expect(t, 200, "").json(t, &page)
	if len(page.Visitors) != 11 || page.NextCursor != nil {
		t.Fatalf("default page: %d visitors, next %v", len(page.Visitors), page.NextCursor)
	}
	e.do("GET", "/rest/v1/visitors?email=v0@example.org", nil, bearer(agentTok)).expect(t, 200, "").json(t, &page)
	if len(page.Visitors) != 1 || page.NextCursor != nil || !strings.Contains(string(e.do("GET",
		"/rest/v1/visitors?email=v0@example.org", nil, bearer(agentTok)).body), `"next_cursor":null`) {
		t.Fatalf("email lookup %+v", page)
	}
}

func TestListVisitorsValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	ids := e.seedVisitorsAt(w, 3)
	_, visitorTok := e.seedVisitor(w)
	good := encodeCursor(cursorVisitor, time.UnixMilli(1), ids[0])
	for _, q := range []string{
		"cursor=%%%", "cursor=" + encodeCursor(cursorConversation, time.UnixMilli(1), "cnv_a"),
		"cursor=" + rawCursor("v1.v.1."+ids[0]+"."), "cursor=" + good + "&cursor=" + good,
		"email=v0@example.org&cursor=" + good, "limit=0", "limit=201", "limit=x",
	} {
		e.do("GET", "/rest/v1/visitors?"+q, nil, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	e.do("GET", "/rest/v1/visitors?cursor="+good, nil, bearer(tok)).expect(t, 200, "")
	e.do("GET", "/rest/v1/visitors", nil, bearer(visitorTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("GET", "/rest/v1/visitors", nil).expect(t, 401, httpx.CodeUnauthorized)
}
