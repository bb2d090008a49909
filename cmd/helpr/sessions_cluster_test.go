package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Two real `helpr serve` processes share Redis and a MongoDB-wire server:
// revoking a session from the sessions list on node 1 closes that
// session's socket on node 2, and "sign out all other sessions" on node 2
// closes the other on node 1, within the documented revocation bound.
func TestClusterSessionRevocationClosesRemoteSockets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rds := testsvc.NewRedis(t)
	data := t.TempDir()
	args := []string{"--data-dir", data, "--store", "mongo", "--mongo-uri", testsvc.MongoURI(t),
		"--mongo-db", testsvc.MongoDatabase(t), "--redis-url", rds.URL()}
	r1 := startProc(t, "n1", freeAddr(t), args...).asNode()
	r2 := startProc(t, "n2", freeAddr(t), args...).asNode()
	tn := r1.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	laptop := tn.owner
	phone := r2.login("owner@acme.test", "correct horse battery")
	tablet := r1.login("owner@acme.test", "correct horse battery")

	phoneSock := r2.dial(ctx, client.Options{Token: phone.AccessToken})
	tabletSock := r1.dial(ctx, client.Options{Token: tablet.AccessToken})
	phoneID := sessionIDOf(t, r2, phone.AccessToken)

	if code := r1.call("DELETE", "/rest/v1/me/sessions/"+phoneID, laptop.AccessToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("revoke the phone's session on node 1: %d", code)
	}
	awaitRevokedClose(ctx, t, phoneSock, "phone socket on node 2")

	var out struct{ Revoked int }
	if code := r2.call("POST", "/rest/v1/me/sessions/revoke-others", laptop.AccessToken, nil, &out); code != http.StatusOK || out.Revoked != 1 {
		t.Fatalf("revoke-others on node 2: %d %+v, want the tablet", code, out)
	}
	awaitRevokedClose(ctx, t, tabletSock, "tablet socket on node 1")
	if code := r2.call("GET", "/rest/v1/me", laptop.AccessToken, nil, nil); code != http.StatusOK {
		t.Fatalf("the revoking session: %d", code)
	}
}

// sessionIDOf finds the caller's own session id in its session list.
func sessionIDOf(t *testing.T, n *node, token string) string {
	t.Helper()
	var list sessionList
	if code := n.call("GET", "/rest/v1/me/sessions", token, nil, &list); code != http.StatusOK {
		t.Fatalf("list sessions: %d", code)
	}
	for _, s := range list.Sessions {
		if s.Current {
			return s.ID
		}
	}
	t.Fatal("no current session in the list")
	return ""
}

// awaitRevokedClose waits, within revocationBound, for c to close with
// "session revoked".
func awaitRevokedClose(ctx context.Context, t *testing.T, c *client.Conn, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, revocationBound)
	defer cancel()
	if code := closeCode(ctx, c); code != int(wire.CloseSessionRevoked) {
		t.Fatalf("%s closed with %d, want %d (within %v)", what, code, wire.CloseSessionRevoked, revocationBound)
	}
}
