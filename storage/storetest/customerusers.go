package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var customerUserCases = []testCase{
	{"CustomerUser/CreateGetFind", testCustomerUserCreate},
	{"CustomerUser/Update", testCustomerUserUpdate},
	{"CustomerUser/VisitorLinkedOnce", testCustomerUserVisitorOnce},
	{"CustomerUser/VisitorConcurrentOneWins", testCustomerUserVisitorRace},
	{"CustomerUser/TokenVersionBumps", testCustomerUserBump},
	{"CustomerUser/ByVisitor", testCustomerUserByVisitor},
	{"CustomerUser/ScanAllOrganisations", testCustomerUserScan},
	{"CustomerUser/ListNewestFirstWithCursor", testCustomerUserList},
	{"CustomerUser/Tenancy", testCustomerUserTenancy},
	{"CustomerUser/ErasingTheVisitorErasesTheUser", testCustomerUserErasure},
}

// customerUser returns a sealed-looking customer user of tn named name,
// created at sec.
func customerUser(tn tenant, name string, sec int) storage.CustomerUser {
	return storage.CustomerUser{ID: "cus_" + name, OrgID: tn.org.ID, ExternalID: "enc-ext-" + name,
		ExternalIndex: hash("customer/" + tn.org.ID + "/" + name), Name: "enc-name", Email: "enc-email",
		TokenVersion: 1, CreatedAt: at(sec), LastSeenAt: at(sec)}
}

func createCustomerUser(t *testing.T, s storage.Store, u storage.CustomerUser) storage.CustomerUser {
	t.Helper()
	ok(t, s.CreateCustomerUser(ctx(t), u), "create customer user "+u.ID)
	return u
}

func testCustomerUserCreate(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	u := createCustomerUser(t, s, customerUser(tn, "alice", 10))
	got, err := s.GetCustomerUser(ctx(t), tn.org.ID, u.ID)
	ok(t, err, "get")
	same(t, got, u, "get")
	found, err := s.FindCustomerUser(ctx(t), tn.org.ID, [][]byte{hash("other"), u.ExternalIndex})
	ok(t, err, "find")
	same(t, found, u, "find by one of several indexes")
	_, err = s.FindCustomerUser(ctx(t), tn.org.ID, [][]byte{hash("other")})
	wantErr(t, err, storage.ErrNotFound, "find by an unknown index")
	_, err = s.FindCustomerUser(ctx(t), tn.org.ID, nil)
	wantErr(t, err, storage.ErrNotFound, "find without indexes")
	dup := customerUser(tn, "alice", 11)
	dup.ID = "cus_alice2"
	wantErr(t, s.CreateCustomerUser(ctx(t), dup), storage.ErrConflict, "same external index twice")
	again := customerUser(tn, "bob", 12)
	again.ID = u.ID
	wantErr(t, s.CreateCustomerUser(ctx(t), again), storage.ErrConflict, "same id twice")
	_, err = s.GetCustomerUser(ctx(t), tn.org.ID, "cus_nobody")
	wantErr(t, err, storage.ErrNotFound, "get unknown")
}

func testCustomerUserUpdate(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	u := createCustomerUser(t, s, customerUser(tn, "alice", 10))
	u.Name, u.Email, u.ExternalID, u.LastSeenAt = "enc-name-2", "enc-email-2", "enc-ext-2", at(20)
	u.ExternalIndex = hash("rotated-index")
	ok(t, s.UpdateCustomerUser(ctx(t), u), "update")
	got, err := s.GetCustomerUser(ctx(t), tn.org.ID, u.ID)
	ok(t, err, "get")
	same(t, got, u, "after update")
	found, err := s.FindCustomerUser(ctx(t), tn.org.ID, [][]byte{hash("rotated-index")})
	ok(t, err, "find by the new index")
	same(t, found.ID, u.ID, "found")
	missing := customerUser(tn, "nobody", 1)
	wantErr(t, s.UpdateCustomerUser(ctx(t), missing), storage.ErrNotFound, "update unknown")
}

func testCustomerUserVisitorOnce(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	u := createCustomerUser(t, s, customerUser(tn, "alice", 10))
	ok(t, s.SetCustomerUserVisitor(ctx(t), tn.org.ID, u.ID, tn.visitor.ID), "link")
	wantErr(t, s.SetCustomerUserVisitor(ctx(t), tn.org.ID, u.ID, "vis_other"), storage.ErrConflict, "link again")
	got, err := s.GetCustomerUser(ctx(t), tn.org.ID, u.ID)
	ok(t, err, "get")
	same(t, got.VisitorID, tn.visitor.ID, "the first link stays")
	wantErr(t, s.SetCustomerUserVisitor(ctx(t), tn.org.ID, "cus_nobody", "vis_x"), storage.ErrNotFound, "link unknown")
}

