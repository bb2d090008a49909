package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

var mfaCases = []testCase{
	{"MFA/EnrolRoundTrip", testMFAEnrol},
	{"MFA/EnableOnlyThePendingSecret", testMFAEnableStale},
	{"MFA/BeginRefusedWhenEnabled", testMFABeginEnabled},
	{"MFA/StepAcceptedOnce", testMFAStepOnce},
	{"MFA/ConcurrentStepOneWinner", testMFAStepRace},
	{"MFA/BackupCodeConsumedOnce", testMFABackupOnce},
	{"MFA/ConcurrentBackupCodeOneWinner", testMFABackupRace},
	{"MFA/ReplaceBackupCodes", testMFAReplaceCodes},
	{"MFA/Disable", testMFADisable},
	{"MFA/ChargeCompareAndSet", testMFACharge},
	{"MFA/ConcurrentChargeOneWinner", testMFAChargeRace},
	{"MFA/LockedAtMaxUntilCleared", testMFALock},
	{"MFA/ScopedToOrgAndAgent", testMFATenancy},
	{"MFA/ErasureRemovesIt", testMFAErasure},
}

// backupCodes returns n codes named prefix-i, created at sec.
func backupCodes(prefix string, n, sec int) []storage.BackupCode {
	out := make([]storage.BackupCode, n)
	for i := range out {
		id := fmt.Sprintf("%s-%d", prefix, i)
		out[i] = storage.BackupCode{ID: id, Hash: hash(id), CreatedAt: at(sec)}
	}
	return out
}

// enrolled stores agent agt_a of org_a with TOTP enabled at step 100 and
// 10 backup codes "bc-0".."bc-9".
func enrolled(t *testing.T, s storage.Store) {
	t.Helper()
	ok(t, s.BeginTOTP(ctx(t), storage.PendingTOTP{OrgID: "org_a", AgentID: "agt_a", ID: "p1",
		Secret: "sealed-1", CreatedAt: at(1)}), "begin")
	ok(t, s.EnableTOTP(ctx(t), "org_a", "agt_a", "p1", 100, backupCodes("bc", 10, 2), at(2)), "enable")
}

// testMFAEnrol: a pending secret is stored but not enabled; enabling
// moves it, records the step and stores the codes.
func testMFAEnrol(t *testing.T, s storage.Store) {
	_, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	wantErr(t, err, storage.ErrNotFound, "get before enrolment")
	ok(t, s.BeginTOTP(ctx(t), storage.PendingTOTP{OrgID: "org_a", AgentID: "agt_a", ID: "p1",
		Secret: "sealed-1", CreatedAt: at(1)}), "begin")
	got, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get pending")
	same(t, got, storage.MFAState{OrgID: "org_a", AgentID: "agt_a", PendingID: "p1",
		PendingSecret: "sealed-1", PendingAt: at(1)}, "pending")
	if got.Enabled() {
		t.Fatal("a pending enrolment reads as enabled")
	}
	ok(t, s.EnableTOTP(ctx(t), "org_a", "agt_a", "p1", 100, backupCodes("bc", 10, 2), at(2)), "enable")
	got, err = s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get enabled")
	same(t, got, storage.MFAState{OrgID: "org_a", AgentID: "agt_a", Secret: "sealed-1", EnabledAt: at(2),
		LastStep: 100}, "enabled")
	codes, err := s.ListBackupCodes(ctx(t), "org_a", "agt_a")
	ok(t, err, "list codes")
	sameList(t, ids(codes, func(c storage.BackupCode) string { return c.ID }),
		ids(backupCodes("bc", 10, 2), func(c storage.BackupCode) string { return c.ID }), "codes")
	same(t, string(codes[3].Hash), string(hash("bc-3")), "stored hash")
	if err := s.EnableTOTP(ctx(t), "org_a", "agt_a", "p1", 101, nil, at(3)); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("enable twice: %v, want ErrConflict", err)
	}
	if err := s.EnableTOTP(ctx(t), "org_a", "agt_a", "p1", 100, backupCodes("x", 11, 2), at(2)); err == nil {
		t.Error("enable with 11 backup codes succeeded")
	}
}

