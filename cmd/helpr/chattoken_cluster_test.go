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

// Two real `helpr serve` processes share Redis, a MongoDB-wire server and
// the keyring: a chat token issued on node A authenticates sockets on
// both nodes (the signing key derives from the shared keyring), and
// invalidating the user on node A closes its socket on node B (and on A)
// within the revocation bound; the old token is refused everywhere after.
func TestClusterChatTokenInvalidationClosesRemoteSockets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rds := testsvc.NewRedis(t)
	data := t.TempDir()
	args := []string{"--data-dir", data, "--store", "mongo", "--mongo-uri", testsvc.MongoURI(t),
		"--mongo-db", testsvc.MongoDatabase(t), "--redis-url", rds.URL(),
		"--public-url", "http://hub.acme.test"} // the nodes' shared origin: the tokens' iss
	a := startProc(t, "n1", freeAddr(t), args...).asNode()
	b := startProc(t, "n2", freeAddr(t), args...).asNode()
	tn := a.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")

	var key struct{ ID, Key string }
	if code := a.call("POST", "/rest/v1/api-keys", tn.owner.AccessToken,
		map[string]any{"name": "backend", "scopes": []string{"visitors:read"}}, &key); code != http.StatusCreated {
		t.Fatalf("create api key: %d", code)
	}
	var issued struct {
		Token          string `json:"token"`
		CustomerUserID string `json:"customerUserId"`
	}
	if code := a.call("POST", "/rest/v1/auth/token", "", map[string]any{"keyId": key.ID, "keySecret": key.Key,
		"user": map[string]any{"id": "user-1", "name": "Grace"}, "expiresIn": "1h"}, &issued); code != http.StatusOK {
		t.Fatalf("issue chat token on node A: %d", code)
	}
	opts := client.Options{Token: issued.Token, AuthFrame: true, WidgetKey: tn.widgetKey, Origin: tn.origin}
	onB := b.dial(ctx, opts)
	onA := a.dial(ctx, opts)

	var inv struct{ TokenVersion int64 }
	if code := a.call("POST", "/rest/v1/auth/invalidate-token", "", map[string]any{"keyId": key.ID,
		"keySecret": key.Key, "customerUserId": issued.CustomerUserID}, &inv); code != http.StatusOK || inv.TokenVersion != 2 {
		t.Fatalf("invalidate on node A: %d %+v", code, inv)
	}
	awaitRevokedClose(ctx, t, onB, "chat-token socket on node B")
	awaitRevokedClose(ctx, t, onA, "chat-token socket on node A")

	var refused struct {
		Error struct{ Code string } `json:"error"`
	}
	if code := b.call("POST", "/rest/v1/visitor/sessions", "", map[string]any{"publishable_key": tn.widgetKey,
		"token": issued.Token}, &refused, "Origin", tn.origin); code != http.StatusUnauthorized || refused.Error.Code != "invalid_token" {
		t.Fatalf("the invalidated token on node B: %d %+v", code, refused)
	}
	// On the socket too: the auth frame is refused with 4001.
	c, _, err := client.Dial(ctx, b.base, opts)
	if err != nil {
		t.Fatalf("dial node B: %v", err)
	}
	defer c.CloseNow()
	if code := closeCode(ctx, c); code != int(wire.CloseUnauthorized) {
		t.Fatalf("the invalidated token on node B's socket: close %d, want %d", code, wire.CloseUnauthorized)
	}
}
