package sqlite

import (
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// TestMigration0004BackfillsPreviews migrates a version-3 database holding
// conversations and checks each gets its newest message's preview and
// sender kind, exactly as storage.PreviewOf gives it.
func TestMigration0004BackfillsPreviews(t *testing.T) {
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 4 || !strings.HasPrefix(list[3].name, "0004_") {
		t.Fatalf("migration 4 is %v", list[3:])
	}
	db := openRaw(t)
	ctx := t.Context()
	if err := migrateTo(ctx, db, list[:3]); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Grüße\u00a0aus  Köln ", 20)
	for _, q := range []string{
		`INSERT INTO organizations (id, name) VALUES ('org_1', 'One')`,
		`INSERT INTO conversations (id, org_id, visitor_id, widget_id, status, last_seq)
			VALUES ('cnv_1', 'org_1', 'vis_1', 'wdg_1', 'open', 2), ('cnv_2', 'org_1', 'vis_1', 'wdg_1', 'open', 1),
			('cnv_empty', 'org_1', 'vis_1', 'wdg_1', 'open', 0)`,
		`INSERT INTO messages (id, org_id, conversation_id, seq, sender_kind, sender_id, text) VALUES
			('m1', 'org_1', 'cnv_1', 1, 'visitor', 'vis_1', 'older'),
			('m2', 'org_1', 'cnv_1', 2, 'agent', 'agt_1', '` + long + `'),
			('m3', 'org_1', 'cnv_2', 1, 'visitor', 'vis_1', '  hi' || char(10) || char(10) || 'there  ')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	if err := migrateTo(ctx, db, list); err != nil {
		t.Fatalf("migrate to %d: %v", len(list), err)
	}
	want := map[string][2]string{
		"cnv_1":     {storage.PreviewOf(long), "agent"},
		"cnv_2":     {"hi there", "visitor"},
		"cnv_empty": {"", ""},
	}
	rows, err := db.QueryContext(ctx, "SELECT id, preview, last_sender_kind FROM conversations")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, preview, kind string
		if err := rows.Scan(&id, &preview, &kind); err != nil {
			t.Fatal(err)
		}
		if w := want[id]; preview != w[0] || kind != w[1] {
			t.Errorf("%s after the backfill: preview %q kind %q, want %q and %q", id, preview, kind, w[0], w[1])
		}
		delete(want, id)
	}
	if err := rows.Err(); err != nil || len(want) != 0 {
		t.Errorf("conversations not seen: %v (%v)", want, err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM agent_reads").Scan(&n); err != nil || n != 0 {
		t.Errorf("agent_reads after the migration: %d rows, %v", n, err)
	}
}
