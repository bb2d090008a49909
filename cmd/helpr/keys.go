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
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security"
)

const keysUsage = `Usage:
  helpr keys generate [--data-dir D] [--keyring-file F]     create a new keyring (refuses to overwrite)
  helpr keys list     [--data-dir D] [--keyring-file F]     list keys (never their secrets)
  helpr keys rotate   [--name pii] [...]                    add a new current version of a key
  helpr keys reencrypt [--batch 500] [--after ID] [...]     move stored values onto the current keys
  helpr keys retire   --name pii --version V [...]          drop an old version no value uses any more

After rotate, restart the servers so they write with the new version; reencrypt then
moves the remaining values, and retire removes the old key material.
`

// keysCmd runs `helpr keys …`: offline keyring maintenance. `helpr keys
// --help` and `helpr keys <subcommand> --help` print help to stdout.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing keys subcommand\n\n" + keysUsage)
	}
	if isHelpArg(args[0]) {
		fmt.Fprint(stdout, keysUsage)
		return nil
	}
	var c Config
	var o keysOptions
	fs := keysFlagSet(args[0], &c, &o)
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		writeKeysHelp(stdout, fs)
		return nil
	} else if err != nil {
		return fmt.Errorf("%w\n\n%s", err, keysUsage)
	}
	if err := applyEnv(fs, getenv); err != nil {
		return err
	}
	c.KeyringJSON = getenv("HELPR_KEYRING")
	c.defaults()
	src := keyringSourceOf(c)
	switch args[0] {
	case "generate":
		return keysGenerate(src, stdout)
	case "list":
		return keysList(src, stdout)
	case "rotate":
		return keysRotate(src, o.name, stdout)
	case "reencrypt":
		return keysReencrypt(ctx, c, src, o.after, o.batch, stdout)
	case "retire":
		return keysRetire(ctx, c, src, o.name, uint32(o.version), stdout)
	default:
		return fmt.Errorf("unknown keys subcommand %q\n\n%s", args[0], keysUsage)
	}
}

// keysOptions are the flags of the keys subcommands beyond the store's.
type keysOptions struct {
	name    string // key name (rotate, retire)
	version uint   // key version (retire)
	batch   int    // records per batch (reencrypt)
	after   string // resume after this record id (reencrypt)
}

// keysFlagSet declares the flags of `helpr keys <sub>` on c and o.
func keysFlagSet(sub string, c *Config, o *keysOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	storeFlags(fs, c)
	fs.StringVar(&o.name, "name", security.KeyPII, "key `name`: pii, blind-index or pseudonym")
	fs.UintVar(&o.version, "version", 0, "key version (retire)")
	fs.IntVar(&o.batch, "batch", 500, "records per batch (reencrypt)")
	fs.StringVar(&o.after, "after", "", "resume after this record `id` (reencrypt)")
	return fs
}

// isHelpArg reports whether arg asks for help.
func isHelpArg(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// writeKeysHelp prints the keys usage and the flags every subcommand takes.
func writeKeysHelp(w io.Writer, fs *flag.FlagSet) { writeFlagsHelp(w, keysUsage, fs) }

// writeFlagsHelp prints usage and the flags of fs.
func writeFlagsHelp(w io.Writer, usage string, fs *flag.FlagSet) {
	fmt.Fprint(w, usage)
	fmt.Fprint(w, "\nFlags (as in helpr serve, each can also be set by its HELPR_* variable):\n")
	fs.VisitAll(func(f *flag.Flag) {
		_, usage := flag.UnquoteUsage(f)
		if f.DefValue != "" && f.DefValue != "0" {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "  %-22s %s\n", flagSynopsis(f), usage)
	})
}

func keysGenerate(src keyringSource, out io.Writer) error {
	if src.json != "" {
		return errors.New("HELPR_KEYRING is set: unset it to generate a key file")
	}
	if _, err := security.LoadKeyringFile(src.path); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s already exists (or is unreadable); refusing to overwrite a keyring", src.path)
	}
	k, err := security.NewKeyring(time.Now())
	if err != nil {
		return err
	}
	if err := mkdirFor(src.path); err != nil {
		return err
	}
	if err := security.CreateKeyringFile(src.path, k); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; refusing to overwrite a keyring", src.path)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(out, "created keyring %s (mode 0600); back it up: without it, stored PII cannot be read\n", src.path)
	return nil
}

func keysList(src keyringSource, out io.Writer) error {
	k, err := src.load()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tCREATED\tSTATE")
	for _, name := range []string{security.KeyPII, security.KeyBlindIndex, security.KeyPseudonym} {
		for _, v := range k.Versions(name) {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", v.Name, v.Version, v.CreatedAt.UTC().Format(time.RFC3339), keyState(v))
		}
	}
	return tw.Flush()
}

func keyState(v security.KeyInfo) string {
	switch {
	case v.Current:
		return "current"
	case v.Retired:
		return "retired"
	default:
		return "read-only"
	}
}

func keysRotate(src keyringSource, name string, out io.Writer) error {
	k, err := src.load()
	if err != nil {
		return err
	}
	key, err := k.Rotate(name, time.Now())
	if err != nil {
		return err
	}
	if err := saveOrPrint(src, k, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s is now at version %d; restart the servers, then run `helpr keys reencrypt`\n", name, key.Version)
	return nil
}

func keysReencrypt(ctx context.Context, c Config, src keyringSource, after string, batch int, out io.Writer) error {
	k, err := src.load()
	if err != nil {
		return err
	}
	cipher, err := security.NewFieldCipher(k)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c, zerolog.New(out))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := guardKeyring(ctx, store, k, src); err != nil {
		return err
	}
	p, err := security.Reencrypt(ctx, store, cipher, after, batch, func(p security.ReencryptProgress) {
		fmt.Fprintf(out, "scanned %d, re-encrypted %d (last id %s)\n", p.Scanned, p.Reencrypted, p.LastID)
	})
	if err != nil {
		return fmt.Errorf("%w (resume with --after %s)", err, p.LastID)
	}
	fmt.Fprintf(out, "done: scanned %d, re-encrypted %d\n", p.Scanned, p.Reencrypted)
	return nil
}

func keysRetire(ctx context.Context, c Config, src keyringSource, name string, version uint32, out io.Writer) error {
	if version == 0 {
		return errors.New("--version is required")
	}
	k, err := src.load()
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c, zerolog.New(out))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := guardKeyring(ctx, store, k, src); err != nil {
		return err
	}
	n, err := security.CountSealedWith(ctx, store, name, version)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d stored values still use %s version %d; run `helpr keys reencrypt` first", n, name, version)
	}
	if err := k.Retire(name, version); err != nil {
		return err
	}
	if err := saveOrPrint(src, k, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "retired %s version %d\n", name, version)
	return nil
}

// saveOrPrint writes the keyring file, or prints the JSON when the keyring
// lives in HELPR_KEYRING (the operator stores it where that comes from).
func saveOrPrint(src keyringSource, k *security.Keyring, out io.Writer) error {
	if src.json == "" {
		return src.save(k)
	}
	b, err := k.Marshal()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "the keyring comes from HELPR_KEYRING; store this updated keyring there:\n%s\n", b)
	return nil
}

func mkdirFor(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	return nil
}