// testMFAEnableStale: enabling names the enrolment whose code was checked;
// a setup that replaced it in between wins, the stale enable is refused.
func testMFAEnableStale(t *testing.T, s storage.Store) {
	for i, id := range []string{"p1", "p2"} {
		ok(t, s.BeginTOTP(ctx(t), storage.PendingTOTP{OrgID: "org_a", AgentID: "agt_a", ID: id,
			Secret: "sealed-" + id, CreatedAt: at(i)}), "begin "+id)
	}
	err := s.EnableTOTP(ctx(t), "org_a", "agt_a", "p1", 100, backupCodes("bc", 10, 2), at(2))
	wantErr(t, err, storage.ErrConflict, "enable a replaced enrolment")
	codes, err := s.ListBackupCodes(ctx(t), "org_a", "agt_a")
	ok(t, err, "list")
	same(t, len(codes), 0, "codes left by a refused enable")
	wantErr(t, s.EnableTOTP(ctx(t), "org_a", "agt_b", "p1", 100, nil, at(2)), storage.ErrNotFound, "enable without a record")
	ok(t, s.EnableTOTP(ctx(t), "org_a", "agt_a", "p2", 100, nil, at(2)), "enable the current one")
	got, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get")
	same(t, got.Secret, "sealed-p2", "enabled secret")
}

// testMFABeginEnabled: setup cannot replace an enabled secret.
func testMFABeginEnabled(t *testing.T, s storage.Store) {
	enrolled(t, s)
	err := s.BeginTOTP(ctx(t), storage.PendingTOTP{OrgID: "org_a", AgentID: "agt_a", ID: "p2", Secret: "sealed-2"})
	wantErr(t, err, storage.ErrConflict, "begin while enabled")
	got, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get")
	same(t, got.Secret+"|"+got.PendingID, "sealed-1|", "record after a refused begin")
}

// testMFAStepOnce: only a step after the last accepted one is accepted,
// the enrolment step included.
func testMFAStepOnce(t *testing.T, s storage.Store) {
	enrolled(t, s)
	wantErr(t, s.UseTOTPStep(ctx(t), "org_a", "agt_a", 100), storage.ErrConflict, "the enrolment step")
	wantErr(t, s.UseTOTPStep(ctx(t), "org_a", "agt_a", 99), storage.ErrConflict, "an earlier step")
	ok(t, s.UseTOTPStep(ctx(t), "org_a", "agt_a", 101), "the next step")
	wantErr(t, s.UseTOTPStep(ctx(t), "org_a", "agt_a", 101), storage.ErrConflict, "the same step again")
	ok(t, s.UseTOTPStep(ctx(t), "org_a", "agt_a", 103), "a later step")
	got, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get")
	same(t, got.LastStep, int64(103), "last step")
	wantErr(t, s.UseTOTPStep(ctx(t), "org_a", "agt_b", 200), storage.ErrNotFound, "no record")
}

// testMFAStepRace: of 10 concurrent uses of one step exactly one wins.
func testMFAStepRace(t *testing.T, s storage.Store) {
	enrolled(t, s)
	if wins := race(t, 10, func(int) error { return s.UseTOTPStep(ctx(t), "org_a", "agt_a", 101) }); wins != 1 {
		t.Fatalf("%d of 10 concurrent uses of one step succeeded, want 1", wins)
	}
}

// testMFABackupOnce: a code is consumed once, and leaves the list.
func testMFABackupOnce(t *testing.T, s storage.Store) {
	enrolled(t, s)
	ok(t, s.ConsumeBackupCode(ctx(t), "org_a", "agt_a", "bc-4", at(5)), "consume")
	wantErr(t, s.ConsumeBackupCode(ctx(t), "org_a", "agt_a", "bc-4", at(6)), storage.ErrNotFound, "consume again")
	wantErr(t, s.ConsumeBackupCode(ctx(t), "org_a", "agt_a", "nope", at(6)), storage.ErrNotFound, "unknown code")
	codes, err := s.ListBackupCodes(ctx(t), "org_a", "agt_a")
	ok(t, err, "list")
	same(t, len(codes), 9, "codes left")
	for _, c := range codes {
		if c.ID == "bc-4" {
			t.Fatal("a used code is still listed")
		}
	}
}

