// Command helpr is the helpr live-chat hub: `helpr serve` runs a whole site
// on the embedded store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…"; left at
// "dev", buildVersion falls back to the module version Go records.
var version = "dev"

const usage = `helpr — a self-hostable, security-first live-chat hub

Usage:
  helpr serve [flags]      start the server (helpr serve --help lists the flags)
  helpr keys ...           manage the encryption keyring (helpr keys --help for details)
  helpr backup --out F     copy the embedded store while it serves; never the keyring
  helpr restore --from F   put a backup in place of a stopped server's store
                           (helpr backup --help; see docs/backup.md)
  helpr audit verify       check the audit trail's hash chains; exit 1 at the first broken link
  helpr version            print the version (also helpr --version)
  helpr help               show this text
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for a usage error.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], getenv, stdout, stderr)
	case "keys":
		if err := keysCmd(context.Background(), args[1:], getenv, stdout); err != nil {
			fmt.Fprintf(stderr, "helpr keys: %v\n", err)
			return 1
		}
		return 0
	case "backup", "restore":
		cmd := backupCmd
		if args[0] == "restore" {
			cmd = restoreCmd
		}
		if err := cmd(context.Background(), args[1:], getenv, stdout); err != nil {
			fmt.Fprintf(stderr, "helpr %s: %v\n", args[0], err)
			return 1
		}
		return 0
	case "audit":
		err := auditCmd(context.Background(), args[1:], getenv, stdout)
		if err != nil && !errors.Is(err, errAuditBroken) {
			fmt.Fprintf(stderr, "helpr audit: %v\n", err)
		}
		if err != nil {
			return 1
		}
		return 0
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "helpr", buildVersion())
		return 0
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "helpr: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// runServe runs `helpr serve` until SIGINT or SIGTERM, then shuts down
// gracefully and returns 0.
func runServe(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseServeFlags(args, getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		writeServeHelp(stdout)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "helpr serve: %v\n(helpr serve --help lists the flags)\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "helpr serve: %v\n", err)
		return 1
	}
	return 0
}

// buildVersion is the version set at build time, else the module version
// Go derived from the VCS when it built the binary, else "dev".
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}
