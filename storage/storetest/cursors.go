package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var cursorCases = []testCase{
	{"ConversationCursorPaging", testConversationCursorPaging},
	{"ConversationCursorTies", testConversationCursorTies},
	{"ConversationCursorFilters", testConversationCursorFilters},
	{"ConversationCursorTenancy", testConversationCursorTenancy},
	{"ListVisitorsPaging", testListVisitorsPaging},
	{"ListVisitorsTenancy", testListVisitorsTenancy},
	{"ListVisitorsErased", testListVisitorsErased},
}

// cursorFixture is a tenant with conversations whose update times tie:
// three at 30 s, one at 20 s, three at 10 s (ids chosen so the id order
// differs from the creation order), and a second tenant whose
// conversations share those times.
type cursorFixture struct {
	a, b tenant
	want []string // a's conversations in list order
}

func newCursorFixture(t *testing.T, s storage.Store) cursorFixture {
	t.Helper()
	f := cursorFixture{a: newTenant(t, s, "a"), b: newTenant(t, s, "b")}
	for _, c := range []struct {
		id  string
		sec int
	}{{"cnv_b30", 30}, {"cnv_c30", 30}, {"cnv_a30", 30}, {"cnv_m20", 20}, {"cnv_z10", 10}, {"cnv_a10", 10}, {"cnv_k10", 10}} {
		f.a.conversation(t, s, c.id, c.sec)
		f.b.conversation(t, s, c.id+"_b", c.sec)
	}
	f.want = []string{"cnv_c30", "cnv_b30", "cnv_a30", "cnv_m20", "cnv_z10", "cnv_k10", "cnv_a10"}
	return f
}

// pageConversations walks org's list matching f with page size n through
// cursors made of each page's last row, and returns every id in order.
func pageConversations(t *testing.T, s storage.Store, orgID string, f storage.ConversationFilter, n int) []string {
	t.Helper()
	f.Limit = n
	var got []string
	for range 100 {
		page, err := s.ListConversations(ctx(t), orgID, f)
		ok(t, err, "list conversations page")
		got = append(got, ids(page, func(c storage.Conversation) string { return c.ID })...)
		if len(page) < n {
			return got
		}
		last := page[len(page)-1]
		f.Cursor = &storage.ConversationCursor{UpdatedAt: last.UpdatedAt, ID: last.ID}
	}
	t.Fatal("paging did not end")
	return nil
}

// Paging with every page size yields each conversation exactly once, in
// (updated_at desc, id desc) order, the last page short or empty.
func testConversationCursorPaging(t *testing.T, s storage.Store) {
	f := newCursorFixture(t, s)
	for n := 1; n <= len(f.want)+1; n++ {
		sameList(t, pageConversations(t, s, f.a.org.ID, storage.ConversationFilter{}, n), f.want,
			fmt.Sprintf("pages of %d", n))
	}
}

// A cursor inside a group of equal update times continues with the
// smaller ids of that group, then the older times; a cursor at an id
// that does not exist is still a position.
func testConversationCursorTies(t *testing.T, s storage.Store) {
	f := newCursorFixture(t, s)
	for _, tc := range []struct {
		name string
		cur  storage.ConversationCursor
		want []string
	}{
		{"mid tie", storage.ConversationCursor{UpdatedAt: at(30), ID: "cnv_b30"}, f.want[2:]},
		{"last of tie", storage.ConversationCursor{UpdatedAt: at(30), ID: "cnv_a30"}, f.want[3:]},
		{"absent id in tie", storage.ConversationCursor{UpdatedAt: at(10), ID: "cnv_l10"}, []string{"cnv_k10", "cnv_a10"}},
		{"between times", storage.ConversationCursor{UpdatedAt: at(25), ID: ""}, f.want[3:]},
		{"before all", storage.ConversationCursor{UpdatedAt: at(40), ID: "cnv_0"}, f.want},
		{"after all", storage.ConversationCursor{UpdatedAt: at(10), ID: "cnv_a10"}, nil},
	} {
		cur := tc.cur
		got, err := s.ListConversations(ctx(t), f.a.org.ID, storage.ConversationFilter{Cursor: &cur})
		ok(t, err, tc.name)
		sameList(t, ids(got, func(c storage.Conversation) string { return c.ID }), tc.want, tc.name)
	}
}

