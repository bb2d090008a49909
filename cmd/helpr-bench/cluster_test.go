package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// Two real helpr nodes share a MongoDB-wire store and Redis; every
// conversation's visitor is on one node and its agent on the other.
func TestClusterScenario(t *testing.T) {
	rds := testsvc.NewRedis(t)
	data := t.TempDir() // the nodes share the keyring
	args := []string{"--store", "mongo", "--mongo-uri", testsvc.MongoURI(t), "--mongo-db", testsvc.MongoDatabase(t),
		"--redis-url", rds.URL()}
	n1 := startHelpr(t, data, append(args, "--node-id", "n1")...)
	t.Cleanup(n1.stop)
	n2 := startHelpr(t, data, append(args, "--node-id", "n2")...)
	t.Cleanup(n2.stop)

	cfg, err := parseConfig("cluster", []string{"--target", n1.base + "," + n2.base, "--conversations", "3",
		"--rate", "30", "--duration", "1500ms", "--quiet", "--ack-timeout", "20s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := runBench(ctx, cfg, io.Discard, nil)
	if err != nil {
		t.Fatalf("cluster: %v\nn1:\n%s\nn2:\n%s", err, n1.logs.String(), n2.logs.String())
	}
	requireVerified(t, r)
	c := r.Counts
	if c.Connections != 6 || c.Sent < 10 || c.Acked != c.Sent || c.Delivered != c.Sent {
		t.Fatalf("cluster counts: %+v", c)
	}
	if r.Target != n1.base+","+n2.base {
		t.Fatalf("target %q", r.Target)
	}
}
