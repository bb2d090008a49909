// Command helpr is the helpr live-chat hub: `helpr serve` runs a whole site
// on the embedded store.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `helpr — a self-hostable, security-first live-chat hub

Usage:
  helpr serve [flags]   start the server (helpr serve -h lists the flags)
  helpr keys ...        manage the encryption keyring (helpr keys for details)
  helpr version         print the version
  helpr help            show this text
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		cfg, err := parseServeFlags(args[1:], getenv)
		if err != nil {
			fmt.Fprintf(stderr, "helpr serve: %v\n", err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serve(ctx, cfg, stderr); err != nil {
			fmt.Fprintf(stderr, "helpr serve: %v\n", err)
			return 1
		}
		return 0
	case "keys":
		if err := keysCmd(context.Background(), args[1:], getenv, stdout); err != nil {
			fmt.Fprintf(stderr, "helpr keys: %v\n", err)
			return 1
		}
		return 0
	case "version":
		fmt.Fprintln(stdout, "helpr", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "helpr: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
