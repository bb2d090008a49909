package testsvc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// connect returns a client of uri, disconnected at cleanup.
func connect(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second))
	if err != nil {
		t.Fatalf("connect %s: %v", uri, err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

func TestMongoURIServesAndDatabasesAreDropped(t *testing.T) {
	uri := MongoURI(t)
	if again := MongoURI(t); again != uri {
		t.Errorf("second MongoURI = %q, want the shared %q", again, uri)
	}
	c := connect(t, uri)
	var name string
	t.Run("db", func(t *testing.T) {
		name = MongoDatabase(t)
		if other := MongoDatabase(t); other == name {
			t.Errorf("two MongoDatabase calls returned %q", name)
		}
		coll := c.Database(name).Collection("things")
		if _, err := coll.InsertOne(t.Context(), bson.D{{Key: "_id", Value: "a"}}); err != nil {
			t.Fatalf("insert: %v", err)
		}
	})
	names, err := c.ListDatabaseNames(t.Context(), bson.D{})
	if err != nil {
		t.Fatalf("list databases: %v", err)
	}
	for _, n := range names {
		if n == name {
			t.Errorf("database %s still exists after its test ended", name)
		}
	}
}

func TestDatabaseNameIsValid(t *testing.T) {
	for _, test := range []string{"TestX", "TestConformance/Sub-Test/#01", strings.Repeat("Long/", 40)} {
		n := databaseName(test)
		if len(n) > 63 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("databaseName(%q) = %q: not a short name of [a-z0-9_]", test, n)
		}
	}
}

// TestLauncherStopsWhenStdinCloses starts a second launcher, checks it
// serves, closes its standard input (as a dying test binary would) and
// waits for it to exit and remove its data directory.
func TestLauncherStopsWhenStdinCloses(t *testing.T) {
	if os.Getenv("HELPR_TEST_MONGO_URI") != "" {
		t.Skip("HELPR_TEST_MONGO_URI is set: the launcher is not used")
	}
	MongoURI(t) // skips or fails like every other test when it cannot build
	bin, err := buildLauncher()
	if err != nil {
		t.Fatalf("build launcher: %v", err)
	}
	args := backendArgs(os.Getenv(postgresEnv))
	l, err := startLauncher(bin, args...)
	if err != nil {
		t.Fatalf("start launcher: %v", err)
	}
	t.Logf("launcher on %s", l.backend)
	if err := connect(t, l.uri).Ping(t.Context(), nil); err != nil {
		t.Fatalf("ping %s: %v", l.uri, err)
	}
	if err := l.stdin.Close(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		_, err := l.proc.Wait()
		exited <- err
	}()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("wait for launcher: %v", err)
		}
	case <-time.After(time.Minute): // deadlock guard
		_ = l.proc.Kill()
		t.Fatal("launcher still running a minute after its stdin closed")
	}
	if _, err := os.Stat(l.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory %s after exit: %v, want it removed", l.dir, err)
	}
	checkPostgresDropped(t, l.backend, args)
}

// checkPostgresDropped checks with psql, when the launcher served from
// PostgreSQL and psql is installed, that its database is gone.
func checkPostgresDropped(t *testing.T, backend string, args []string) {
	t.Helper()
	fields := strings.Fields(backend) // postgresql database NAME on HOST:PORT
	if len(fields) < 3 || fields[0] != "postgresql" {
		return
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Logf("psql not installed: not checking that database %s was dropped", fields[2])
		return
	}
	query := fmt.Sprintf("SELECT count(*) FROM pg_database WHERE datname = '%s'", fields[2])
	out, err := exec.CommandContext(t.Context(), psql, "-X", "-Atc", query, args[1]).CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if n := strings.TrimSpace(string(out)); n != "0" {
		t.Errorf("database %s: count %s after the launcher exited, want it dropped", fields[2], n)
	}
}

// TestLauncherFallsBackToSQLite points the launcher at a loopback port
// nobody listens on: with -fallback it serves from SQLite, without it it
// fails to start.
func TestLauncherFallsBackToSQLite(t *testing.T) {
	if os.Getenv("HELPR_TEST_MONGO_URI") != "" {
		t.Skip("HELPR_TEST_MONGO_URI is set: the launcher is not used")
	}
	MongoURI(t)
	bin, err := buildLauncher()
	if err != nil {
		t.Fatalf("build launcher: %v", err)
	}
	dead := "postgres://postgres@" + closedLoopbackAddr(t) + "/postgres?sslmode=disable"
	l, err := startLauncher(bin, "-postgres", dead, "-fallback")
	if err != nil {
		t.Fatalf("start launcher with -fallback: %v", err)
	}
	t.Cleanup(func() { _ = l.stdin.Close(); _, _ = l.proc.Wait() })
	if !strings.HasPrefix(l.backend, "sqlite ") {
		t.Errorf("backend = %q, want sqlite", l.backend)
	}
	if err := connect(t, l.uri).Ping(t.Context(), nil); err != nil {
		t.Errorf("ping %s: %v", l.uri, err)
	}
	if l, err := startLauncher(bin, "-postgres", dead); err == nil {
		_ = l.stdin.Close()
		_, _ = l.proc.Wait()
		t.Errorf("launcher without -fallback started on %s, want an error", l.backend)
	}
}

// closedLoopbackAddr returns a loopback address that was free a moment ago.
func closedLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestBackendArgs(t *testing.T) {
	for env, want := range map[string]string{
		"":                                "-postgres " + postgresProbeURL + " -fallback",
		"sqlite":                          "",
		" OFF ":                           "",
		"postgres://u:p@127.0.0.1:6543/x": "-postgres postgres://u:p@127.0.0.1:6543/x",
	} {
		if got := strings.Join(backendArgs(env), " "); got != want {
			t.Errorf("backendArgs(%q) = %q, want %q", env, got, want)
		}
	}
}
