package sqlite

import (
	"errors"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// TestMigration0007AgentEmailPerOrg migrates a version-6 database holding
// agents and checks they survive with their order, and that afterwards an
// email is unique within an organisation only.
func TestMigration0007AgentEmailPerOrg(t *testing.T) {
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 7 || !strings.HasPrefix(list[6].name, "0007_") {
		t.Fatalf("migration 7 is %v", list[6:])
	}
	db := openRaw(t)
	ctx := t.Context()
	if err := migrateTo(ctx, db, list[:6]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO organizations (id, name) VALUES ('org_1', 'One'), ('org_2', 'Two')`,
		// Same created_at: rowid decides the order, which must survive.
		`INSERT INTO agents (id, org_id, name, email, role, password_hash, created_at, deleted_at) VALUES
			('agt_z', 'org_1', 'Z', 'z@x', 'owner', 'h', 5, NULL),
			('agt_a', 'org_1', 'A', 'a@x', 'agent', 'h', 5, NULL),
			('agt_gone', 'org_1', '', 'pseudo', 'agent', '', 5, 9)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO agents (id, org_id, name, email, role, password_hash)
		VALUES ('agt_dup', 'org_2', 'Dup', 'z@x', 'agent', 'h')`); err == nil {
		t.Fatal("before 0007 an email is unique across organisations; the seed expects that")
	}
	if err := migrateTo(ctx, db, list); err != nil {
		t.Fatalf("migrate to %d: %v", len(list), err)
	}
	s := &Store{r: db, w: db}
	team, err := s.ListAgents(ctx, "org_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(team) != 2 || team[0].ID != "agt_z" || team[1].ID != "agt_a" {
		t.Errorf("team after 0007: %v, want agt_z then agt_a (erased left out)", team)
	}
	other := storage.Agent{ID: "agt_dup", OrgID: "org_2", Name: "Dup", Email: "Z@x", Role: storage.RoleAgent, PasswordHash: "h"}
	if err := s.CreateAgent(ctx, other); err != nil {
		t.Fatalf("the same email in another organisation after 0007: %v", err)
	}
	same := storage.Agent{ID: "agt_dup2", OrgID: "org_1", Name: "Dup", Email: "a@x", Role: storage.RoleAgent, PasswordHash: "h"}
	if err := s.CreateAgent(ctx, same); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("the same email twice in one organisation after 0007: %v, want ErrConflict", err)
	}
	byEmail, err := s.ListAgentsByEmail(ctx, "z@x")
	if err != nil || len(byEmail) != 2 {
		t.Fatalf("agents with z@x after 0007: %v, %v", byEmail, err)
	}
}
