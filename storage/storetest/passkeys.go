package storetest

import (
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

var passkeyCases = []testCase{
	{"Passkey/RoundTrip", testPasskeyRoundTrip},
	{"Passkey/CredentialUnique", testPasskeyCredentialUnique},
	{"Passkey/ListPerAgentOldestFirst", testPasskeyList},
	{"Passkey/RenameDeleteScoped", testPasskeyScoped},
	{"Passkey/DeleteAgentPasskeys", testPasskeyDeleteAgent},
	{"Passkey/SignCountNeverRegresses", testPasskeySignCount},
	{"Passkey/ZeroCounterAuthenticator", testPasskeyZeroCounter},
	{"Passkey/ConcurrentUsesOneWinner", testPasskeyUseRace},
	{"Passkey/ErasureDeletesThem", testPasskeyErasure},
}

// passkey returns passkey id of agent agentID of orgID, created at sec,
// with a credential id derived from id.
func passkey(orgID, agentID, id string, sec int) storage.Passkey {
	return storage.Passkey{ID: id, OrgID: orgID, AgentID: agentID, CredentialID: hash("cred/" + id),
		Name: "Key " + id, PublicKey: hash("pub/" + id), SignCount: 5, AAGUID: hash("aaguid")[:16],
		Transports: []string{"internal", "hybrid"}, UserVerified: true, BackupEligible: true,
		BackupState: true, CreatedAt: at(sec)}
}

// createPasskey stores p and fails the test on error.
func createPasskey(t *testing.T, s storage.Store, p storage.Passkey) storage.Passkey {
	t.Helper()
	ok(t, s.CreatePasskey(ctx(t), p), "create passkey "+p.ID)
	return p
}

// testPasskeyRoundTrip: every field comes back as stored, through the
// credential lookup and the list.
func testPasskeyRoundTrip(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	want := passkey(tn.org.ID, tn.owner.ID, "psk_1", 3)
	want.CreatedAt = want.CreatedAt.Add(7 * time.Millisecond)
	want.LastUsedAt = at(4).Add(time.Millisecond)
	want.SignCount = 1<<32 - 2 // the whole uint32 range survives
	createPasskey(t, s, want)
	got, err := s.GetPasskeyByCredential(ctx(t), want.CredentialID)
	ok(t, err, "get by credential")
	same(t, got, want, "round trip")
	bare := storage.Passkey{ID: "psk_2", OrgID: tn.org.ID, AgentID: tn.owner.ID,
		CredentialID: []byte{1}, Name: "", PublicKey: []byte{2}, CreatedAt: at(5)}
	createPasskey(t, s, bare)
	got, err = s.GetPasskeyByCredential(ctx(t), bare.CredentialID)
	ok(t, err, "get bare")
	same(t, got, bare, "bare round trip (no aaguid, transports, flags, use)")
	_, err = s.GetPasskeyByCredential(ctx(t), []byte("missing"))
	wantErr(t, err, storage.ErrNotFound, "get missing credential")
	bad := passkey(tn.org.ID, tn.owner.ID, "psk_3", 6)
	bad.CredentialID = nil
	if err := s.CreatePasskey(ctx(t), bad); err == nil {
		t.Error("create with an empty credential id succeeded")
	}
}

// testPasskeyCredentialUnique: a credential id is unique across
// organisations, and so is a passkey id.
func testPasskeyCredentialUnique(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	first := createPasskey(t, s, passkey(a.org.ID, a.owner.ID, "psk_1", 3))
	dup := passkey(b.org.ID, b.owner.ID, "psk_2", 4)
	dup.CredentialID = first.CredentialID
	wantErr(t, s.CreatePasskey(ctx(t), dup), storage.ErrConflict, "same credential in another org")
	sameID := passkey(b.org.ID, b.owner.ID, "psk_1", 4)
	wantErr(t, s.CreatePasskey(ctx(t), sameID), storage.ErrConflict, "same passkey id")
	got, err := s.GetPasskeyByCredential(ctx(t), first.CredentialID)
	ok(t, err, "get first")
	same(t, got, first, "first untouched")
}

// testPasskeyList: an agent lists their own passkeys only, oldest first.
func testPasskeyList(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	bob := storage.Agent{ID: "agt_bob", OrgID: a.org.ID, Name: "Bob", Email: "bob@acme.example",
		Role: storage.RoleAgent, PasswordHash: "h", CreatedAt: at(1)}
	ok(t, s.CreateAgent(ctx(t), bob), "create bob")
	p2 := createPasskey(t, s, passkey(a.org.ID, a.owner.ID, "psk_2", 20))
	p1 := createPasskey(t, s, passkey(a.org.ID, a.owner.ID, "psk_1", 10))
	createPasskey(t, s, passkey(a.org.ID, bob.ID, "psk_bob", 15))
	createPasskey(t, s, passkey(b.org.ID, b.owner.ID, "psk_beta", 5))
	list, err := s.ListPasskeys(ctx(t), a.org.ID, a.owner.ID)
	ok(t, err, "list owner's")
	same(t, list, []storage.Passkey{p1, p2}, "owner's passkeys, oldest first")
	list, err = s.ListPasskeys(ctx(t), b.org.ID, a.owner.ID)
	ok(t, err, "list under another org")
	if len(list) != 0 {
		t.Errorf("the owner's passkeys listed under another organisation: %v", list)
	}
	list, err = s.ListPasskeys(ctx(t), a.org.ID, "agt_nobody")
	ok(t, err, "list of an agent without passkeys")
	if len(list) != 0 {
		t.Errorf("an agent without passkeys lists %v", list)
	}
}

// testPasskeyScoped: rename and delete reach the owner's passkey only —
// another agent of the organisation and another organisation get
// ErrNotFound and change nothing.
func testPasskeyScoped(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	p := createPasskey(t, s, passkey(a.org.ID, a.owner.ID, "psk_1", 3))
	for _, who := range []struct{ org, agent, what string }{
		{a.org.ID, "agt_bob", "another agent"}, {b.org.ID, a.owner.ID, "another org"},
		{b.org.ID, b.owner.ID, "another org's owner"},
	} {
		_, err := s.RenamePasskey(ctx(t), who.org, who.agent, p.ID, "stolen")
		wantErr(t, err, storage.ErrNotFound, "rename by "+who.what)
		wantErr(t, s.DeletePasskey(ctx(t), who.org, who.agent, p.ID), storage.ErrNotFound, "delete by "+who.what)
	}
	got, err := s.GetPasskeyByCredential(ctx(t), p.CredentialID)
	ok(t, err, "get after refused attacks")
	same(t, got, p, "untouched by other tenants and agents")
	renamed, err := s.RenamePasskey(ctx(t), a.org.ID, a.owner.ID, p.ID, "Laptop")
	ok(t, err, "rename own")
	p.Name = "Laptop"
	same(t, renamed, p, "renamed passkey")
	_, err = s.RenamePasskey(ctx(t), a.org.ID, a.owner.ID, "psk_missing", "x")
	wantErr(t, err, storage.ErrNotFound, "rename missing")
	ok(t, s.DeletePasskey(ctx(t), a.org.ID, a.owner.ID, p.ID), "delete own")
	wantErr(t, s.DeletePasskey(ctx(t), a.org.ID, a.owner.ID, p.ID), storage.ErrNotFound, "delete twice")
	_, err = s.GetPasskeyByCredential(ctx(t), p.CredentialID)
	wantErr(t, err, storage.ErrNotFound, "get deleted")
}

// testPasskeyDeleteAgent: offboarding removes all of one agent's passkeys
// and nobody else's.
func testPasskeyDeleteAgent(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	createPasskey(t, s, passkey(a.org.ID, a.owner.ID, "psk_1", 3))
	createPasskey(t, s, passkey(a.org.ID, a.owner.ID, "psk_2", 4))
	bob := createPasskey(t, s, passkey(a.org.ID, "agt_bob", "psk_bob", 5))
	beta := createPasskey(t, s, passkey(b.org.ID, b.owner.ID, "psk_beta", 6))
	n, err := s.DeleteAgentPasskeys(ctx(t), b.org.ID, a.owner.ID)
	ok(t, err, "delete under another org")
	if n != 0 {
		t.Errorf("another organisation deleted %d of the owner's passkeys", n)
	}
	n, err = s.DeleteAgentPasskeys(ctx(t), a.org.ID, a.owner.ID)
	ok(t, err, "delete owner's")
	if n != 2 {
		t.Errorf("deleted %d passkeys, want 2", n)
	}
	list, err := s.ListPasskeys(ctx(t), a.org.ID, a.owner.ID)
	ok(t, err, "list after")
	if len(list) != 0 {
		t.Errorf("passkeys left after DeleteAgentPasskeys: %v", list)
	}
	for _, p := range []storage.Passkey{bob, beta} {
		_, err := s.GetPasskeyByCredential(ctx(t), p.CredentialID)
		ok(t, err, "others' passkey "+p.ID+" kept")
	}
	if _, err := s.DeleteAgentPasskeys(ctx(t), a.org.ID, ""); err == nil {
		t.Error("DeleteAgentPasskeys with an empty agent id succeeded")
	}
}

// use is a sign-in with passkey p reporting count at sec.
func use(p storage.Passkey, count uint32, sec int) storage.PasskeyUse {
	return storage.PasskeyUse{OrgID: p.OrgID, ID: p.ID, SignCount: count, BackupState: false, At: at(sec)}
}

// testPasskeySignCount: the counter only moves forward; an equal or lower
// count is ErrConflict and changes nothing.
func testPasskeySignCount(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	p := createPasskey(t, s, passkey(tn.org.ID, tn.owner.ID, "psk_1", 3)) // count 5
	ok(t, s.RecordPasskeyUse(ctx(t), use(p, 6, 10)), "advance to 6")
	wantErr(t, s.RecordPasskeyUse(ctx(t), use(p, 6, 11)), storage.ErrConflict, "repeat 6")
	wantErr(t, s.RecordPasskeyUse(ctx(t), use(p, 2, 12)), storage.ErrConflict, "regress to 2")
	wantErr(t, s.RecordPasskeyUse(ctx(t), use(p, 0, 13)), storage.ErrConflict, "regress to 0")
	got, err := s.GetPasskeyByCredential(ctx(t), p.CredentialID)
	ok(t, err, "get")
	p.SignCount, p.LastUsedAt, p.BackupState = 6, at(10), false
	same(t, got, p, "state of the one accepted use")
	other := newTenant(t, s, "beta")
	wrongOrg := use(p, 99, 14)
	wrongOrg.OrgID = other.org.ID
	wantErr(t, s.RecordPasskeyUse(ctx(t), wrongOrg), storage.ErrNotFound, "use under another org")
	missing := use(p, 99, 14)
	missing.ID = "psk_missing"
	wantErr(t, s.RecordPasskeyUse(ctx(t), missing), storage.ErrNotFound, "use of a missing passkey")
}

// testPasskeyZeroCounter: an authenticator that keeps no counter (0, 0)
// signs in every time; once it reported a count, 0 is a regression.
func testPasskeyZeroCounter(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	p := passkey(tn.org.ID, tn.owner.ID, "psk_1", 3)
	p.SignCount = 0
	createPasskey(t, s, p)
	ok(t, s.RecordPasskeyUse(ctx(t), use(p, 0, 10)), "zero after zero")
	ok(t, s.RecordPasskeyUse(ctx(t), use(p, 0, 11)), "zero after zero again")
	ok(t, s.RecordPasskeyUse(ctx(t), use(p, 1, 12)), "first count")
	wantErr(t, s.RecordPasskeyUse(ctx(t), use(p, 0, 13)), storage.ErrConflict, "zero after a count")
}

// testPasskeyUseRace: ten concurrent uses reporting the same counter (a
// replayed or cloned assertion) — exactly one is accepted.
func testPasskeyUseRace(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	p := createPasskey(t, s, passkey(tn.org.ID, tn.owner.ID, "psk_1", 3))
	wins := race(t, 10, func(i int) error { return s.RecordPasskeyUse(ctx(t), use(p, 7, 10+i)) })
	if wins != 1 {
		t.Fatalf("%d of 10 concurrent uses with counter 7 succeeded, want exactly 1", wins)
	}
	got, err := s.GetPasskeyByCredential(ctx(t), p.CredentialID)
	ok(t, err, "get")
	if got.SignCount != 7 {
		t.Errorf("sign count %d after the race, want 7", got.SignCount)
	}
}

// testPasskeyErasure: erasing an agent deletes their passkeys (a later
// sign-in finds no credential), and no one else's.
func testPasskeyErasure(t *testing.T, s storage.Store) {
	f := newAgentFixture(t, s)
	mine := createPasskey(t, s, passkey(f.tn.org.ID, f.bob.ID, "psk_bob", 30))
	theirs := createPasskey(t, s, passkey(f.tn.org.ID, f.tn.owner.ID, "psk_owner", 31))
	ok(t, s.EraseSubject(ctx(t), erasure(f.tn.org.ID, storage.SubjectAgent, f.bob.ID, 100)), "erase bob")
	_, err := s.GetPasskeyByCredential(ctx(t), mine.CredentialID)
	wantErr(t, err, storage.ErrNotFound, "erased agent's passkey")
	_, err = s.GetPasskeyByCredential(ctx(t), theirs.CredentialID)
	ok(t, err, "the owner's passkey is kept")
}
