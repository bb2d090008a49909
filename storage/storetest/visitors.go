package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var visitorCases = []testCase{
	{"Visitors", testVisitors},
	{"FindVisitorByEmailIndex", testFindByEmailIndex},
	{"FindVisitorByEmailIndexTenantScoped", testFindByEmailIndexTenant},
	{"ScanVisitors", testScanVisitors},
}

func visitorID(v storage.Visitor) string { return v.ID }

// addVisitor stores a visitor of the tenant with the given email index,
// last seen at sec.
func (tn tenant) addVisitor(t *testing.T, s storage.Store, id string, index []byte, sec int) storage.Visitor {
	t.Helper()
	v := storage.Visitor{ID: id, OrgID: tn.org.ID, WidgetID: tn.widget.ID, Name: "enc-name-" + id,
		Email: "enc-email-" + id, Phone: "enc-phone-" + id, EmailIndex: index, CreatedAt: at(sec), LastSeenAt: at(sec)}
	ok(t, s.CreateVisitor(ctx(t), v), "create visitor "+id)
	return v
}

func testVisitors(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	got, err := s.GetVisitor(ctx(t), tn.org.ID, tn.visitor.ID)
	ok(t, err, "get visitor")
	same(t, got, tn.visitor, "visitor")
	if got.Deleted() {
		t.Errorf("new visitor reported deleted")
	}

	v := tn.visitor
	v.Name, v.Email, v.Phone, v.LastSeenAt = "enc-name-2", "enc-email-2", "", at(100)
	v.EmailIndex = emailIndex("acme-2")
	v.WidgetID, v.CreatedAt = "wdg_ignored", at(99) // not part of an update
	ok(t, s.UpdateVisitor(ctx(t), v), "update visitor")
	got, err = s.GetVisitor(ctx(t), tn.org.ID, v.ID)
	ok(t, err, "get updated visitor")
	want := tn.visitor
	want.Name, want.Email, want.Phone, want.LastSeenAt = v.Name, v.Email, v.Phone, v.LastSeenAt
	want.EmailIndex = v.EmailIndex
	same(t, got, want, "updated visitor")

	v.EmailIndex = nil // the email was removed
	ok(t, s.UpdateVisitor(ctx(t), v), "update visitor without email index")
	got, err = s.GetVisitor(ctx(t), tn.org.ID, v.ID)
	ok(t, err, "get visitor without email index")
	want.EmailIndex = nil
	same(t, got, want, "visitor without email index")

	_, err = s.GetVisitor(ctx(t), tn.org.ID, "vis_missing")
	wantErr(t, err, storage.ErrNotFound, "unknown visitor")
	v.ID = "vis_missing"
	wantErr(t, s.UpdateVisitor(ctx(t), v), storage.ErrNotFound, "update unknown visitor")
}

