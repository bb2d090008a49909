package main

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// sealedDataDir returns a data directory whose store holds a sealed
// visitor, the node stopped, and the visitor's id.
func sealedDataDir(t *testing.T) (dir, visitorID string) {
	t.Helper()
	dir = t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	visitorID, _ = n.newVisitor(tn, canaries("4242"))
	n.stop()
	return dir, visitorID
}

// serveRefused starts helpr over dir as `helpr serve` does (newApp),
// expects it to refuse, and returns the error message.
func serveRefused(t *testing.T, dir string) string {
	t.Helper()
	cfg := Config{Addr: "127.0.0.1:0", DataDir: dir}
	cfg.defaults()
	a, err := newApp(context.Background(), cfg, zerolog.Nop())
	if err == nil {
		_ = a.close()
		t.Fatalf("helpr started over %s; want a refusal", dir)
	}
	return err.Error()
}

// Deleting the default keyring of a data directory with sealed visitors
// must not start the server on a fresh keyring: it refuses, naming the
// file and the backup procedure, and creates nothing.
func TestServeRefusesMissingKeyringOverSealedData(t *testing.T) {
	dir, _ := sealedDataDir(t)
	path := filepath.Join(dir, "secrets", "keyring.json")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	errOut := serveRefused(t, dir)
	for _, want := range []string{path, "docs/backup.md", "restore"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("refusal %q does not name %q", errOut, want)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a keyring was created over sealed data: %v", err)
	}

	// Data from before fingerprints were recorded: visitors, no record.
	deleteFingerprint(t, dir)
	errOut = serveRefused(t, dir)
	if !strings.Contains(errOut, path) || !strings.Contains(errOut, "sealed visitors") {
		t.Errorf("refusal without a recorded fingerprint: %q", errOut)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a keyring was created over sealed visitors: %v", err)
	}
}

// Another keyring in place of the store's is refused, naming both.
func TestServeRefusesAnotherKeyring(t *testing.T) {
	dir, _ := sealedDataDir(t)
	path := filepath.Join(dir, "secrets", "keyring.json")
	recorded := loadFingerprint(t, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if out, code := helpr(t, "keys", "generate", "--data-dir", dir); code != 0 {
		t.Fatalf("keys generate: %d %s", code, out)
	}
	other := loadFingerprint(t, path)
	errOut := serveRefused(t, dir)
	for _, want := range []string{path, recorded.ID(), other.ID(), "docs/backup.md"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("refusal %q does not name %q", errOut, want)
		}
	}
	// The offline maintenance commands refuse it too.
	if out, code := helpr(t, "keys", "reencrypt", "--data-dir", dir); code == 0 || !strings.Contains(out, recorded.ID()) {
		t.Errorf("keys reencrypt with another keyring: %d %s", code, out)
	}
}

// A rotated keyring still starts and the store records its fingerprint;
// the keyring from before the rotation is then refused (values may be
// sealed under the new version).
func TestServeAcceptsRotatedKeyringAndRecordsIt(t *testing.T) {
	dir, vid := sealedDataDir(t)
	path, before := rotateKeyring(t, dir)
	n := startNode(t, dir, "127.0.0.1:0")
	tn := tenant{owner: n.login("owner@acme.test", "correct horse battery")}
	if v := n.getVisitor(tn, vid); v.Name != canaries("4242").name {
		t.Fatalf("visitor after rotation: %+v", v)
	}
	n.stop()
	if got, want := storedFingerprint(t, dir), loadFingerprint(t, path); got != want {
		t.Fatalf("recorded %q after rotation, want %q", got, want)
	}
	if err := os.WriteFile(path, before, 0o600); err != nil {
		t.Fatal(err)
	}
	if errOut := serveRefused(t, dir); !strings.Contains(errOut, "pii/2") {
		t.Errorf("the pre-rotation keyring: %q, want the missing pii/2 named", errOut)
	}
}

// A fresh data directory gets a new keyring, whose fingerprint the store
// records; data from before fingerprints (a keyring, no record) starts and
// records the keyring's.
func TestServeRecordsFingerprintOfNewAndExistingKeyrings(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0")
	n.stop()
	path := filepath.Join(dir, "secrets", "keyring.json")
	if got, want := storedFingerprint(t, dir), loadFingerprint(t, path); got != want {
		t.Fatalf("fresh data dir: recorded %q, want %q", got, want)
	}

	dir, vid := sealedDataDir(t)
	deleteFingerprint(t, dir)
	n = startNode(t, dir, "127.0.0.1:0")
	tn := tenant{owner: n.login("owner@acme.test", "correct horse battery")}
	if v := n.getVisitor(tn, vid); v.Name != canaries("4242").name {
		t.Fatalf("visitor of pre-fingerprint data: %+v", v)
	}
	n.stop()
	if got, want := storedFingerprint(t, dir), loadFingerprint(t, filepath.Join(dir, "secrets", "keyring.json")); got != want {
		t.Fatalf("pre-fingerprint data: recorded %q, want %q", got, want)
	}
}

