package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

var mailCases = []testCase{
	{"Mail/EnqueueClaimRoundTrip", testMailRoundTrip},
	{"Mail/NotDueBeforeNextAt", testMailNotDue},
	{"Mail/ClaimOrderAndLimit", testMailClaimOrder},
	{"Mail/ConcurrentClaimersNeverShare", testMailClaimRace},
	{"Mail/ExpiredLeaseClaimedAgain", testMailLeaseExpiry},
	{"Mail/RetryAtRespected", testMailRetryAt},
	{"Mail/SentNotClaimedAgain", testMailSent},
	{"Mail/GivenUpNotClaimedAgain", testMailGiveUp},
	{"Mail/DeleteDone", testMailDeleteDone},
}

// mailLease is the lease the cases claim with.
const mailLease = time.Minute

// newMail returns a mail of org_a queued (and due) at sec.
func newMail(id string, sec int) storage.Mail {
	return storage.Mail{ID: id, OrgID: "org_a", Kind: "magic_link", To: "ada-" + id + "@example.test",
		Subject: "Subject " + id, Text: "Text of " + id, CreatedAt: at(sec), NextAt: at(sec)}
}

// enqueue stores m and fails the test on error.
func enqueue(t *testing.T, s storage.Store, m storage.Mail) storage.Mail {
	t.Helper()
	ok(t, s.EnqueueMail(ctx(t), m), "enqueue mail "+m.ID)
	return m
}

// claim claims up to limit mails at now and returns their ids.
func claim(t *testing.T, s storage.Store, now time.Time, limit int) []storage.Mail {
	t.Helper()
	got, err := s.ClaimMail(ctx(t), now, mailLease, limit)
	ok(t, err, "claim mail")
	return got
}

func mailIDs(list []storage.Mail) []string {
	ids := make([]string, len(list))
	for i, m := range list {
		ids[i] = m.ID
	}
	return ids
}

// testMailRoundTrip: a claim returns every field as queued, with one
// attempt and the lease end as NextAt; a taken id or a bad mail is refused.
func testMailRoundTrip(t *testing.T, s storage.Store) {
	m := newMail("m1", 0)
	m.CreatedAt = m.CreatedAt.Add(7 * time.Millisecond)
	enqueue(t, s, m)
	wantErr(t, s.EnqueueMail(ctx(t), m), storage.ErrConflict, "enqueue a taken id")
	got := claim(t, s, at(1), 10)
	want := m
	want.Attempts, want.NextAt = 1, at(1).Add(mailLease)
	if len(got) != 1 {
		t.Fatalf("claimed %d mails, want 1", len(got))
	}
	same(t, got[0], want, "claimed mail")
	for name, bad := range map[string]storage.Mail{
		"no id": {Kind: "k", To: "a@b", CreatedAt: at(0), NextAt: at(0)},
		"no to": {ID: "x", Kind: "k", CreatedAt: at(0), NextAt: at(0)},
		"sent":  {ID: "y", Kind: "k", To: "a@b", CreatedAt: at(0), NextAt: at(0), SentAt: at(0)},
	} {
		if err := s.EnqueueMail(ctx(t), bad); err == nil {
			t.Errorf("enqueue with %s succeeded", name)
		}
	}
	if _, err := s.ClaimMail(ctx(t), at(1), 0, 1); err == nil {
		t.Error("claim with a zero lease succeeded")
	}
}

// testMailNotDue: a mail is not claimed 1 ms before NextAt, and is at it.
func testMailNotDue(t *testing.T, s storage.Store) {
	enqueue(t, s, newMail("m1", 10))
	sameList(t, mailIDs(claim(t, s, at(10).Add(-time.Millisecond), 10)), nil, "claimed before NextAt")
	sameList(t, mailIDs(claim(t, s, at(10), 10)), []string{"m1"}, "claimed at NextAt")
}

// testMailClaimOrder: the earliest due first, at most limit, none for 0.
func testMailClaimOrder(t *testing.T, s storage.Store) {
	enqueue(t, s, newMail("late", 3))
	enqueue(t, s, newMail("early", 1))
	enqueue(t, s, newMail("middle", 2))
	sameList(t, mailIDs(claim(t, s, at(5), 0)), nil, "limit 0")
	sameList(t, mailIDs(claim(t, s, at(5), 2)), []string{"early", "middle"}, "first claim")
	sameList(t, mailIDs(claim(t, s, at(5), 2)), []string{"late"}, "second claim")
	sameList(t, mailIDs(claim(t, s, at(5), 2)), nil, "third claim")
}

