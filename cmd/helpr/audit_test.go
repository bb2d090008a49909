package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodrv "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/mongo"
)

// auditStore runs a real node that writes audit events in two
// organisations (and one bound to none): registrations, sign-ins, a failed
// sign-in, a visitor export and that visitor's erasure, which pseudonymises
// the events naming it. It returns the stopped node's data directory and
// the first organisation's id.
func auditStore(t *testing.T) (dir, orgID string) {
	t.Helper()
	dir = t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	n.registerTenant("Beta", "owner@beta.test", "https://beta.test")
	n.login("owner@acme.test", "correct horse battery")
	if code := n.call("POST", "/rest/v1/auth/login", "", map[string]any{"email": "nobody@acme.test", "password": "guess guess guess"}, nil); code != http.StatusUnauthorized {
		t.Fatalf("failed login: %d", code)
	}
	vid, _ := n.newVisitor(tn, canaries("4242"))
	if code := n.call("GET", "/rest/v1/visitors/"+vid+"/export", tn.owner.AccessToken, nil, nil); code != http.StatusOK {
		t.Fatalf("export visitor: %d", code)
	}
	if code := n.call("DELETE", "/rest/v1/visitors/"+vid, tn.owner.AccessToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("erase visitor: %d", code)
	}
	n.stop()
	db := openAuditDB(t, dir)
	var named int
	if err := db.QueryRow("SELECT COUNT(*) FROM audit_events WHERE target_id = ? OR actor_id = ?", vid, vid).Scan(&named); err != nil || named != 0 {
		t.Fatalf("events still naming the erased visitor: %d, %v", named, err)
	}
	return dir, tn.orgID
}

// openAuditDB opens the node's SQLite file directly, as an attacker with
// access to the data directory would.
func openAuditDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// copyStore copies the store files of dir into a new directory.
func copyStore(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	for _, name := range []string{"helpr.db", "helpr.db-wal", "helpr.db-shm"} {
		src, err := os.Open(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.OpenFile(filepath.Join(out, name), os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(dst, src)
		src.Close()
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// eventAt returns the id of the organisation's event with seq.
func eventAt(t *testing.T, db *sql.DB, orgID string, seq int) string {
	t.Helper()
	var id string
	if err := db.QueryRow("SELECT id FROM audit_events WHERE org_id = ? AND seq = ?", orgID, seq).Scan(&id); err != nil {
		t.Fatalf("event %d of %s: %v", seq, orgID, err)
	}
	return id
}

// `helpr audit verify` reports a chain that erasure rewrote as OK, with the
// number of events and organisations.
func TestAuditVerifyOKAfterErasure(t *testing.T) {
	dir, _ := auditStore(t)
	var events, orgs int
	db := openAuditDB(t, dir)
	if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT org_id) FROM audit_events").Scan(&events, &orgs); err != nil {
		t.Fatal(err)
	}
	if orgs != 3 || events < 6 {
		t.Fatalf("fixture: %d events in %d organisations", events, orgs)
	}
	code, stdout, stderr := runCLI(t, "audit", "verify", "--data-dir", dir)
	want := fmt.Sprintf("audit chain OK: %d events in %d organisations\n", events, orgs)
	if code != 0 || stdout != want || stderr != "" {
		t.Fatalf("verify: exit %d, stdout %q (want %q), stderr %q", code, stdout, want, stderr)
	}
}

// Changing, deleting or reordering events in the SQLite file, or forging
// an erasure, makes `helpr audit verify` exit 1 naming the first broken
// link: organisation, seq and event id.
func TestAuditVerifyFindsTamperedSQLite(t *testing.T) {
	dir, org := auditStore(t)
	for _, tc := range []struct {
		name   string
		tamper func(db *sql.DB, ids func(int) string) error
		seq    int
		reason string
	}{
		{"detail changed", func(db *sql.DB, ids func(int) string) error {
			_, err := db.Exec("UPDATE audit_events SET detail = 'nothing to see' WHERE id = ?", ids(2))
			return err
		}, 2, "hash does not match"},
		{"outcome changed", func(db *sql.DB, ids func(int) string) error {
			_, err := db.Exec("UPDATE audit_events SET outcome = 'failure' WHERE id = ?", ids(2))
			return err
		}, 2, "hash does not match"},
		{"ip changed", func(db *sql.DB, ids func(int) string) error {
			_, err := db.Exec("UPDATE audit_events SET ip = '192.0.2.66' WHERE id = ?", ids(1))
			return err
		}, 1, "ip or user agent"},
		{"actor forged as erased", func(db *sql.DB, ids func(int) string) error {
			_, err := db.Exec("UPDATE audit_events SET actor_id = 'anon_x', actor_salt = '', ip = '192.0.2.66', client_salt = '' WHERE id = ?", ids(2))
			return err
		}, 2, "erased ip"},
		{"deleted", func(db *sql.DB, ids func(int) string) error {
			_, err := db.Exec("DELETE FROM audit_events WHERE id = ?", ids(2))
			return err
		}, 3, "sequence gap"},
		{"reordered", func(db *sql.DB, ids func(int) string) error {
			a, b := ids(2), ids(3)
			for _, q := range []struct {
				seq int
				id  string
			}{{0, a}, {2, b}, {3, a}} {
				if _, err := db.Exec("UPDATE audit_events SET seq = ? WHERE id = ?", q.seq, q.id); err != nil {
					return err
				}
			}
			return nil
		}, 2, "previous hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := copyStore(t, dir)
			db := openAuditDB(t, d)
			if err := tc.tamper(db, func(seq int) string { return eventAt(t, db, org, seq) }); err != nil {
				t.Fatal(err)
			}
			id := eventAt(t, db, org, tc.seq)
			db.Close()
			code, stdout, stderr := runCLI(t, "audit", "verify", "--data-dir", d)
			prefix := fmt.Sprintf("audit chain broken: org %s seq %d event %s: ", org, tc.seq, id)
			if code != 1 || !strings.HasPrefix(stdout, prefix) || !strings.Contains(stdout, tc.reason) || stderr != "" {
				t.Errorf("verify: exit %d, stdout %q (want %q…%q), stderr %q", code, stdout, prefix, tc.reason, stderr)
			}
		})
	}
}

// verify refuses a data directory without a store (it never creates one).
func TestAuditVerifyNeedsAStore(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "audit", "verify", "--data-dir", dir)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "no store") {
		t.Errorf("verify of an empty dir: exit %d, %q, %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "helpr.db")); !os.IsNotExist(err) {
		t.Errorf("verify created a store: %v", err)
	}
	if code, _, stderr := runCLI(t, "audit", "check"); code != 1 || !strings.Contains(stderr, "unknown audit subcommand") {
		t.Errorf("unknown subcommand: %d %q", code, stderr)
	}
}

