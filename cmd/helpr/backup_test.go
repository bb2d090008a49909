package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage/sqlite"
)

// `helpr backup` copies the store of a running server that keeps writing:
// the copy passes its integrity check, holds the rows written before it
// and the keyring fingerprint, and the command says the keyring is not in
// it. It never overwrites a file.
func TestBackupWhileServerWrites(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0", func(c *Config) {
		c.Limits.VisitorSessionsPerIP, c.Limits.VisitorSessionsPerWidget = "off", "off"
	})
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	for i := range 5 {
		n.newVisitor(tn, canaries(fmt.Sprintf("%04d", i)))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // visitors keep arriving during the backup
		defer wg.Done()
		for i := 100; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if code := n.call("POST", "/rest/v1/visitor/sessions", "", map[string]any{
				"publishable_key": tn.widgetKey, "name": "Writer " + strconv.Itoa(i),
			}, nil, "Origin", tn.origin); code != http.StatusCreated {
				t.Errorf("visitor session during the backup: status %d", code)
				return
			}
		}
	}()
	out := filepath.Join(t.TempDir(), "helpr-backup.db")
	code, stdout, stderr := runCLI(t, "backup", "--data-dir", dir, "--out", out)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d, %s", code, stderr)
	}
	keyring := filepath.Join(dir, "secrets", "keyring.json")
	fp := loadFingerprint(t, keyring)
	for _, want := range []string{"NOT in this backup", keyring, fp.ID(), "docs/backup.md"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("backup output %q lacks %q", stdout, want)
		}
	}
	info, err := sqlite.Inspect(t.Context(), out)
	if err != nil || info.Organizations != 1 || info.Visitors < 5 || info.KeyringFingerprint != string(fp) {
		t.Fatalf("backup holds %+v, %v; want 1 org, 5+ visitors, the keyring's fingerprint", info, err)
	}
	if b, err := os.ReadFile(out); err != nil || strings.Contains(string(b), `"secret"`) {
		t.Fatalf("the backup holds keyring material (or cannot be read: %v)", err)
	}
	if code, _, stderr := runCLI(t, "backup", "--data-dir", dir, "--out", out); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("backup over an existing file: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "backup", "--store", "mongo", "--out", out+"2"); code != 1 || !strings.Contains(stderr, "mongodump") {
		t.Fatalf("backup with --store mongo: exit %d, %s", code, stderr)
	}
}

// A backup restored into a new data directory with the right keyring
// serves the same data; restore refuses another keyring, a missing one, a
// store that holds data (without --force) and a running server.
func TestRestoreChecksKeyringAndRoundTrips(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	pii := canaries("5150")
	vid, _ := n.newVisitor(tn, pii)
	out := filepath.Join(t.TempDir(), "b.db")
	if code, _, stderr := runCLI(t, "backup", "--data-dir", dir, "--out", out); code != 0 {
		t.Fatalf("backup: %s", stderr)
	}
	n.stop()
	keyring := filepath.Join(dir, "secrets", "keyring.json")
	fp := loadFingerprint(t, keyring)

	// Another keyring: refused, naming both, and nothing written.
	other := t.TempDir()
	if out, code := helpr(t, "keys", "generate", "--data-dir", other); code != 0 {
		t.Fatal(out)
	}
	code, _, stderr := runCLI(t, "restore", "--data-dir", other, "--from", out)
	otherFP := loadFingerprint(t, filepath.Join(other, "secrets", "keyring.json"))
	if code != 1 || !strings.Contains(stderr, fp.ID()) || !strings.Contains(stderr, otherFP.ID()) {
		t.Fatalf("restore with another keyring: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(other, "helpr.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused restore wrote the store: %v", err)
	}
	// No keyring at all: refused.
	if code, _, stderr := runCLI(t, "restore", "--data-dir", t.TempDir(), "--from", out); code != 1 || !strings.Contains(stderr, "keyring") {
		t.Fatalf("restore without a keyring: exit %d, %s", code, stderr)
	}

	// The right keyring, restored separately: the data reads again.
	fresh := t.TempDir()
	copyKeyring(t, keyring, filepath.Join(fresh, "secrets", "keyring.json"))
	if code, stdout, stderr := runCLI(t, "restore", "--data-dir", fresh, "--from", out); code != 0 || !strings.Contains(stdout, "restored") {
		t.Fatalf("restore: exit %d, %s %s", code, stdout, stderr)
	}
	n = startNode(t, fresh, "127.0.0.1:0")
	tn.owner = n.login("owner@acme.test", "correct horse battery")
	if v := n.getVisitor(tn, vid); v.Name != pii.name || v.Email != pii.email || v.Phone != pii.phone {
		t.Fatalf("restored visitor reads %+v", v)
	}
	n.stop()

	// Over a store with data: refused without --force, done with it.
	if code, _, stderr := runCLI(t, "restore", "--data-dir", fresh, "--from", out); code != 1 || !strings.Contains(stderr, "--force") {
		t.Fatalf("restore over data: exit %d, %s", code, stderr)
	}
	pid := filepath.Join(t.TempDir(), "helpr.pid")
	if err := os.WriteFile(pid, []byte(strconv.Itoa(os.Getppid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "restore", "--data-dir", fresh, "--from", out, "--force", "--pid-file", pid); code != 1 || !strings.Contains(stderr, "stop the server") {
		t.Fatalf("restore while the server runs: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "restore", "--data-dir", fresh, "--from", out, "--force"); code != 0 {
		t.Fatalf("restore --force: exit %d, %s", code, stderr)
	}
	for _, f := range []string{"helpr.db-wal", "helpr.db-shm"} {
		if _, err := os.Stat(filepath.Join(fresh, f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left after restore: %v", f, err)
		}
	}
}

func copyKeyring(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// `helpr help` lists backup and restore; their --help prints the usage.
func TestHelpListsBackupAndRestore(t *testing.T) {
	_, out, _ := runCLI(t, "help")
	for _, want := range []string{"helpr backup --out", "helpr restore --from", "docs/backup.md"} {
		if !strings.Contains(out, want) {
			t.Errorf("helpr help lacks %q:\n%s", want, out)
		}
	}
	for _, cmd := range []string{"backup", "restore"} {
		code, out, errOut := runCLI(t, cmd, "--help")
		if code != 0 || errOut != "" || !strings.Contains(out, "keyring") || !strings.Contains(out, "--data-dir") {
			t.Errorf("%s --help: exit %d, %q %q", cmd, code, out, errOut)
		}
	}
}