// The cursor combines with the other filters and with Before.
func testConversationCursorFilters(t *testing.T, s storage.Store) {
	f := newCursorFixture(t, s)
	ok(t, s.CloseConversation(ctx(t), f.a.org.ID, "cnv_a30", at(30)), "close a30")
	ok(t, s.CloseConversation(ctx(t), f.a.org.ID, "cnv_k10", at(10)), "close k10")
	open := storage.ConversationFilter{Status: storage.ConversationOpen}
	sameList(t, pageConversations(t, s, f.a.org.ID, open, 2),
		[]string{"cnv_c30", "cnv_b30", "cnv_m20", "cnv_z10", "cnv_a10"}, "open, pages of 2")
	ok(t, s.SetAssignee(ctx(t), f.a.org.ID, "cnv_z10", "", f.a.owner.ID, at(10)), "assign z10")
	ok(t, s.SetAssignee(ctx(t), f.a.org.ID, "cnv_c30", "", f.a.owner.ID, at(30)), "assign c30")
	mine := storage.ConversationFilter{AssigneeID: f.a.owner.ID}
	sameList(t, pageConversations(t, s, f.a.org.ID, mine, 1), []string{"cnv_c30", "cnv_z10"}, "assignee, pages of 1")
	cur := storage.ConversationCursor{UpdatedAt: at(30), ID: "cnv_c30"}
	got, err := s.ListConversations(ctx(t), f.a.org.ID, storage.ConversationFilter{Cursor: &cur, Before: at(20)})
	ok(t, err, "cursor and before")
	sameList(t, ids(got, func(c storage.Conversation) string { return c.ID }), f.want[4:], "cursor and before")
}

// A cursor never reaches another organisation's conversations, even one
// naming them.
func testConversationCursorTenancy(t *testing.T, s storage.Store) {
	f := newCursorFixture(t, s)
	got := pageConversations(t, s, f.a.org.ID, storage.ConversationFilter{}, 3)
	sameList(t, got, f.want, "a's pages")
	cur := storage.ConversationCursor{UpdatedAt: at(30), ID: "cnv_b30_b"}
	list, err := s.ListConversations(ctx(t), f.a.org.ID, storage.ConversationFilter{Cursor: &cur})
	ok(t, err, "cursor at b's conversation")
	for _, c := range list {
		if c.OrgID != f.a.org.ID {
			t.Fatalf("org a's list holds %s of %s", c.ID, c.OrgID)
		}
	}
	// The cursor is only a position ("cnv_b30_b" sorts between cnv_c30 and
	// cnv_b30): a's rows after it, none of b's.
	sameList(t, ids(list, func(c storage.Conversation) string { return c.ID }), f.want[1:], "cursor at b's conversation")
}

// visitorAt stores a visitor of tn created at sec.
func visitorAt(t *testing.T, s storage.Store, tn tenant, id string, sec int) storage.Visitor {
	t.Helper()
	v := storage.Visitor{ID: id, OrgID: tn.org.ID, WidgetID: tn.widget.ID, Name: "enc-" + id,
		Email: "enc-e-" + id, Phone: "enc-p-" + id, CreatedAt: at(sec), LastSeenAt: at(sec)}
	ok(t, s.CreateVisitor(ctx(t), v), "create visitor "+id)
	return v
}

