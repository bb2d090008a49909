package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// restoreCmd runs `helpr restore`: it puts a backup in place of the
// embedded store of a stopped server, once the backup passed its integrity
// check and the available keyring covers the backup's recorded fingerprint.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	c, o, err := parseBackupFlags("restore", args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.from == "" {
		return errors.New("--from FILE is required\n\n" + backupUsage)
	}
	if _, err := claimPIDFile(c.PIDFile); err != nil {
		return fmt.Errorf("stop the server before restoring: %w", err)
	}
	info, err := sqlite.Inspect(ctx, o.from)
	if err != nil {
		return fmt.Errorf("the backup: %w", err)
	}
	src := keyringSourceOf(c)
	if err := backupKeyringMatches(info, src); err != nil {
		return err
	}
	db := filepath.Join(c.DataDir, "helpr.db")
	if err := refuseNonEmpty(ctx, db, o.force); err != nil {
		return err
	}
	if err := replaceFile(o.from, db); err != nil {
		return fmt.Errorf("restore %s: %w", db, err)
	}
	if err := openRestored(ctx, c, src); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s: %d organizations, %d visitors, %s; start helpr serve\n",
		db, o.from, info.Organizations, info.Visitors, describeFingerprint(info.KeyringFingerprint))
	return nil
}

// backupKeyringMatches refuses a backup without a recorded fingerprint and
// one the keyring of src does not cover.
func backupKeyringMatches(info sqlite.FileInfo, src keyringSource) error {
	if info.KeyringFingerprint == "" {
		return fmt.Errorf("the backup records no keyring fingerprint, so the keyring cannot be checked against it; start helpr serve once on a copy of it with its keyring (see %s)", backupDoc)
	}
	k, err := src.load()
	if err != nil {
		return fmt.Errorf("restore needs the keyring the backup was sealed with (%s): %w; restore the keyring first (see %s)",
			describeFingerprint(info.KeyringFingerprint), err, backupDoc)
	}
	recorded := security.KeyringFingerprint(info.KeyringFingerprint)
	if err := k.Fingerprint().Covers(recorded); err != nil {
		return fmt.Errorf("refusing to restore: keyring %s does not match the backup: %w; restore the backup's keyring first (see %s)",
			src, err, backupDoc)
	}
	return nil
}

// refuseNonEmpty refuses to replace a store holding organizations or
// visitors (or one that does not pass its check) unless force is set.
func refuseNonEmpty(ctx context.Context, db string, force bool) error {
	if force {
		return nil
	}
	cur, err := sqlite.Inspect(ctx, db)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%w; --force replaces it anyway", err)
	case cur.Organizations > 0 || cur.Visitors > 0:
		return fmt.Errorf("%s holds %d organizations and %d visitors; --force replaces them with the backup", db, cur.Organizations, cur.Visitors)
	}
	return nil
}

// replaceFile copies from to a private temporary file next to db, syncs
// it, removes db's stale -wal and -shm files (which would otherwise be
// applied to the restored file) and renames the copy over db.
func replaceFile(from, db string) error {
	dir := filepath.Dir(db)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".helpr-restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	in, err := os.Open(from)
	if err != nil {
		_ = tmp.Close()
		return err
	}
	_, err = io.Copy(tmp, in)
	err = errors.Join(err, in.Close(), tmp.Sync(), tmp.Close())
	if err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(db + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), db); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// openRestored opens the restored store (applying any pending migration)
// and checks the keyring against it once more.
func openRestored(ctx context.Context, c Config, src keyringSource) error {
	store, err := openStore(ctx, c, zerolog.Nop())
	if err != nil {
		return err
	}
	defer store.Close()
	k, err := src.load()
	if err != nil {
		return err
	}
	return checkKeyring(ctx, store, k, src)
}

// describeFingerprint names a recorded fingerprint in messages.
func describeFingerprint(fp string) string {
	if fp == "" {
		return "no keyring fingerprint recorded"
	}
	return "keyring fingerprint " + security.KeyringFingerprint(fp).ID()
}
