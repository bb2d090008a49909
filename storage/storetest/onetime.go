package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

var oneTimeCases = []testCase{
	{"OneTime/PutGetRoundTrip", testOneTimeRoundTrip},
	{"OneTime/PutReplaces", testOneTimePutReplaces},
	{"OneTime/PurposeIsolation", testOneTimePurposes},
	{"OneTime/ExpiryBoundary", testOneTimeExpiry},
	{"OneTime/ConsumeOnce", testOneTimeConsumeOnce},
	{"OneTime/ConcurrentConsumeOneWinner", testOneTimeConsumeRace},
	{"OneTime/ConcurrentChargesCapped", testOneTimeChargeRace},
	{"OneTime/ChargeRefused", testOneTimeChargeRefused},
	{"OneTime/ListValidNewestFirst", testOneTimeList},
	{"OneTime/RevokeScopedToOrg", testOneTimeRevoke},
	{"OneTime/RevokeForSubject", testOneTimeRevokeSubject},
	{"OneTime/DeleteExpired", testOneTimeDeleteExpired},
}

// oneTime returns a magic-link token of org_a for agent agt_a, created at
// sec and valid for 15 minutes.
func oneTime(id string, sec int) storage.OneTime {
	return storage.OneTime{ID: id, Purpose: storage.PurposeMagicLink, OrgID: "org_a", SubjectID: "agt_a",
		Data: "data-" + id, CreatedAt: at(sec), ExpiresAt: at(sec + 900)}
}

// put stores t and fails the test on error.
func put(t *testing.T, s storage.Store, o storage.OneTime) storage.OneTime {
	t.Helper()
	ok(t, s.PutOneTime(ctx(t), o), "put one-time "+o.ID)
	return o
}

// testOneTimeRoundTrip: every field comes back as stored, times in ms.
func testOneTimeRoundTrip(t *testing.T, s storage.Store) {
	want := storage.OneTime{ID: "agt_a", Purpose: storage.PurposePasswordReset, OrgID: "org_a",
		SubjectID: "agt_a", CodeHash: hash("code"), Data: `{"k":"v"}`, Attempts: 2, MaxAttempts: 5,
		CreatedAt: at(1).Add(7 * time.Millisecond), ExpiresAt: at(601).Add(3 * time.Millisecond),
		ConsumedAt: at(3).Add(time.Millisecond)}
	put(t, s, want)
	got, err := s.GetOneTime(ctx(t), want.Purpose, want.ID)
	ok(t, err, "get")
	same(t, got, want, "round trip")
	bare := put(t, s, storage.OneTime{ID: "tok", Purpose: storage.PurposeInvitation, ExpiresAt: at(9)})
	got, err = s.GetOneTime(ctx(t), bare.Purpose, bare.ID)
	ok(t, err, "get bare")
	same(t, got, bare, "bare round trip (no org, subject, code, data, times)")
	_, err = s.GetOneTime(ctx(t), storage.PurposeMagicLink, "missing")
	wantErr(t, err, storage.ErrNotFound, "get missing")
	if err := s.PutOneTime(ctx(t), storage.OneTime{Purpose: storage.PurposeMagicLink, ExpiresAt: at(9)}); err == nil {
		t.Error("put with an empty id succeeded")
	}
}

// testOneTimePutReplaces: a second Put of (purpose, id) replaces the
// first, consumed state and attempts included.
func testOneTimePutReplaces(t *testing.T, s storage.Store) {
	first := oneTime("tok", 0)
	first.MaxAttempts, first.CodeHash = 5, hash("old")
	put(t, s, first)
	_, err := s.ChargeOneTimeAttempt(ctx(t), first.Purpose, first.ID, at(1))
	ok(t, err, "charge")
	_, err = s.ConsumeOneTime(ctx(t), first.Purpose, first.ID, at(2))
	ok(t, err, "consume")
	second := oneTime("tok", 10)
	second.MaxAttempts, second.CodeHash, second.Data = 5, hash("new"), "second"
	put(t, s, second)
	got, err := s.GetOneTime(ctx(t), second.Purpose, second.ID)
	ok(t, err, "get")
	same(t, got, second, "replaced token")
	_, err = s.ConsumeOneTime(ctx(t), second.Purpose, second.ID, at(11))
	ok(t, err, "consume the replacement")
}

