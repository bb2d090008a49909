package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// A backup taken while the store keeps writing is a consistent snapshot:
// it passes quick_check, opens as a store, holds the rows written before
// it and the keyring fingerprint, and is private to its owner.
func TestBackupWhileWriting(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t)
	defer s.Close()
	if _, err := s.SwapMeta(ctx, storage.MetaKeyringFingerprint, "", "fp"); err != nil {
		t.Fatal(err)
	}
	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := storage.NewID("org")
			err := s.CreateOrgWithOwner(context.Background(), storage.Organization{ID: id, Name: "o", CreatedAt: time.Now()},
				storage.Agent{ID: storage.NewID("agt"), Name: "a", Email: id + "@x.test", Role: storage.RoleOwner, PasswordHash: "h"})
			if err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
			written.Add(1)
		}
	}()
	for written.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	before := written.Load()
	out := filepath.Join(t.TempDir(), "backup.db")
	err := Backup(ctx, path, out)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup while writing: %v", err)
	}
	info, err := Inspect(ctx, out)
	if err != nil {
		t.Fatalf("inspect backup: %v", err)
	}
	if int64(info.Organizations) < before || int64(info.Organizations) > written.Load() || info.KeyringFingerprint != "fp" {
		t.Fatalf("backup holds %+v; %d orgs were written before it, %d in all", info, before, written.Load())
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode: %v %v", st.Mode(), err)
	}
	b, err := Open(ctx, out)
	if err != nil {
		t.Fatalf("open the backup as a store: %v", err)
	}
	if v, err := b.Meta(ctx, storage.MetaKeyringFingerprint); err != nil || v != "fp" {
		t.Errorf("backup meta: %q %v", v, err)
	}
	_ = b.Close()

	if err := Backup(ctx, path, out); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if err := Backup(ctx, filepath.Join(t.TempDir(), "none.db"), filepath.Join(t.TempDir(), "b.db")); err == nil {
		t.Fatal("backup of a missing store succeeded")
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Fatalf("backup left temporary files: %v", entries)
	}
}
