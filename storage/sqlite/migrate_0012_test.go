package sqlite

import (
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// TestMigration0012ChainsExistingAudit migrates a version-11 database that
// holds audit events of two organisations (and orgless ones) and checks
// they form verifiable chains in time order, which later appends extend.
func TestMigration0012ChainsExistingAudit(t *testing.T) {
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 12 || !strings.HasPrefix(list[11].name, "0012_") {
		t.Fatalf("migration 12 is %v", list[11:])
	}
	db := openRaw(t)
	ctx := t.Context()
	if err := migrateTo(ctx, db, list[:11]); err != nil {
		t.Fatal(err)
	}
	// aud_b2 and aud_b1 share a millisecond: insertion order decides.
	const seed = `INSERT INTO audit_events (id, org_id, actor_kind, actor_id, action, target_id, ip, user_agent, detail, created_at) VALUES
		('aud_a2', 'org_a', 'agent', 'agt_1', 'auth.logout', 'ses_1', '203.0.113.7', 'UA', '', 2000),
		('aud_a1', 'org_a', 'agent', 'agt_1', 'auth.login', 'ses_1', '203.0.113.7', 'UA', 'method=password', 1000),
		('aud_b2', 'org_b', '', '', 'auth.login_failed', 'agt_9', '198.51.100.1', '', 'wrong password', 3000),
		('aud_b1', 'org_b', '', '', 'auth.login_failed', 'agt_9', '198.51.100.1', '', 'wrong password', 3000),
		('aud_x', '', '', '', 'auth.login_failed', '', '198.51.100.2', '', 'unknown account', NULL)`
	if _, err := db.ExecContext(ctx, seed); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := migrateTo(ctx, db, list); err != nil {
		t.Fatalf("migrate to %d: %v", len(list), err)
	}
	s := &Store{r: db, w: db}
	v, err := storage.VerifyAuditChains(ctx, s)
	if err != nil || v.Break != nil || v.Events != 5 || v.Orgs != 3 {
		t.Fatalf("after 0012: %+v, %v", v, err)
	}
	wantOrder := map[string][]string{"org_a": {"aud_a1", "aud_a2"}, "org_b": {"aud_b2", "aud_b1"}, "": {"aud_x"}}
	for org, want := range wantOrder {
		chain, err := s.AuditChain(ctx, org, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range chain {
			got = append(got, e.ID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("chain of %q: %v, want %v", org, got, want)
		}
	}
	e := storage.AuditEvent{OrgID: "org_a", Action: "auth.login", Outcome: storage.AuditSuccess}
	if err := s.AppendAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
	if n, brk, err := storage.VerifyAuditChain(ctx, s, "org_a"); err != nil || brk != nil || n != 3 {
		t.Errorf("append after 0012: %d events, %v, %v", n, brk, err)
	}
}