// testMailClaimRace: claimers racing over a backlog never get one mail
// twice, and between them get every mail.
func testMailClaimRace(t *testing.T, s storage.Store) {
	const mails, claimers = 30, 8
	for i := range mails {
		enqueue(t, s, newMail(fmt.Sprintf("m%02d", i), 0))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range claimers {
		wg.Go(func() {
			<-start
			for {
				got, err := s.ClaimMail(ctx(t), at(1), mailLease, 3)
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(seen) != mails {
		t.Errorf("claimed %d distinct mails, want %d", len(seen), mails)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("mail %s claimed %d times under one lease", id, n)
		}
	}
}

// testMailLeaseExpiry: a claimed mail is not claimed again while its lease
// runs, is at its end (a dead claimer), and the stale claim can no longer
// reschedule it.
func testMailLeaseExpiry(t *testing.T, s storage.Store) {
	enqueue(t, s, newMail("m1", 0))
	first := claim(t, s, at(0), 1)
	end := at(0).Add(mailLease)
	sameList(t, mailIDs(claim(t, s, end.Add(-time.Millisecond), 1)), nil, "claimed during the lease")
	again := claim(t, s, end, 1)
	if len(first) != 1 || len(again) != 1 || again[0].Attempts != 2 {
		t.Fatalf("claims %+v then %+v, want the mail twice, the second with 2 attempts", first, again)
	}
	wantErr(t, s.MarkMailFailed(ctx(t), "m1", 1, at(0)), storage.ErrConflict, "stale claim reschedules")
	wantErr(t, s.GiveUpMail(ctx(t), "m1", 1, at(0)), storage.ErrConflict, "stale claim gives up")
	ok(t, s.MarkMailFailed(ctx(t), "m1", 2, end.Add(time.Second)), "current claim reschedules")
	wantErr(t, s.MarkMailFailed(ctx(t), "missing", 1, at(0)), storage.ErrNotFound, "reschedule missing")
}

// testMailRetryAt: a failed mail is due again exactly at its retry time.
func testMailRetryAt(t *testing.T, s storage.Store) {
	enqueue(t, s, newMail("m1", 0))
	claim(t, s, at(0), 1)
	ok(t, s.MarkMailFailed(ctx(t), "m1", 1, at(300)), "mark failed")
	sameList(t, mailIDs(claim(t, s, at(300).Add(-time.Millisecond), 1)), nil, "claimed before the retry time")
	got := claim(t, s, at(300), 1)
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("claim at the retry time: %+v, want the mail with 2 attempts", got)
	}
}

// testMailSent: a sent mail is never claimed again, even by a claim whose
// lease ran out; marking it sent twice keeps the first time.
func testMailSent(t *testing.T, s storage.Store) {
	enqueue(t, s, newMail("m1", 0))
	claim(t, s, at(0), 1)
	ok(t, s.MarkMailSent(ctx(t), "m1", at(5)), "mark sent")
	ok(t, s.MarkMailSent(ctx(t), "m1", at(50)), "mark sent again")
	sameList(t, mailIDs(claim(t, s, at(0).Add(time.Hour), 1)), nil, "claimed after it was sent")
	wantErr(t, s.MarkMailFailed(ctx(t), "m1", 1, at(60)), storage.ErrConflict, "reschedule a sent mail")
	wantErr(t, s.MarkMailSent(ctx(t), "missing", at(5)), storage.ErrNotFound, "mark missing sent")
	n, err := s.DeleteDoneMail(ctx(t), at(5).Add(time.Millisecond))
	ok(t, err, "delete done")
	same(t, n, 1, "deleted just after the first sent time")
}

// testMailGiveUp: a given-up mail is never claimed again.
func testMailGiveUp(t *testing.T, s storage.Store) {
	enqueue(t, s, newMail("m1", 0))
	claim(t, s, at(0), 1)
	ok(t, s.GiveUpMail(ctx(t), "m1", 1, at(1)), "give up")
	sameList(t, mailIDs(claim(t, s, at(0).Add(time.Hour), 1)), nil, "claimed after giving up")
	wantErr(t, s.MarkMailFailed(ctx(t), "m1", 1, at(2)), storage.ErrConflict, "reschedule a given-up mail")
}

// testMailDeleteDone: sent and given-up mails go strictly before the
// bound; pending ones stay.
func testMailDeleteDone(t *testing.T, s storage.Store) {
	for _, id := range []string{"sent", "failed", "pending"} {
		enqueue(t, s, newMail(id, 0))
	}
	claim(t, s, at(0), 2) // sent, failed (queued in that order at the same time)
	ok(t, s.MarkMailSent(ctx(t), "sent", at(5)), "mark sent")
	claimed := claim(t, s, at(0).Add(mailLease), 3)
	for _, m := range claimed {
		if m.ID == "failed" {
			ok(t, s.GiveUpMail(ctx(t), "failed", m.Attempts, at(7)), "give up")
		}
	}
	n, err := s.DeleteDoneMail(ctx(t), at(5))
	ok(t, err, "delete before the sent time")
	same(t, n, 0, "deleted at the sent time itself")
	n, err = s.DeleteDoneMail(ctx(t), at(8))
	ok(t, err, "delete done")
	same(t, n, 2, "deleted sent and given up")
	got := claim(t, s, at(0).Add(time.Hour), 3)
	sameList(t, mailIDs(got), []string{"pending"}, "the pending mail stays")
}
