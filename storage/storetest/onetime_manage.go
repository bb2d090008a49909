package storetest

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// testOneTimeChargeRefused: a charge returns the updated token; consumed,
// expired, uncounted and missing tokens are refused and nothing changes.
func testOneTimeChargeRefused(t *testing.T, s storage.Store) {
	counted := func(id string) storage.OneTime {
		o := oneTime(id, 0)
		o.MaxAttempts = 5
		return put(t, s, o)
	}
	live := counted("live")
	got, err := s.ChargeOneTimeAttempt(ctx(t), live.Purpose, live.ID, at(1))
	ok(t, err, "charge")
	live.Attempts = 1
	same(t, got, live, "charge returns the token as updated")
	used := counted("used")
	_, err = s.ConsumeOneTime(ctx(t), used.Purpose, used.ID, at(1))
	ok(t, err, "consume")
	_, err = s.ChargeOneTimeAttempt(ctx(t), used.Purpose, used.ID, at(2))
	wantErr(t, err, storage.ErrConflict, "charge consumed")
	expired := counted("expired")
	_, err = s.ChargeOneTimeAttempt(ctx(t), expired.Purpose, expired.ID, expired.ExpiresAt)
	wantErr(t, err, storage.ErrConflict, "charge at ExpiresAt")
	uncounted := put(t, s, oneTime("uncounted", 0))
	_, err = s.ChargeOneTimeAttempt(ctx(t), uncounted.Purpose, uncounted.ID, at(1))
	wantErr(t, err, storage.ErrConflict, "charge without attempt counting")
	_, err = s.ChargeOneTimeAttempt(ctx(t), live.Purpose, "missing", at(1))
	wantErr(t, err, storage.ErrNotFound, "charge missing")
	for _, o := range []storage.OneTime{expired, uncounted} {
		got, err := s.GetOneTime(ctx(t), o.Purpose, o.ID)
		ok(t, err, "get "+o.ID)
		same(t, got, o, "refused charge changes nothing on "+o.ID)
	}
}

// invitation returns a pending invitation of org created at sec.
func invitation(org, id string, sec int) storage.OneTime {
	return storage.OneTime{ID: id, Purpose: storage.PurposeInvitation, OrgID: org, SubjectID: "agt_inviter",
		Data: "role=agent", CreatedAt: at(sec), ExpiresAt: at(sec + 7*86400)}
}

// testOneTimeList: only the organisation's valid tokens of the purpose,
// newest first; other tenants' tokens never appear.
func testOneTimeList(t *testing.T, s storage.Store) {
	for i, id := range []string{"i1", "i2", "i3", "i4"} {
		put(t, s, invitation("org_a", id, i))
	}
	put(t, s, invitation("org_b", "b1", 5))         // another tenant
	put(t, s, invitation("org_a", "old", -7*86400)) // expired at at(0)
	link := put(t, s, oneTime("i9", 6))             // another purpose
	_, err := s.ConsumeOneTime(ctx(t), storage.PurposeInvitation, "i2", at(10))
	ok(t, err, "consume i2")
	ok(t, s.RevokeOneTime(ctx(t), "org_a", storage.PurposeInvitation, "i3", at(10)), "revoke i3")
	list, err := s.ListOneTime(ctx(t), "org_a", storage.PurposeInvitation, at(20))
	ok(t, err, "list")
	sameList(t, ids(list, func(o storage.OneTime) string { return o.ID }), []string{"i4", "i1"}, "pending invitations")
	if len(list) > 0 {
		same(t, list[0], invitation("org_a", "i4", 3), "listed token")
	}
	list, err = s.ListOneTime(ctx(t), "org_b", storage.PurposeMagicLink, at(20))
	ok(t, err, "list org_b magic links")
	if len(list) != 0 {
		t.Errorf("org_b lists %d magic links, want none (org_a's %s must not leak)", len(list), link.ID)
	}
}