// pageVisitors walks org's visitors with page size n and returns every id.
func pageVisitors(t *testing.T, s storage.Store, orgID string, n int) []string {
	t.Helper()
	var got []string
	var cur *storage.VisitorCursor
	for range 100 {
		page, err := s.ListVisitors(ctx(t), orgID, cur, n)
		ok(t, err, "list visitors page")
		got = append(got, ids(page, func(v storage.Visitor) string { return v.ID })...)
		if len(page) < n {
			return got
		}
		last := page[len(page)-1]
		cur = &storage.VisitorCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	t.Fatal("paging did not end")
	return nil
}

// newVisitorListFixture gives tenant a (whose own visitor vis_a was created
// at 2 s) visitors with tied creation times; tenant b gets visitors at
// the same times.
func newVisitorListFixture(t *testing.T, s storage.Store) (a, b tenant, want []string) {
	t.Helper()
	a, b = newTenant(t, s, "a"), newTenant(t, s, "b")
	for _, v := range []struct {
		id  string
		sec int
	}{{"vis_q9", 9}, {"vis_c9", 9}, {"vis_x5", 5}, {"vis_d3", 3}, {"vis_m3", 3}} {
		visitorAt(t, s, a, v.id, v.sec)
		visitorAt(t, s, b, v.id+"_b", v.sec)
	}
	return a, b, []string{"vis_q9", "vis_c9", "vis_x5", "vis_m3", "vis_d3", "vis_a"}
}

// Newest first, ties broken by id descending, every visitor once at every
// page size; fields come back as stored; a zero limit means the default.
func testListVisitorsPaging(t *testing.T, s storage.Store) {
	a, _, want := newVisitorListFixture(t, s)
	for n := 1; n <= len(want)+1; n++ {
		sameList(t, pageVisitors(t, s, a.org.ID, n), want, fmt.Sprintf("pages of %d", n))
	}
	all, err := s.ListVisitors(ctx(t), a.org.ID, nil, 0)
	ok(t, err, "list visitors, default limit")
	sameList(t, ids(all, func(v storage.Visitor) string { return v.ID }), want, "default limit")
	same(t, all[len(all)-1], a.visitor, "stored visitor")
	cur := &storage.VisitorCursor{CreatedAt: at(9), ID: "vis_p"}
	got, err := s.ListVisitors(ctx(t), a.org.ID, cur, 10)
	ok(t, err, "cursor inside a tie")
	sameList(t, ids(got, func(v storage.Visitor) string { return v.ID }), want[1:], "cursor inside a tie")
}

// Another organisation's visitors never appear, not even after a cursor
// naming one of them.
func testListVisitorsTenancy(t *testing.T, s storage.Store) {
	a, b, want := newVisitorListFixture(t, s)
	cur := &storage.VisitorCursor{CreatedAt: at(9), ID: "vis_q9_b"}
	got, err := s.ListVisitors(ctx(t), a.org.ID, cur, 200)
	ok(t, err, "cursor at b's visitor")
	sameList(t, ids(got, func(v storage.Visitor) string { return v.ID }), want, "cursor at b's visitor")
	bs := pageVisitors(t, s, b.org.ID, 4)
	if slices.ContainsFunc(bs, func(id string) bool { return slices.Contains(want, id) }) || len(bs) != len(want) {
		t.Fatalf("org b's visitors %v mix with a's", bs)
	}
	none, err := s.ListVisitors(ctx(t), "org_nobody", nil, 10)
	ok(t, err, "unknown org")
	if len(none) != 0 {
		t.Fatalf("unknown org lists %d visitors", len(none))
	}
}

// An erased visitor stays in the list, in its place, with DeletedAt set
// and its PII gone.
func testListVisitorsErased(t *testing.T, s storage.Store) {
	a, _, want := newVisitorListFixture(t, s)
	erased := eraseVisitor(t, s, a.org.ID, "vis_x5", 20)
	got, err := s.ListVisitors(ctx(t), a.org.ID, nil, 200)
	ok(t, err, "list with an erased visitor")
	sameList(t, ids(got, func(v storage.Visitor) string { return v.ID }), want, "list with an erased visitor")
	i := slices.IndexFunc(got, func(v storage.Visitor) bool { return v.ID == "vis_x5" })
	if !got[i].Deleted() || got[i].Name == "enc-vis_x5" || got[i].Email == "enc-e-vis_x5" {
		t.Fatalf("erased visitor listed as %+v", got[i])
	}
	same(t, got[i], erased, "erased visitor as GetVisitor returns it")
}
