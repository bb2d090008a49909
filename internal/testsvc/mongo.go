package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// dropTimeout bounds dropping a test database at cleanup (a deadlock
// guard).
const dropTimeout = 30 * time.Second

// ferret is the FerretDB launcher shared by every test of the binary. Its
// standard input is never closed: the launcher exits when the test binary
// does and the kernel closes the pipe. Holding it here keeps the garbage
// collector from closing it earlier.
var ferret struct {
	once    sync.Once
	l       *launcher
	err     error
	missing bool // err means the launcher could not be built, not that it failed
}

// MongoURI returns HELPR_TEST_MONGO_URI when it is set (a real mongod, say),
// or else the URI of a FerretDB launcher process shared by the test binary:
// built once into the Go build cache, started once on a free 127.0.0.1
// port, stopped when the test binary exits. The launcher serves from a
// fresh database on a local PostgreSQL when one is usable and from SQLite
// otherwise (HELPR_TEST_POSTGRES_URL chooses: see postgresEnv); the first
// test to call MongoURI logs which. When the launcher cannot be
// built it fails the test if the CI environment variable is set and skips
// it otherwise; a launcher that builds but does not start fails the test.
func MongoURI(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("HELPR_TEST_MONGO_URI"); u != "" {
		return u
	}
	ferret.once.Do(func() {
		bin, err := buildLauncher()
		if err != nil {
			ferret.err, ferret.missing = err, true
			return
		}
		ferret.l, ferret.err = startLauncher(bin, backendArgs(os.Getenv(postgresEnv))...)
		if ferret.err == nil {
			t.Logf("testsvc: FerretDB on %s at %s", ferret.l.backend, ferret.l.uri)
		}
	})
	switch {
	case ferret.err == nil:
		return ferret.l.uri
	case ferret.missing:
		mongoMissing(t, fmt.Sprintf("no MongoDB-wire server: %v", ferret.err))
	default:
		t.Fatalf("testsvc: start FerretDB: %v", ferret.err)
	}
	return ""
}

// MongoDatabase returns a fresh database name for this test, unique across
// tests and runs, and drops that database on the MongoURI server at
// t.Cleanup (a failed drop is logged, not fatal).
func MongoDatabase(t testing.TB) string {
	t.Helper()
	uri := MongoURI(t)
	name := databaseName(t.Name())
	t.Cleanup(func() {
		if err := dropDatabase(uri, name); err != nil {
			t.Logf("testsvc: drop database %s: %v", name, err)
		}
	})
	return name
}

// databaseName builds a valid database name (letters, digits and
// underscores, at most 63 bytes) from a test name and 64 random bits.
func databaseName(test string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var clean strings.Builder
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			clean.WriteRune(r)
		default:
			clean.WriteByte('_')
		}
		if clean.Len() == 36 {
			break
		}
	}
	return "t_" + clean.String() + "_" + hex.EncodeToString(b[:])
}

// dropDatabase drops database name on the server at uri.
func dropDatabase(uri, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return err
	}
	err = client.Database(name).Drop(ctx)
	return errors.Join(err, client.Disconnect(ctx))
}

// mongoMissing fails the test in CI (the CI variable is set) and skips it
// elsewhere, saying why.
func mongoMissing(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("testsvc: %s (CI is set: tests needing this service must not skip)", reason)
	}
	t.Skipf("testsvc: %s", reason)
}