func loadFingerprint(t *testing.T, path string) security.KeyringFingerprint {
	t.Helper()
	k, err := security.LoadKeyringFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k.Fingerprint()
}

func storedFingerprint(t *testing.T, dir string) security.KeyringFingerprint {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.Meta(context.Background(), storage.MetaKeyringFingerprint)
	if err != nil {
		t.Fatal(err)
	}
	return security.KeyringFingerprint(v)
}

// deleteFingerprint makes dir look like a store from before fingerprints.
func deleteFingerprint(t *testing.T, dir string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM meta"); err != nil {
		t.Fatal(err)
	}
}

// On MongoDB, whose database the nodes share, the same check applies at
// start: a node with another keyring (here from HELPR_KEYRING) is refused,
// one with the store's keyring starts.
func TestServeOnMongoRefusesAnotherKeyring(t *testing.T) {
	uri, db := testsvc.MongoURI(t), testsvc.MongoDatabase(t)
	onMongo := func(c *Config) { c.Store, c.MongoURI, c.MongoDatabase = "mongo", uri, db }
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0", onMongo)
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	vid, _ := n.newVisitor(tn, canaries("6060"))
	n.stop()
	recorded := loadFingerprint(t, filepath.Join(dir, "secrets", "keyring.json"))

	other, err := security.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := other.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), KeyringJSON: string(doc)}
	onMongo(&cfg)
	cfg.defaults()
	if a, err := newApp(context.Background(), cfg, zerolog.Nop()); err == nil {
		_ = a.close()
		t.Fatal("a node with another keyring started on the shared database")
	} else if !strings.Contains(err.Error(), "HELPR_KEYRING") || !strings.Contains(err.Error(), recorded.ID()) ||
		!strings.Contains(err.Error(), other.Fingerprint().ID()) {
		t.Fatalf("refusal %q does not name the keyring and both fingerprints", err)
	}
	// A node on an empty data directory (no keyring file) is refused too:
	// it must not create one over the shared sealed data.
	empty := t.TempDir()
	cfg.DataDir, cfg.KeyringJSON = empty, ""
	if a, err := newApp(context.Background(), cfg, zerolog.Nop()); err == nil {
		_ = a.close()
		t.Fatal("a node without a keyring started on the shared database")
	}
	if _, err := os.Stat(filepath.Join(empty, "secrets", "keyring.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a keyring was created over the shared sealed data: %v", err)
	}

	n = startNode(t, dir, "127.0.0.1:0", onMongo)
	tn.owner = n.login("owner@acme.test", "correct horse battery")
	if v := n.getVisitor(tn, vid); v.Name != canaries("6060").name {
		t.Fatalf("visitor with the store's keyring: %+v", v)
	}
}

// `keys reencrypt` right after a rotation seals under the new version, so
// it records the rotated keyring's fingerprint: the pre-rotation keyring is
// refused afterwards even though no server started in between.
func TestReencryptRecordsRotatedFingerprint(t *testing.T) {
	dir, _ := sealedDataDir(t)
	path, before := rotateKeyring(t, dir)
	if out, code := helpr(t, "keys", "reencrypt", "--data-dir", dir); code != 0 || !strings.Contains(out, "re-encrypted 1") {
		t.Fatalf("keys reencrypt: %d %s", code, out)
	}
	if got, want := storedFingerprint(t, dir), loadFingerprint(t, path); got != want {
		t.Fatalf("recorded %q after reencrypt, want %q", got, want)
	}
	if err := os.WriteFile(path, before, 0o600); err != nil {
		t.Fatal(err)
	}
	serveRefused(t, dir)
}

// rotateKeyring rotates the data directory's keyring with `keys rotate`
// and returns the keyring file's path and its content from before.
func rotateKeyring(t *testing.T, dir string) (path string, before []byte) {
	t.Helper()
	path = filepath.Join(dir, "secrets", "keyring.json")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out, code := helpr(t, "keys", "rotate", "--data-dir", dir); code != 0 {
		t.Fatalf("keys rotate: %d %s", code, out)
	}
	return path, before
}
