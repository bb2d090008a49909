package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/helpr-chat/helpr/storage/sqlite"
)

const backupUsage = `Usage:
  helpr backup --out FILE [--data-dir D]                  copy the embedded store; the server may keep running
  helpr restore --from FILE [--data-dir D] [--force]      put a backup in place; the server must be stopped

A backup never holds the keyring: back up <data-dir>/secrets/keyring.json (or wherever
--keyring-file or HELPR_KEYRING takes it from) separately. restore refuses a backup whose
keyring fingerprint the available keyring does not match. See docs/backup.md; with
--store mongo use mongodump and mongorestore instead.
`

// mongoBackupHint answers backup and restore with --store mongo.
const mongoBackupHint = "with --store mongo, back up with mongodump and restore with mongorestore (see " + backupDoc + "); the keyring is backed up separately either way"

// backupOptions are the flags of backup and restore beyond the store's.
type backupOptions struct {
	out, from string
	force     bool
}

// backupFlagSet declares the flags of `helpr backup` or `helpr restore`.
func backupFlagSet(name string, c *Config, o *backupOptions) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	storeFlags(fs, c)
	if name == "backup" {
		fs.StringVar(&o.out, "out", "", "write the backup to this `file` (it must not exist)")
		return fs
	}
	fs.StringVar(&o.from, "from", "", "restore this backup `file`")
	fs.BoolVar(&o.force, "force", false, "replace a store that holds data")
	fs.StringVar(&c.PIDFile, "pid-file", "", "the server's --pid-file: restore refuses while it names a running process")
	return fs
}

// parseBackupFlags parses the flags of `helpr backup` or `helpr restore`
// and applies their HELPR_* variables. It returns flag.ErrHelp after
// printing help to stdout.
func parseBackupFlags(name string, args []string, getenv func(string) string, stdout io.Writer) (Config, backupOptions, error) {
	var c Config
	var o backupOptions
	fs := backupFlagSet(name, &c, &o)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		writeFlagsHelp(stdout, backupUsage, fs)
		return c, o, err
	} else if err != nil {
		return c, o, fmt.Errorf("%w\n\n%s", err, backupUsage)
	}
	if fs.NArg() > 0 {
		return c, o, fmt.Errorf("unexpected argument %q\n\n%s", fs.Arg(0), backupUsage)
	}
	if err := applyEnv(fs, getenv); err != nil {
		return c, o, err
	}
	c.KeyringJSON = getenv("HELPR_KEYRING")
	c.defaults()
	if c.Store == "mongo" {
		return c, o, errors.New(mongoBackupHint)
	}
	return c, o, nil
}

// backupCmd runs `helpr backup`: a consistent copy of the embedded store
// taken while the server keeps serving (sqlite.Backup), never the keyring.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	c, o, err := parseBackupFlags("backup", args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.out == "" {
		return errors.New("--out FILE is required\n\n" + backupUsage)
	}
	db := filepath.Join(c.DataDir, "helpr.db")
	if err := sqlite.Backup(ctx, db, o.out); err != nil {
		return err
	}
	info, err := sqlite.Inspect(ctx, o.out)
	if err != nil {
		return fmt.Errorf("check the backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s: %d organizations, %d visitors, %s\n",
		db, o.out, info.Organizations, info.Visitors, describeFingerprint(info.KeyringFingerprint))
	fmt.Fprintf(stdout, "the keyring is NOT in this backup: back up %s separately (see %s); without it the backup's PII cannot be read\n",
		keyringSourceOf(c), backupDoc)
	return nil
}
