// Command ferretdb runs an embedded FerretDB v1 (a MongoDB wire-protocol
// server over SQLite) for helpr's tests. It lives in its own module so that
// FerretDB's dependencies stay out of helpr's go.mod; internal/testsvc
// builds and starts it.
//
// It listens on -addr (a free loopback port by default), keeps its data in
// -dir, prints the MongoDB URI as the first and only line of its standard
// output, and runs until SIGTERM or SIGINT arrives or its standard input
// closes — so a test binary that dies, closing the pipe, never leaves it
// behind. With -remove it deletes -dir when it stops. Logs (warnings and
// errors only) go to standard error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	dir := flag.String("dir", "", "directory holding the SQLite data (required; created if missing)")
	addr := flag.String("addr", "127.0.0.1:0", "TCP listen address")
	remove := flag.Bool("remove", false, "remove -dir when stopping")
	flag.Parse()
	if err := run(*dir, *addr, *remove); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb launcher:", err)
		os.Exit(1)
	}
}

func run(dir, addr string, remove bool) error {
	if dir == "" {
		return errors.New("-dir is required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return err
	}
	if remove {
		defer os.RemoveAll(abs)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() { // stdin closing means the parent is gone
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	return serve(ctx, abs, addr)
}

func serve(ctx context.Context, dir, addr string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}).String(),
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	// MongoDBURI waits until the listener is ready.
	if _, err := fmt.Println(f.MongoDBURI()); err != nil {
		return err
	}
	return <-done
}
