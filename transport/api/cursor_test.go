package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

func rawCursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 1, 12, 0, 0, 123_000_000, time.UTC)
	for _, kind := range []string{cursorConversation, cursorVisitor} {
		s := encodeCursor(kind, at, "cnv_abc")
		pos, err := decodeCursor(kind, s)
		if err != nil || !pos.At.Equal(at) || pos.ID != "cnv_abc" {
			t.Fatalf("%s: decode(%s) = %+v, %v", kind, s, pos, err)
		}
	}
}

// Every malformed, edited or foreign cursor is refused with the one
// message; none reaches the store.
func TestCursorRejectsMalformed(t *testing.T) {
	t.Parallel()
	good := encodeCursor(cursorConversation, time.UnixMilli(1_740_830_400_000), "cnv_abc")
	for name, s := range map[string]string{
		"empty":            "",
		"not base64":       "!!!!",
		"padded":           good + "=",
		"std alphabet":     strings.NewReplacer("-", "+", "_", "/").Replace(rawCursor("v1.c.1.cnv_a?>")),
		"trailing bits":    good[:len(good)-1] + "B",
		"plain text":       "v1.c.1740830400000.cnv_abc",
		"other version":    rawCursor("v2.c.1740830400000.cnv_abc"),
		"visitor kind":     rawCursor("v1.v.1740830400000.cnv_abc"),
		"extra part":       rawCursor("v1.c.1740830400000.cnv_abc.x"),
		"missing part":     rawCursor("v1.c.1740830400000"),
		"leading zero":     rawCursor("v1.c.01740830400000.cnv_abc"),
		"plus sign":        rawCursor("v1.c.+1740830400000.cnv_abc"),
		"negative":         rawCursor("v1.c.-1.cnv_abc"),
		"past year 9999":   rawCursor("v1.c.253402300800000.cnv_abc"),
		"overflow":         rawCursor("v1.c.99999999999999999999.cnv_abc"),
		"bad id":           rawCursor("v1.c.1740830400000.CNV-ABC"),
		"empty id":         rawCursor("v1.c.1740830400000."),
		"id too long":      rawCursor("v1.c.1740830400000." + strings.Repeat("a", 65)),
		"too long":         rawCursor("v1.c.1740830400000." + strings.Repeat("a", 64) + strings.Repeat("b", 40)),
		"nul in id":        rawCursor("v1.c.1740830400000.cnv\x00abc"),
		"spaces around ms": rawCursor("v1.c. 1740830400000.cnv_abc"),
	} {
		if _, err := decodeCursor(cursorConversation, s); err != errBadCursor {
			t.Errorf("%s: decode(%q) = %v, want the malformed-cursor error", name, s, err)
		}
	}
}

// FuzzDecodeCursor: whatever the input, a cursor either fails with the one
// error or is the canonical encoding of what it decodes to.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursorConversation, time.UnixMilli(1), "cnv_a"))
	f.Add(rawCursor("v1.c.01.cnv_a"))
	f.Add("")
	f.Add("djEuYy4xLmNudl9h")
	f.Fuzz(func(t *testing.T, s string) {
		pos, err := decodeCursor(cursorConversation, s)
		if err != nil {
			if err != errBadCursor {
				t.Fatalf("decode(%q): unexpected error %v", s, err)
			}
			return
		}
		if encodeCursor(cursorConversation, pos.At, pos.ID) != s || !validID(pos.ID) {
			t.Fatalf("decode(%q) = %+v, which does not encode back", s, pos)
		}
	})
}