// testMFABackupRace: of 10 concurrent consumes of one code exactly one
// succeeds; the others find no unused code.
func testMFABackupRace(t *testing.T, s storage.Store) {
	enrolled(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			errs[i] = s.ConsumeBackupCode(ctx(t), "org_a", "agt_a", "bc-1", at(5).Add(time.Duration(i)*time.Millisecond))
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, storage.ErrNotFound):
			t.Errorf("racing consume: %v, want nil or ErrNotFound", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of 10 concurrent consumes of one code succeeded, want 1", wins)
	}
}

// testMFAReplaceCodes: a new set replaces the old entirely.
func testMFAReplaceCodes(t *testing.T, s storage.Store) {
	wantErr(t, s.ReplaceBackupCodes(ctx(t), "org_a", "agt_a", backupCodes("n", 10, 3)), storage.ErrNotFound, "replace without TOTP")
	enrolled(t, s)
	ok(t, s.ReplaceBackupCodes(ctx(t), "org_a", "agt_a", backupCodes("n", 10, 3)), "replace")
	wantErr(t, s.ConsumeBackupCode(ctx(t), "org_a", "agt_a", "bc-0", at(4)), storage.ErrNotFound, "an old code")
	ok(t, s.ConsumeBackupCode(ctx(t), "org_a", "agt_a", "n-0", at(4)), "a new code")
	codes, err := s.ListBackupCodes(ctx(t), "org_a", "agt_a")
	ok(t, err, "list")
	same(t, len(codes), 9, "codes left")
}

