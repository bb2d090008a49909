package sqlite

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// canaries are stand-ins for sealed PII: any byte string the store was given.
var canaries = []string{"canary-visitor-name-7f3a", "canary-visitor-email-7f3a",
	"canary-visitor-phone-7f3a", "canary-agent-name-7f3a", "canary-agent-email-7f3a.example"}

// TestErasedValuesLeaveTheFile proves the secure_delete choice: after an
// erasure and a checkpoint, the cleared values are nowhere in the database
// file or its WAL (without secure_delete they linger in freed page space).
func TestErasedValuesLeaveTheFile(t *testing.T) {
	s, path := openTemp(t)
	defer s.Close()
	ctx := t.Context()
	now := time.UnixMilli(1_767_225_600_000).UTC()
	org := storage.Organization{ID: "org_1", Name: "One", CreatedAt: now}
	owner := storage.Agent{ID: "agt_1", OrgID: "org_1", Name: "Owner", Email: "owner@one.example", Role: storage.RoleOwner}
	bob := storage.Agent{ID: "agt_2", OrgID: "org_1", Name: canaries[3], Email: canaries[4], Role: storage.RoleAgent, PasswordHash: "h"}
	v := storage.Visitor{ID: "vis_1", OrgID: "org_1", WidgetID: "wdg_1", Name: canaries[0], Email: canaries[1],
		Phone: canaries[2], EmailIndex: bytes.Repeat([]byte{0xA5}, 32), CreatedAt: now}
	must(t, s.CreateOrgWithOwner(ctx, org, owner))
	must(t, s.CreateAgent(ctx, bob))
	must(t, s.CreateVisitor(ctx, v))
	checkpoint(t, s)
	if n := countCanaries(t, path); n == 0 {
		t.Fatal("canaries not found in the file before erasure: the check cannot fail")
	}
	for _, e := range []storage.Erasure{
		{OrgID: "org_1", Kind: storage.SubjectVisitor, SubjectID: "vis_1", Pseudonym: "anon_v", At: now},
		{OrgID: "org_1", Kind: storage.SubjectAgent, SubjectID: "agt_2", Pseudonym: "anon_a", At: now},
	} {
		must(t, s.EraseSubject(ctx, e))
	}
	checkpoint(t, s)
	if n := countCanaries(t, path); n != 0 {
		t.Errorf("%d erased values still in the database file", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkpoint copies the WAL into the database file and truncates the WAL.
func checkpoint(t *testing.T, s *Store) {
	t.Helper()
	busy, err := s.ckpt.checkpointNow(t.Context(), "TRUNCATE") // not racing the checkpointer
	if err != nil || busy {
		t.Fatalf("checkpoint: busy %v, %v", busy, err)
	}
}

// countCanaries counts canary occurrences in the database file and its WAL.
func countCanaries(t *testing.T, path string) int {
	t.Helper()
	n := 0
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, c := range canaries {
			n += bytes.Count(b, []byte(c))
		}
	}
	return n
}

// TestMigration2KeepsExistingRows upgrades a version-1 database holding a
// visitor and an agent: both read back with no email index and not deleted.
func TestMigration2KeepsExistingRows(t *testing.T) {
	list, err := loadMigrations()
	must(t, err)
	path := filepath.Join(t.TempDir(), "v1.db")
	must(t, createPrivate(path))
	db, err := openWriter(t.Context(), path, defaultOptions())
	must(t, err)
	must(t, migrateTo(t.Context(), db, list[:1]))
	for _, q := range []string{
		"INSERT INTO organizations (id, name) VALUES ('org_1', 'One')",
		"INSERT INTO agents (id, org_id, name, email, role, password_hash) VALUES ('agt_1', 'org_1', 'A', 'a@x', 'owner', 'h')",
		"INSERT INTO visitors (id, org_id, widget_id, name, email, phone) VALUES ('vis_1', 'org_1', 'wdg_1', 'n', 'e', 'p')",
	} {
		_, err := db.ExecContext(t.Context(), q)
		must(t, err)
	}
	must(t, db.Close())

	s, err := Open(t.Context(), path)
	must(t, err)
	defer s.Close()
	v, err := s.GetVisitor(t.Context(), "org_1", "vis_1")
	must(t, err)
	if v.EmailIndex != nil || v.Deleted() || v.Name != "n" {
		t.Errorf("visitor after upgrade = %#v", v)
	}
	agents, err := s.ListAgentsByEmail(t.Context(), "a@x")
	must(t, err)
	if len(agents) != 1 || agents[0].Deleted() || agents[0].ID != "agt_1" {
		t.Errorf("agents after upgrade = %#v", agents)
	}
	if got := schemaVersions(t, s.r); len(got) != len(list) {
		t.Errorf("versions after upgrade = %v, want %d", got, len(list))
	}
}
