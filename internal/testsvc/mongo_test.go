package testsvc

import (
	"context"
	"errors"
	"os"
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
	l, err := startLauncher(bin)
	if err != nil {
		t.Fatalf("start launcher: %v", err)
	}
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
}