// testMFADisable: disabling removes secret, step and codes; the failure
// counter stays; enrolling again starts from scratch.
func testMFADisable(t *testing.T, s storage.Store) {
	wantErr(t, s.DisableTOTP(ctx(t), "org_a", "agt_a"), storage.ErrNotFound, "disable without a record")
	enrolled(t, s)
	ok(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", 0, at(3), time.Time{}), "charge")
	ok(t, s.DisableTOTP(ctx(t), "org_a", "agt_a"), "disable")
	got, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get")
	same(t, got, storage.MFAState{OrgID: "org_a", AgentID: "agt_a", Failures: 1}, "after disable")
	codes, err := s.ListBackupCodes(ctx(t), "org_a", "agt_a")
	ok(t, err, "list")
	same(t, len(codes), 0, "codes after disable")
	wantErr(t, s.UseTOTPStep(ctx(t), "org_a", "agt_a", 500), storage.ErrNotFound, "use a step after disable")
	wantErr(t, s.DisableTOTP(ctx(t), "org_a", "agt_a"), storage.ErrNotFound, "disable twice")
	ok(t, s.BeginTOTP(ctx(t), storage.PendingTOTP{OrgID: "org_a", AgentID: "agt_a", ID: "p9", Secret: "s9"}), "begin again")
}

// testMFACharge: a charge is a compare-and-set on the count and honours
// the backoff time exactly.
func testMFACharge(t *testing.T, s storage.Store) {
	wantErr(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", 0, at(1), time.Time{}), storage.ErrNotFound, "no record")
	enrolled(t, s)
	ok(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", 0, at(10), at(20)), "first charge")
	wantErr(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", 0, at(30), at(40)), storage.ErrConflict, "a stale count")
	wantErr(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", 1, at(20).Add(-time.Millisecond), at(40)),
		storage.ErrConflict, "before the backoff ends")
	ok(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", 1, at(20), at(40)), "exactly when the backoff ends")
	got, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get")
	same(t, got.Failures, 2, "failures")
	same(t, got.NextAttemptAt, at(40), "next attempt")
	ok(t, s.ClearMFAFailures(ctx(t), "org_a", "agt_a"), "clear")
	got, err = s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get")
	same(t, got.Failures, 0, "failures after clear")
	same(t, got.NextAttemptAt, time.Time{}, "next attempt after clear")
	ok(t, s.ClearMFAFailures(ctx(t), "org_a", "nobody"), "clear without a record")
}

// testMFAChargeRace: of 10 concurrent charges that saw one count, one wins.
func testMFAChargeRace(t *testing.T, s storage.Store) {
	enrolled(t, s)
	wins := race(t, 10, func(int) error {
		return s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", 0, at(10), time.Time{})
	})
	got, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get")
	if wins != 1 || got.Failures != 1 {
		t.Fatalf("%d of 10 concurrent charges succeeded, Failures %d; want 1 and 1", wins, got.Failures)
	}
}

// testMFALock: at MaxMFAFailures no charge succeeds until cleared.
func testMFALock(t *testing.T, s storage.Store) {
	enrolled(t, s)
	for i := range storage.MaxMFAFailures {
		ok(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", i, at(10), time.Time{}), fmt.Sprintf("charge %d", i))
	}
	got, err := s.GetMFA(ctx(t), "org_a", "agt_a")
	ok(t, err, "get")
	if !got.Locked() {
		t.Fatalf("not locked after %d failures", got.Failures)
	}
	wantErr(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", storage.MaxMFAFailures, at(10), time.Time{}),
		storage.ErrConflict, "charge when locked")
	ok(t, s.ClearMFAFailures(ctx(t), "org_a", "agt_a"), "clear (password reset)")
	ok(t, s.ChargeMFAAttempt(ctx(t), "org_a", "agt_a", 0, at(10), time.Time{}), "charge after clear")
}

// testMFATenancy: another organisation's agent with the same id sees
// nothing and changes nothing.
func testMFATenancy(t *testing.T, s storage.Store) {
	enrolled(t, s)
	_, err := s.GetMFA(ctx(t), "org_b", "agt_a")
	wantErr(t, err, storage.ErrNotFound, "get across orgs")
	wantErr(t, s.UseTOTPStep(ctx(t), "org_b", "agt_a", 101), storage.ErrNotFound, "use step across orgs")
	wantErr(t, s.ConsumeBackupCode(ctx(t), "org_b", "agt_a", "bc-0", at(3)), storage.ErrNotFound, "consume across orgs")
	wantErr(t, s.ConsumeBackupCode(ctx(t), "org_a", "agt_b", "bc-0", at(3)), storage.ErrNotFound, "consume another agent's code")
	wantErr(t, s.DisableTOTP(ctx(t), "org_b", "agt_a"), storage.ErrNotFound, "disable across orgs")
	codes, err := s.ListBackupCodes(ctx(t), "org_b", "agt_a")
	ok(t, err, "list across orgs")
	same(t, len(codes), 0, "codes across orgs")
	ok(t, s.UseTOTPStep(ctx(t), "org_a", "agt_a", 101), "own step still usable")
}

// testMFAErasure: erasing an agent removes its second factors.
func testMFAErasure(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "e")
	orgID, agentID := tn.org.ID, tn.owner.ID
	ok(t, s.BeginTOTP(ctx(t), storage.PendingTOTP{OrgID: orgID, AgentID: agentID, ID: "p1", Secret: "sealed"}), "begin")
	ok(t, s.EnableTOTP(ctx(t), orgID, agentID, "p1", 5, backupCodes("bc", 10, 1), at(1)), "enable")
	ok(t, s.EraseSubject(ctx(t), erasure(orgID, storage.SubjectAgent, agentID, 50)), "erase")
	_, err := s.GetMFA(ctx(t), orgID, agentID)
	wantErr(t, err, storage.ErrNotFound, "mfa after erasure")
	codes, err := s.ListBackupCodes(ctx(t), orgID, agentID)
	ok(t, err, "list after erasure")
	same(t, len(codes), 0, "codes after erasure")
}
