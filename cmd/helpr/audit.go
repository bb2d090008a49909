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

	"github.com/helpr-chat/helpr/storage"
)

const auditUsage = `Usage:
  helpr audit verify [--data-dir D] [--store mongo --mongo-uri U --mongo-db N]

verify checks the audit hash chain of every organisation (docs/security.md,
"Audit trail") and prints "audit chain OK: N events in M organisations", or the
first broken link ("audit chain broken: org X seq N event ID: reason") and exits
with status 1. It reads the store as it is, without the keyring; the server may
keep running.
`

// errAuditBroken is auditCmd's answer when a chain is broken (after it
// printed the broken link): exit status 1, nothing more to say.
var errAuditBroken = errors.New("audit chain broken")

// auditCmd runs `helpr audit …`.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing audit subcommand\n\n" + auditUsage)
	}
	if isHelpArg(args[0]) {
		fmt.Fprint(stdout, auditUsage)
		return nil
	}
	if args[0] != "verify" {
		return fmt.Errorf("unknown audit subcommand %q\n\n%s", args[0], auditUsage)
	}
	var c Config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	storeFlags(fs, &c)
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		writeFlagsHelp(stdout, auditUsage, fs)
		return nil
	} else if err != nil {
		return fmt.Errorf("%w\n\n%s", err, auditUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n\n%s", fs.Arg(0), auditUsage)
	}
	if err := applyEnv(fs, getenv); err != nil {
		return err
	}
	c.defaults()
	return auditVerify(ctx, c, stdout)
}

// auditVerify opens the configured store and verifies every chain.
func auditVerify(ctx context.Context, c Config, stdout io.Writer) error {
	if c.Store != "mongo" {
		db := filepath.Join(c.DataDir, "helpr.db")
		if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no store at %s (give --data-dir, or --store mongo)", db)
		}
	}
	store, err := openStore(ctx, c, zerolog.Nop())
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := storage.VerifyAuditChains(ctx, store)
	if err != nil {
		return err
	}
	if v.Break != nil {
		fmt.Fprintf(stdout, "audit chain broken: %v\n", v.Break)
		return errAuditBroken
	}
	fmt.Fprintf(stdout, "audit chain OK: %d events in %d organisations\n", v.Events, v.Orgs)
	return nil
}