func testFindByEmailIndex(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	old, cur := emailIndex("ann-v1"), emailIndex("ann-v2")
	ann := tn.addVisitor(t, s, "vis_ann", cur, 10)
	tn.addVisitor(t, s, "vis_bob", emailIndex("bob-v2"), 20)

	got, err := s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, [][]byte{old, cur})
	ok(t, err, "find by current index among several")
	same(t, got, ann, "visitor found by index")
	got, err = s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, [][]byte{tn.visitor.EmailIndex})
	ok(t, err, "find the tenant's visitor")
	same(t, got, tn.visitor, "tenant's visitor found by index")
	for name, indexes := range map[string][][]byte{
		"only an old index": {old}, "no index": nil, "an empty index": {{}}, "a prefix": {cur[:16]},
	} {
		_, err = s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, indexes)
		wantErr(t, err, storage.ErrNotFound, "find by "+name)
	}

	// Two visitors share the email: the most recently seen wins.
	again := tn.addVisitor(t, s, "vis_ann_again", cur, 30)
	got, err = s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, [][]byte{cur})
	ok(t, err, "find with two matches")
	same(t, got, again, "most recently seen match")
	ann.LastSeenAt = at(40)
	ok(t, s.UpdateVisitor(ctx(t), ann), "ann seen again")
	got, err = s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, [][]byte{old, cur})
	ok(t, err, "find after ann was seen")
	same(t, got.ID, ann.ID, "most recently seen match after an update")

	// Rewriting the index (lazy re-keying) moves the lookup with it.
	ann.EmailIndex = emailIndex("ann-v3")
	ok(t, s.UpdateVisitor(ctx(t), ann), "re-index ann")
	got, err = s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, [][]byte{ann.EmailIndex})
	ok(t, err, "find by the new index")
	same(t, got, ann, "re-indexed visitor")
	got, err = s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, [][]byte{cur})
	ok(t, err, "find by the old index")
	same(t, got.ID, again.ID, "old index no longer finds the re-indexed visitor")

	eraseVisitor(t, s, tn.org.ID, again.ID, 50)
	_, err = s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, [][]byte{cur})
	wantErr(t, err, storage.ErrNotFound, "find an erased visitor")

	// A record stored as deleted (say, restored from a backup) still holding
	// an index is never found, and round-trips its DeletedAt.
	gone := storage.Visitor{ID: "vis_gone", OrgID: tn.org.ID, WidgetID: tn.widget.ID,
		EmailIndex: emailIndex("gone"), CreatedAt: at(60), LastSeenAt: at(60), DeletedAt: at(61)}
	ok(t, s.CreateVisitor(ctx(t), gone), "create a deleted visitor")
	got, err = s.GetVisitor(ctx(t), tn.org.ID, gone.ID)
	ok(t, err, "get the deleted visitor")
	same(t, got, gone, "deleted visitor round-trips")
	_, err = s.FindVisitorByEmailIndex(ctx(t), tn.org.ID, [][]byte{gone.EmailIndex})
	wantErr(t, err, storage.ErrNotFound, "find a deleted visitor that kept its index")
}

func testFindByEmailIndexTenant(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	shared := emailIndex("shared")
	va := a.addVisitor(t, s, "vis_a_shared", shared, 10)
	vb := b.addVisitor(t, s, "vis_b_shared", shared, 20) // seen later, other org
	got, err := s.FindVisitorByEmailIndex(ctx(t), a.org.ID, [][]byte{shared})
	ok(t, err, "find in a")
	same(t, got, va, "a's visitor, not b's more recent one")
	got, err = s.FindVisitorByEmailIndex(ctx(t), b.org.ID, [][]byte{shared})
	ok(t, err, "find in b")
	same(t, got, vb, "b's visitor")
	_, err = s.FindVisitorByEmailIndex(ctx(t), a.org.ID, [][]byte{b.visitor.EmailIndex})
	wantErr(t, err, storage.ErrNotFound, "find another org's visitor by its index")
	_, err = s.FindVisitorByEmailIndex(ctx(t), "org_missing", [][]byte{shared})
	wantErr(t, err, storage.ErrNotFound, "find in an unknown org")
}

func testScanVisitors(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	all := []storage.Visitor{a.visitor, b.visitor}
	for i := range 7 {
		tn := a
		if i%2 == 1 {
			tn = b
		}
		var index []byte
		if i%3 != 0 {
			index = emailIndex(fmt.Sprint("scan-", i))
		}
		// Ids out of creation order, so ordering by id is observable.
		all = append(all, tn.addVisitor(t, s, fmt.Sprintf("vis_%d", (i*5)%7), index, 10+i))
	}
	erased := eraseVisitor(t, s, a.org.ID, "vis_3", 90) // created for a (i == 2)
	for i := range all {
		if all[i].ID == "vis_3" {
			all[i] = erased
		}
	}
	slices.SortFunc(all, func(x, y storage.Visitor) int { return cmp.Compare(x.ID, y.ID) })

	var paged []storage.Visitor
	after := ""
	for range len(all) + 1 {
		page, err := s.ScanVisitors(ctx(t), after, 4)
		ok(t, err, "scan after "+after)
		if len(page) > 4 {
			t.Fatalf("scan returned %d visitors, limit 4", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	same(t, paged, all, "every visitor of every org, by id, erased included, in pages of 4")
	one, err := s.ScanVisitors(ctx(t), "", 0)
	ok(t, err, "scan with the default limit")
	same(t, one, all, "default limit covers all")
	last, err := s.ScanVisitors(ctx(t), all[len(all)-1].ID, 10)
	ok(t, err, "scan past the end")
	if len(last) != 0 {
		t.Errorf("scan past the end: got %v", ids(last, visitorID))
	}
}