// Ten first uses at once: exactly one links its visitor.
func testCustomerUserVisitorRace(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	u := createCustomerUser(t, s, customerUser(tn, "alice", 10))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.SetCustomerUserVisitor(ctx(t), tn.org.ID, u.ID, "vis_"+string(rune('a'+i)))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, storage.ErrConflict):
				t.Errorf("link %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d links won, want 1", wins.Load())
	}
}

func testCustomerUserBump(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	u := createCustomerUser(t, s, customerUser(tn, "alice", 10))
	v, err := s.BumpCustomerUserTokenVersion(ctx(t), tn.org.ID, u.ID)
	ok(t, err, "bump")
	same(t, v, int64(2), "first bump")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.BumpCustomerUserTokenVersion(ctx(t), tn.org.ID, u.ID); err != nil {
				t.Errorf("bump: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := s.GetCustomerUser(ctx(t), tn.org.ID, u.ID)
	ok(t, err, "get")
	same(t, got.TokenVersion, int64(10), "after 9 bumps")
	_, err = s.BumpCustomerUserTokenVersion(ctx(t), tn.org.ID, "cus_nobody")
	wantErr(t, err, storage.ErrNotFound, "bump unknown")
}

func testCustomerUserList(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	for i, name := range []string{"u1", "u2", "u3", "u4", "u5"} {
		createCustomerUser(t, s, customerUser(tn, name, 10+i/2)) // u1,u2 at 10; u3,u4 at 11; u5 at 12
	}
	idOf := func(u storage.CustomerUser) string { return u.ID }
	page, err := s.ListCustomerUsers(ctx(t), tn.org.ID, nil, 2)
	ok(t, err, "page 1")
	sameList(t, ids(page, idOf), []string{"cus_u5", "cus_u4"}, "page 1")
	last := page[len(page)-1]
	page, err = s.ListCustomerUsers(ctx(t), tn.org.ID, &storage.CustomerUserCursor{CreatedAt: last.CreatedAt, ID: last.ID}, 2)
	ok(t, err, "page 2")
	sameList(t, ids(page, idOf), []string{"cus_u3", "cus_u2"}, "page 2")
	last = page[len(page)-1]
	page, err = s.ListCustomerUsers(ctx(t), tn.org.ID, &storage.CustomerUserCursor{CreatedAt: last.CreatedAt, ID: last.ID}, 2)
	ok(t, err, "page 3")
	sameList(t, ids(page, idOf), []string{"cus_u1"}, "page 3")
	all, err := s.ListCustomerUsers(ctx(t), tn.org.ID, nil, 0)
	ok(t, err, "default limit")
	same(t, len(all), 5, "default limit returns all five")
}

// Every method is scoped by organisation: b's calls never reach a's user.
func testCustomerUserTenancy(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "a"), newTenant(t, s, "b")
	u := createCustomerUser(t, s, customerUser(a, "alice", 10))
	_, err := s.GetCustomerUser(ctx(t), b.org.ID, u.ID)
	wantErr(t, err, storage.ErrNotFound, "get from b")
	_, err = s.FindCustomerUser(ctx(t), b.org.ID, [][]byte{u.ExternalIndex})
	wantErr(t, err, storage.ErrNotFound, "find a's index from b")
	other := u
	other.OrgID, other.Name = b.org.ID, "enc-hijacked"
	wantErr(t, s.UpdateCustomerUser(ctx(t), other), storage.ErrNotFound, "update from b")
	wantErr(t, s.SetCustomerUserVisitor(ctx(t), b.org.ID, u.ID, b.visitor.ID), storage.ErrNotFound, "link from b")
	_, err = s.BumpCustomerUserTokenVersion(ctx(t), b.org.ID, u.ID)
	wantErr(t, err, storage.ErrNotFound, "bump from b")
	list, err := s.ListCustomerUsers(ctx(t), b.org.ID, nil, 0)
	ok(t, err, "list b")
	same(t, len(list), 0, "b lists none of a's users")
	got, err := s.GetCustomerUser(ctx(t), a.org.ID, u.ID)
	ok(t, err, "get from a")
	same(t, got, u, "a's user unchanged")
	// b erasing a visitor id it does not own erases nothing of a.
	ok(t, s.SetCustomerUserVisitor(ctx(t), a.org.ID, u.ID, a.visitor.ID), "link in a")
	ok(t, s.EraseSubject(ctx(t), storage.Erasure{OrgID: b.org.ID, Kind: storage.SubjectVisitor,
		SubjectID: b.visitor.ID, Pseudonym: "anon_b", At: at(50)}), "erase b's visitor")
	got, err = s.GetCustomerUser(ctx(t), a.org.ID, u.ID)
	ok(t, err, "get from a")
	same(t, got.Deleted(), false, "a's user survives b's erasure")
}

func testCustomerUserErasure(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "a")
	u := createCustomerUser(t, s, customerUser(tn, "alice", 10))
	keep := createCustomerUser(t, s, customerUser(tn, "bob", 11))
	ok(t, s.SetCustomerUserVisitor(ctx(t), tn.org.ID, u.ID, tn.visitor.ID), "link")
	ok(t, s.EraseSubject(ctx(t), storage.Erasure{OrgID: tn.org.ID, Kind: storage.SubjectVisitor,
		SubjectID: tn.visitor.ID, Pseudonym: "anon_a", At: at(60)}), "erase the visitor")
	got, err := s.GetCustomerUser(ctx(t), tn.org.ID, u.ID)
	ok(t, err, "get erased")
	want := u
	want.ExternalID, want.ExternalIndex, want.Name, want.Email = "", nil, "", ""
	want.VisitorID, want.DeletedAt = tn.visitor.ID, at(60)
	same(t, got, want, "erased user")
	_, err = s.FindCustomerUser(ctx(t), tn.org.ID, [][]byte{u.ExternalIndex})
	wantErr(t, err, storage.ErrNotFound, "find erased")
	wantErr(t, s.UpdateCustomerUser(ctx(t), u), storage.ErrNotFound, "update erased")
	_, err = s.BumpCustomerUserTokenVersion(ctx(t), tn.org.ID, u.ID)
	wantErr(t, err, storage.ErrNotFound, "bump erased")
	list, err := s.ListCustomerUsers(ctx(t), tn.org.ID, nil, 0)
	ok(t, err, "list")
	sameList(t, ids(list, func(u storage.CustomerUser) string { return u.ID }), []string{keep.ID}, "only bob listed")
	// The same external user coming back is a new customer user.
	fresh := customerUser(tn, "alice", 70)
	fresh.ID = "cus_alice_again"
	createCustomerUser(t, s, fresh)
}