// seedConversationsAt stores n conversations of visitor v whose update
// times tie in groups of seven (ids random), and returns their ids in list
// order (updated_at desc, id desc).
func (e *env) seedConversationsAt(v storage.Visitor, n int) []string {
	e.t.Helper()
	type row struct {
		id string
		at time.Time
	}
	base := e.clock.Now().Truncate(time.Millisecond)
	rows := make([]row, n)
	for i := range rows {
		at := base.Add(time.Duration(i/7) * time.Second)
		rows[i] = row{storage.NewID("cnv"), at}
		c := storage.Conversation{ID: rows[i].id, OrgID: v.OrgID, VisitorID: v.ID, WidgetID: v.WidgetID,
			Status: storage.ConversationOpen, CreatedAt: at, UpdatedAt: at}
		if err := e.store.CreateConversation(context.Background(), c); err != nil {
			e.t.Fatalf("seed conversation: %v", err)
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

type convCursorPage struct {
	convList
	NextCursor *string `json:"next_cursor"`
}

// Paging through 120 conversations with limit 50 gives every id exactly
// once, in order, in pages of 50, 50 and 20, next_cursor null at the end;
// another organisation's conversations never appear; a cursor combines
// with the filters.
func TestListConversationsCursorPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	v, _ := e.seedVisitor(e.seedWidget(owner.OrgID))
	want := e.seedConversationsAt(v, 120)
	other, otherTok := e.seedOrg("Other")
	ov, _ := e.seedVisitor(e.seedWidget(other.OrgID))
	otherIDs := e.seedConversationsAt(ov, 9)

	var got []string
	var sizes []int
	q := "?limit=50"
	for range 10 {
		var page convCursorPage
		e.do("GET", "/rest/v1/conversations"+q, nil, bearer(tok)).expect(t, 200, "").json(t, &page)
		got = append(got, page.ids()...)
		sizes = append(sizes, len(page.Conversations))
		if page.NextCursor == nil {
			break
		}
		q = "?limit=50&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if fmt.Sprint(sizes) != "[50 50 20]" || !slices.Equal(got, want) {
		t.Fatalf("pages of %v; got %d ids, want the %d in order:\n got %v\nwant %v", sizes, len(got), len(want), got, want)
	}
	// Default limit 50; other tenant sees only its own, in one page.
	var first, theirs convCursorPage
	e.do("GET", "/rest/v1/conversations", nil, bearer(tok)).expect(t, 200, "").json(t, &first)
	e.do("GET", "/rest/v1/conversations?limit=200", nil, bearer(otherTok)).expect(t, 200, "").json(t, &theirs)
	if len(first.Conversations) != 50 || first.NextCursor == nil || theirs.NextCursor != nil ||
		fmt.Sprint(sorted(theirs.ids())) != fmt.Sprint(sorted(otherIDs)) {
		t.Fatalf("default page %d (next %v); other tenant %v", len(first.Conversations), first.NextCursor, theirs.ids())
	}
	// Org A's cursor used by org B only positions B's own list.
	var crossed convCursorPage
	e.do("GET", "/rest/v1/conversations?cursor="+url.QueryEscape(*first.NextCursor), nil, bearer(otherTok)).
		expect(t, 200, "").json(t, &crossed)
	for _, id := range crossed.ids() {
		if !slices.Contains(otherIDs, id) {
			t.Fatalf("org B listed %s of org A", id)
		}
	}
	// With a filter and before: still the right slice.
	var closedPage convCursorPage
	e.do("GET", "/rest/v1/conversations?status=closed&cursor="+url.QueryEscape(*first.NextCursor), nil, bearer(tok)).
		expect(t, 200, "").json(t, &closedPage)
	if len(closedPage.Conversations) != 0 || closedPage.NextCursor != nil {
		t.Fatalf("closed after cursor: %+v", closedPage)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestListConversationsCursorValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	visitorCursor := encodeCursor(cursorVisitor, time.UnixMilli(1), "vis_a")
	for _, q := range []string{
		"cursor=garbage!", "cursor=" + url.QueryEscape(rawCursor("v1.c.1.cnv_a.b")), "cursor=" + visitorCursor,
		"cursor=a&cursor=b", "limit=0", "limit=201", "limit=abc", "limit=-1",
	} {
		e.do("GET", "/rest/v1/conversations?"+q, nil, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	e.do("GET", "/rest/v1/conversations?limit=200", nil, bearer(tok)).expect(t, 200, "")
	e.do("GET", "/rest/v1/conversations?cursor="+encodeCursor(cursorConversation, time.UnixMilli(1), "cnv_a"), nil).
		expect(t, 401, httpx.CodeUnauthorized)
}