// `helpr audit verify --store mongo` reads the MongoDB store: OK after an
// erasure, and the first broken link once a document is edited.
func TestAuditVerifyMongo(t *testing.T) {
	uri, dbName := testsvc.MongoURI(t), testsvc.MongoDatabase(t)
	ctx := t.Context()
	s, err := mongo.Open(ctx, uri, dbName)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		e := storage.AuditEvent{OrgID: "org_m", ActorKind: storage.SubjectVisitor, ActorID: "vis_1", Action: "visitor.updated",
			IP: "203.0.113.7", UserAgent: "UA", Detail: fmt.Sprint("n", i), CreatedAt: time.UnixMilli(int64(1000 * (i + 1)))}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateOrgWithOwner(ctx, storage.Organization{ID: "org_m", Name: "M"},
		storage.Agent{ID: "agt_m", OrgID: "org_m", Name: "O", Email: "o@m.test", Role: storage.RoleOwner, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAgent(ctx, storage.Agent{ID: "agt_x", OrgID: "org_m", Name: "X", Email: "x@m.test", Role: storage.RoleAgent, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, storage.AuditEvent{OrgID: "org_m", ActorKind: storage.SubjectAgent, ActorID: "agt_x", Action: "auth.login", IP: "198.51.100.1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.EraseSubject(ctx, storage.Erasure{OrgID: "org_m", Kind: storage.SubjectAgent, SubjectID: "agt_x", Pseudonym: "anon_x", At: time.UnixMilli(9000)}); err != nil {
		t.Fatal(err)
	}
	chain, err := s.AuditChain(ctx, "org_m", 0, 0)
	if err != nil || len(chain) != 5 {
		t.Fatalf("chain: %d, %v", len(chain), err)
	}
	args := []string{"audit", "verify", "--store", "mongo", "--mongo-uri", uri, "--mongo-db", dbName}
	if code, stdout, stderr := runCLI(t, args...); code != 0 || stdout != "audit chain OK: 5 events in 1 organisations\n" {
		t.Fatalf("verify: %d %q %q", code, stdout, stderr)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	client, err := mongodrv.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	coll := client.Database(dbName).Collection("audit_events")
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: chain[2].ID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "detail", Value: "edited"}}}}); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCLI(t, args...)
	want := fmt.Sprintf("audit chain broken: org org_m seq 3 event %s: hash does not match", chain[2].ID)
	if code != 1 || !strings.HasPrefix(stdout, want) {
		t.Errorf("verify after an edit: %d %q, want %q…", code, stdout, want)
	}
}