// testOneTimePurposes: the same id under another purpose is another token.
func testOneTimePurposes(t *testing.T, s storage.Store) {
	o := put(t, s, oneTime("tok", 0))
	_, err := s.GetOneTime(ctx(t), storage.PurposeMFATicket, o.ID)
	wantErr(t, err, storage.ErrNotFound, "get under another purpose")
	_, err = s.ConsumeOneTime(ctx(t), storage.PurposeMFATicket, o.ID, at(1))
	wantErr(t, err, storage.ErrNotFound, "consume under another purpose")
	_, err = s.ChargeOneTimeAttempt(ctx(t), storage.PurposeMFATicket, o.ID, at(1))
	wantErr(t, err, storage.ErrNotFound, "charge under another purpose")
	other := o
	other.Purpose, other.Data = storage.PurposeMFATicket, "ticket"
	put(t, s, other)
	_, err = s.ConsumeOneTime(ctx(t), other.Purpose, other.ID, at(1))
	ok(t, err, "consume the ticket")
	got, err := s.GetOneTime(ctx(t), o.Purpose, o.ID)
	ok(t, err, "get magic link")
	same(t, got, o, "magic link untouched by the ticket's consumption")
}

// testOneTimeExpiry: valid at ExpiresAt-1ms, refused at ExpiresAt.
func testOneTimeExpiry(t *testing.T, s storage.Store) {
	a, b := put(t, s, oneTime("a", 0)), put(t, s, oneTime("b", 0))
	got, err := s.ConsumeOneTime(ctx(t), a.Purpose, a.ID, a.ExpiresAt.Add(-time.Millisecond))
	ok(t, err, "consume at ExpiresAt-1ms")
	same(t, got, a, "consume returns the token as it was")
	_, err = s.ConsumeOneTime(ctx(t), b.Purpose, b.ID, b.ExpiresAt)
	wantErr(t, err, storage.ErrConflict, "consume at ExpiresAt")
	got, err = s.GetOneTime(ctx(t), b.Purpose, b.ID)
	ok(t, err, "get b")
	same(t, got, b, "refused consume changes nothing")
}

// testOneTimeConsumeOnce: a consumed token cannot be consumed again.
func testOneTimeConsumeOnce(t *testing.T, s storage.Store) {
	o := put(t, s, oneTime("tok", 0))
	_, err := s.ConsumeOneTime(ctx(t), o.Purpose, o.ID, at(1))
	ok(t, err, "first consume")
	_, err = s.ConsumeOneTime(ctx(t), o.Purpose, o.ID, at(2))
	wantErr(t, err, storage.ErrConflict, "second consume")
	got, err := s.GetOneTime(ctx(t), o.Purpose, o.ID)
	ok(t, err, "get")
	same(t, got.ConsumedAt, at(1), "ConsumedAt keeps the first consume")
	_, err = s.ConsumeOneTime(ctx(t), o.Purpose, "missing", at(1))
	wantErr(t, err, storage.ErrNotFound, "consume missing")
}

// race runs fn(i) for i in [0, n) at once and returns how many returned
// nil; every other error must be ErrConflict.
func race(t *testing.T, n int, fn func(i int) error) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, storage.ErrConflict):
			t.Errorf("racing call: %v, want nil or ErrConflict", err)
		}
	}
	return wins
}

// testOneTimeConsumeRace: of 10 concurrent consumes exactly one succeeds.
func testOneTimeConsumeRace(t *testing.T, s storage.Store) {
	o := put(t, s, oneTime("tok", 0))
	wins := race(t, 10, func(i int) error {
		_, err := s.ConsumeOneTime(ctx(t), o.Purpose, o.ID, at(1).Add(time.Duration(i)*time.Millisecond))
		return err
	})
	if wins != 1 {
		t.Fatalf("%d of 10 concurrent consumes succeeded, want exactly 1", wins)
	}
}

// testOneTimeChargeRace: of 10 concurrent charges of a token with 5
// attempts exactly 5 succeed, and Attempts ends at 5 (still consumable).
func testOneTimeChargeRace(t *testing.T, s storage.Store) {
	o := oneTime("agt_a", 0)
	o.Purpose, o.MaxAttempts, o.CodeHash = storage.PurposePasswordReset, 5, hash("code")
	put(t, s, o)
	wins := race(t, 10, func(int) error {
		_, err := s.ChargeOneTimeAttempt(ctx(t), o.Purpose, o.ID, at(1))
		return err
	})
	got, err := s.GetOneTime(ctx(t), o.Purpose, o.ID)
	ok(t, err, "get")
	if wins != 5 || got.Attempts != 5 {
		t.Fatalf("%d of 10 charges succeeded, Attempts = %d; want 5 and 5", wins, got.Attempts)
	}
	_, err = s.ConsumeOneTime(ctx(t), o.Purpose, o.ID, at(2))
	ok(t, err, "consume after the last attempt")
}
