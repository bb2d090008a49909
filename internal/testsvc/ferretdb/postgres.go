package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/jackc/pgx/v5"
)

const (
	// pgSetupTimeout bounds connecting to PostgreSQL, sweeping stale
	// databases and creating the fresh one.
	pgSetupTimeout = 15 * time.Second
	// pgConnectTimeout bounds one connection attempt, so that a probe of
	// a port nobody answers on ends quickly.
	pgConnectTimeout = 3 * time.Second
	// pgDropTimeout bounds dropping the database at stop.
	pgDropTimeout = 30 * time.Second
	// pgStaleAge is the age after which an unused helpr_test_ database is
	// taken for the leftover of a killed launcher and dropped.
	pgStaleAge = 24 * time.Hour
	// pgDatabasePrefix starts the name of every database a launcher
	// creates.
	pgDatabasePrefix = "helpr_test_"
)

// postgresBackend creates a fresh database on the server of adminURL and
// returns a backend serving from it that drops it when closed.
func postgresBackend(ctx context.Context, logger *slog.Logger, adminURL string) (*backend, error) {
	ctx, cancel := context.WithTimeout(ctx, pgSetupTimeout)
	defer cancel()
	cfg, err := pgx.ParseConfig(withoutPoolParams(adminURL))
	if err != nil {
		return nil, fmt.Errorf("parse -postgres: %w", err)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > pgConnectTimeout {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sweepStale(ctx, logger, conn)
	name := newDatabaseName(time.Now())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	// Like mongod's default write concern (w:1, journal flushed in the
	// background), a commit returns before its WAL reaches the disk; the
	// URL's own synchronous_commit parameter, if any, still wins.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+name+" SET synchronous_commit = off"); err != nil {
		return nil, fmt.Errorf("configure database %s: %w", name, err)
	}
	serveURL, err := databaseURL(adminURL, name)
	if err != nil {
		return nil, err
	}
	return &backend{
		config: ferretdb.Config{Handler: "postgresql", PostgreSQLURL: serveURL},
		about:  fmt.Sprintf("backend postgresql database %s on %s:%d", name, cfg.Host, cfg.Port),
		close:  func(l *slog.Logger) { dropDatabase(l, cfg, name) },
	}, nil
}

// newDatabaseName returns helpr_test_<unix seconds>_<64 random bits>; the
// time lets sweepStale recognise leftovers.
func newDatabaseName(now time.Time) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s%d_%s", pgDatabasePrefix, now.Unix(), hex.EncodeToString(b[:]))
}

// databaseCreated parses the creation time out of a name made by
// newDatabaseName.
func databaseCreated(name string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, pgDatabasePrefix)
	if !ok {
		return time.Time{}, false
	}
	secs, _, ok := strings.Cut(rest, "_")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !ok || err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// defaultPoolMaxConns caps FerretDB's pool per launcher when the URL names
// no pool_max_conns: several test binaries run at once (go test -p) against
// one PostgreSQL whose default max_connections is 100, so FerretDB's own
// default of 50 per launcher could exhaust it. A load run against a single
// launcher should pass pool_max_conns=50 in the URL: with 20 a single helpr
// node under load starved waiting for a connection.
const defaultPoolMaxConns = "20"

// databaseURL is adminURL pointing at database name. Its pool_ parameters
// pass on to FerretDB's pool (pool_max_conns defaults to defaultPoolMaxConns).
func databaseURL(adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("-postgres must be a postgres:// URL (got %q)", adminURL)
	}
	u.Path = "/" + name
	q := u.Query()
	if q.Get("pool_max_conns") == "" {
		q.Set("pool_max_conns", defaultPoolMaxConns)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// withoutPoolParams drops the pool_ parameters (FerretDB's pool settings,
// which a single connection would send to the server as unknown settings)
// from a postgres:// URL; any other string is returned as it is.
func withoutPoolParams(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return rawURL
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// sweepStale drops helpr_test_ databases older than pgStaleAge that nobody
// is connected to: leftovers of launchers that were killed. Failures are
// logged; they do not stop the launcher.
func sweepStale(ctx context.Context, logger *slog.Logger, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database d
		WHERE datname LIKE 'helpr\_test\_%'
		AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`)
	if err != nil {
		logger.Warn("list stale test databases", "error", err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		logger.Warn("list stale test databases", "error", err)
		return
	}
	for _, name := range names {
		if created, ok := databaseCreated(name); ok && time.Since(created) > pgStaleAge {
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
				logger.Warn("drop stale test database", "database", name, "error", err)
			}
		}
	}
}

// dropDatabase drops database name, closing any connection still open to
// it (FerretDB closes its pool when Run returns; this is a guard).
func dropDatabase(logger *slog.Logger, cfg *pgx.ConnConfig, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), pgDropTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		logger.Error("drop test database: connect", "database", name, "error", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		logger.Error("drop test database", "database", name, "error", err)
	}
}