func testCustomerUserByVisitor(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "a"), newTenant(t, s, "b")
	u := createCustomerUser(t, s, customerUser(a, "alice", 10))
	_, err := s.GetCustomerUserByVisitor(ctx(t), a.org.ID, a.visitor.ID)
	wantErr(t, err, storage.ErrNotFound, "before the link")
	ok(t, s.SetCustomerUserVisitor(ctx(t), a.org.ID, u.ID, a.visitor.ID), "link")
	got, err := s.GetCustomerUserByVisitor(ctx(t), a.org.ID, a.visitor.ID)
	ok(t, err, "by visitor")
	same(t, got.ID, u.ID, "by visitor")
	_, err = s.GetCustomerUserByVisitor(ctx(t), b.org.ID, a.visitor.ID)
	wantErr(t, err, storage.ErrNotFound, "from another organisation")
	_, err = s.GetCustomerUserByVisitor(ctx(t), a.org.ID, "")
	wantErr(t, err, storage.ErrNotFound, "empty visitor id")
	ok(t, s.EraseSubject(ctx(t), storage.Erasure{OrgID: a.org.ID, Kind: storage.SubjectVisitor,
		SubjectID: a.visitor.ID, Pseudonym: "anon_a", At: at(60)}), "erase")
	_, err = s.GetCustomerUserByVisitor(ctx(t), a.org.ID, a.visitor.ID)
	wantErr(t, err, storage.ErrNotFound, "after erasure")
}

func testCustomerUserScan(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "a"), newTenant(t, s, "b")
	createCustomerUser(t, s, customerUser(a, "u1", 10))
	createCustomerUser(t, s, customerUser(b, "u2", 11))
	createCustomerUser(t, s, customerUser(a, "u3", 12))
	ok(t, s.SetCustomerUserVisitor(ctx(t), a.org.ID, "cus_u3", a.visitor.ID), "link")
	ok(t, s.EraseSubject(ctx(t), storage.Erasure{OrgID: a.org.ID, Kind: storage.SubjectVisitor,
		SubjectID: a.visitor.ID, Pseudonym: "anon_a", At: at(60)}), "erase u3's visitor")
	idOf := func(u storage.CustomerUser) string { return u.ID }
	page, err := s.ScanCustomerUsers(ctx(t), "", 2)
	ok(t, err, "scan")
	sameList(t, ids(page, idOf), []string{"cus_u1", "cus_u2"}, "first page, every organisation")
	page, err = s.ScanCustomerUsers(ctx(t), "cus_u2", 0)
	ok(t, err, "scan")
	sameList(t, ids(page, idOf), []string{"cus_u3"}, "erased users included")
}
