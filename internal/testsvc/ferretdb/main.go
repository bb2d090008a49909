// Command ferretdb runs an embedded FerretDB v1 (a MongoDB wire-protocol
// server) for helpr's tests, over PostgreSQL when -postgres names a usable
// server and over SQLite otherwise. It lives in its own module so that
// FerretDB's dependencies stay out of helpr's go.mod; internal/testsvc
// builds and starts it.
//
// It listens on -addr (a free loopback port by default) and prints two lines
// on its standard output: the MongoDB URI, then the backend it chose
// ("backend postgresql database helpr_test_… on HOST:PORT" or "backend sqlite
// dir DIR"). It runs until SIGTERM or SIGINT arrives or its standard input
// closes — so a test binary that dies, closing the pipe, never leaves it
// behind. Logs (warnings and errors only) go to standard error.
//
// With -postgres URL (an administrative connection URL, such as
// postgres://postgres@127.0.0.1:5432/postgres) it creates a fresh database
// helpr_test_<time>_<random> on that server, serves FerretDB from it and
// drops it when it stops (the database commits asynchronously, as mongod
// acknowledges w:1 writes before its journal is flushed); with -fallback a PostgreSQL that cannot be reached
// or cannot create the database is logged and SQLite used instead. SQLite
// keeps its data in -dir; with -remove the launcher deletes -dir when it
// stops.
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

// options are the launcher's command-line settings.
type options struct {
	dir      string // SQLite data directory
	addr     string // TCP listen address
	remove   bool   // remove dir when stopping
	postgres string // administrative PostgreSQL URL; "" means SQLite
	fallback bool   // use SQLite when the PostgreSQL is not usable
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "", "directory holding the SQLite data (required; created if missing)")
	flag.StringVar(&o.addr, "addr", "127.0.0.1:0", "TCP listen address")
	flag.BoolVar(&o.remove, "remove", false, "remove -dir when stopping")
	flag.StringVar(&o.postgres, "postgres", "", "administrative PostgreSQL URL: serve from a fresh database there, dropped at stop")
	flag.BoolVar(&o.fallback, "fallback", false, "use SQLite when the -postgres server is not usable")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb launcher:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.dir == "" {
		return errors.New("-dir is required")
	}
	abs, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return err
	}
	if o.remove {
		defer os.RemoveAll(abs)
	}
	o.dir = abs
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() { // stdin closing means the parent is gone
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := chooseBackend(ctx, logger, o)
	if err != nil {
		return err
	}
	defer b.close(logger)
	return serve(ctx, logger, o.addr, b)
}

// backend is the storage FerretDB serves from.
type backend struct {
	config ferretdb.Config // Handler and its URL filled in
	about  string          // the second output line
	close  func(*slog.Logger)
}

// chooseBackend prepares PostgreSQL when o asks for it and it is usable,
// and SQLite otherwise (or when PostgreSQL fails and o.fallback is set).
func chooseBackend(ctx context.Context, logger *slog.Logger, o options) (*backend, error) {
	if o.postgres != "" {
		b, err := postgresBackend(ctx, logger, o.postgres)
		if err == nil || !o.fallback {
			return b, err
		}
		logger.Warn("PostgreSQL not usable; using SQLite", "error", err)
	}
	return sqliteBackend(o.dir), nil
}

// sqliteBackend serves from SQLite files in dir.
func sqliteBackend(dir string) *backend {
	return &backend{
		config: ferretdb.Config{
			Handler:   "sqlite",
			SQLiteURL: (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}).String(),
		},
		about: "backend sqlite dir " + dir,
		close: func(*slog.Logger) {},
	}
}

func serve(ctx context.Context, logger *slog.Logger, addr string, b *backend) error {
	cfg := b.config
	cfg.Listener = ferretdb.ListenerConfig{TCP: addr}
	cfg.Logger = logger
	f, err := ferretdb.New(&cfg)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	// MongoDBURI waits until the listener is ready.
	if _, err := fmt.Printf("%s\n%s\n", f.MongoDBURI(), b.about); err != nil {
		return err
	}
	return <-done
}