// testOneTimeRevoke: revocation is scoped to the organisation; an unknown,
// foreign or consumed token is ErrNotFound and nothing changes.
func testOneTimeRevoke(t *testing.T, s storage.Store) {
	inv := put(t, s, invitation("org_a", "inv", 0))
	err := s.RevokeOneTime(ctx(t), "org_b", inv.Purpose, inv.ID, at(1))
	wantErr(t, err, storage.ErrNotFound, "revoke another org's token")
	got, err := s.GetOneTime(ctx(t), inv.Purpose, inv.ID)
	ok(t, err, "get")
	same(t, got, inv, "foreign revoke changes nothing")
	err = s.RevokeOneTime(ctx(t), "org_a", storage.PurposeMagicLink, inv.ID, at(1))
	wantErr(t, err, storage.ErrNotFound, "revoke under another purpose")
	ok(t, s.RevokeOneTime(ctx(t), "org_a", inv.Purpose, inv.ID, at(2)), "revoke")
	err = s.RevokeOneTime(ctx(t), "org_a", inv.Purpose, inv.ID, at(3))
	wantErr(t, err, storage.ErrNotFound, "revoke again")
	_, err = s.ConsumeOneTime(ctx(t), inv.Purpose, inv.ID, at(4))
	wantErr(t, err, storage.ErrConflict, "consume revoked")
	got, err = s.GetOneTime(ctx(t), inv.Purpose, inv.ID)
	ok(t, err, "get revoked")
	same(t, got.ConsumedAt, at(2), "ConsumedAt is the revocation time")
}

// testOneTimeRevokeSubject: only the listed purposes of that organisation
// and subject, unconsumed ones counted.
func testOneTimeRevokeSubject(t *testing.T, s storage.Store) {
	mine := []storage.OneTime{oneTime("l1", 0), oneTime("l2", 1), invitation("org_a", "inv", 2)}
	mine[2].SubjectID = "agt_a"
	for _, o := range mine {
		put(t, s, o)
	}
	_, err := s.ConsumeOneTime(ctx(t), storage.PurposeMagicLink, "l2", at(3)) // already used
	ok(t, err, "consume l2")
	ticket := oneTime("t1", 0)
	ticket.Purpose = storage.PurposeMFATicket // not listed
	foreign := oneTime("f1", 0)
	foreign.OrgID = "org_b" // same subject id, other tenant
	other := oneTime("o1", 0)
	other.SubjectID = "agt_other"
	for _, o := range []storage.OneTime{ticket, foreign, other} {
		put(t, s, o)
	}
	n, err := s.RevokeOneTimeForSubject(ctx(t), "org_a", "agt_a",
		[]storage.OneTimePurpose{storage.PurposeMagicLink, storage.PurposeInvitation}, at(10))
	ok(t, err, "revoke for subject")
	if n != 2 {
		t.Errorf("revoked %d, want 2 (l1, inv)", n)
	}
	for _, o := range []storage.OneTime{mine[0], mine[2]} {
		got, err := s.GetOneTime(ctx(t), o.Purpose, o.ID)
		ok(t, err, "get "+o.ID)
		same(t, got.ConsumedAt, at(10), "revoked "+o.ID)
	}
	for _, o := range []storage.OneTime{ticket, foreign, other} {
		got, err := s.GetOneTime(ctx(t), o.Purpose, o.ID)
		ok(t, err, "get "+o.ID)
		same(t, got, o, "untouched "+o.ID)
	}
}

// testOneTimeDeleteExpired: tokens expired strictly before the cut go.
func testOneTimeDeleteExpired(t *testing.T, s storage.Store) {
	put(t, s, oneTime("gone1", -1000)) // expires at(-100)
	put(t, s, oneTime("gone2", -901))  // expires at(-1)
	edge := put(t, s, oneTime("edge", -900))
	n, err := s.DeleteExpiredOneTime(ctx(t), at(0))
	ok(t, err, "delete expired")
	if n != 2 {
		t.Errorf("deleted %d, want 2", n)
	}
	_, err = s.GetOneTime(ctx(t), storage.PurposeMagicLink, "gone2")
	wantErr(t, err, storage.ErrNotFound, "get deleted")
	_, err = s.GetOneTime(ctx(t), edge.Purpose, edge.ID)
	ok(t, err, "token expiring exactly at the cut stays")
}
