package main

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
	"github.com/helpr-chat/helpr/transport/ws"
)

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// refresh exchanges a refresh token and returns the status and answer.
func (n *node) refresh(rt string) (int, tokens, apiError) {
	n.t.Helper()
	var raw map[string]any
	code := n.call("POST", "/rest/v1/auth/refresh", "", map[string]string{"refresh_token": rt}, &raw)
	var tk tokens
	var ae apiError
	if code == http.StatusOK {
		tk.AccessToken, _ = raw["access_token"].(string)
		tk.RefreshToken, _ = raw["refresh_token"].(string)
	} else if e, ok := raw["error"].(map[string]any); ok {
		ae.Error.Code, _ = e["code"].(string)
	}
	return code, tk, ae
}

// Reusing a rotated refresh token within 60 s returns the same successor;
// after the grace window it revokes the whole family: its access tokens stop
// working and its open sockets are closed with "session revoked".
func TestRefreshReuseAfterGraceRevokesFamilyAndClosesSockets(t *testing.T) {
	ctx := testCtx(t)
	clk := newTestClock()
	n := startNode(t, t.TempDir(), "127.0.0.1:0", withClock(clk))
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	first := tn.owner

	code, second, _ := n.refresh(first.RefreshToken)
	if code != http.StatusOK || second.RefreshToken == first.RefreshToken {
		t.Fatalf("first rotation: %d", code)
	}
	clk.Advance(60 * time.Second)
	code, again, _ := n.refresh(first.RefreshToken)
	if code != http.StatusOK || again != second {
		t.Fatalf("reuse within the 60 s grace: status %d, same successor %v", code, again == second)
	}

	sock := n.dial(ctx, client.Options{Token: second.AccessToken})
	clk.Advance(time.Second) // 61 s after the rotation
	code, _, ae := n.refresh(first.RefreshToken)
	if code != http.StatusUnauthorized || ae.Error.Code != "refresh_token_reused" {
		t.Fatalf("reuse after grace: status %d code %q, want 401 refresh_token_reused", code, ae.Error.Code)
	}
	if _, err := sock.Next(ctx); client.CloseStatus(err) != int(wire.CloseSessionRevoked) {
		t.Fatalf("family socket: %v, want close %d", err, wire.CloseSessionRevoked)
	}
	for _, tok := range []string{first.AccessToken, second.AccessToken} {
		if code := n.call("GET", "/rest/v1/me", tok, nil, nil); code != http.StatusUnauthorized {
			t.Errorf("family access token still works: %d", code)
		}
	}
	if code, _, _ := n.refresh(second.RefreshToken); code != http.StatusUnauthorized {
		t.Errorf("successor refresh token still works after family revoke: %d", code)
	}
}

// Twenty tabs refreshing the same token at once converge on one successor.
func TestConcurrentRefreshesYieldOneSuccessor(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	const tabs = 20
	var wg sync.WaitGroup
	results := make([]tokens, tabs)
	codes := make([]int, tabs)
	for i := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], results[i], _ = n.refresh(tn.owner.RefreshToken)
		}()
	}
	wg.Wait()
	for i := range tabs {
		if codes[i] != http.StatusOK {
			t.Fatalf("tab %d: status %d", i, codes[i])
		}
		if results[i] != results[0] {
			t.Fatalf("tab %d got a different successor: the family forked", i)
		}
	}
	if code := n.call("GET", "/rest/v1/me", results[0].AccessToken, nil, nil); code != http.StatusOK {
		t.Fatalf("successor access token: %d", code)
	}
}

// Logging out closes the session's socket; its next frame cannot be served.
func TestLogoutClosesSocket(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	sock := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	if code := n.call("POST", "/rest/v1/auth/logout", tn.owner.AccessToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	_ = sock.Send(ctx, wire.TypePing, "after-logout", nil)
	f, err := sock.Next(ctx)
	if client.CloseStatus(err) != int(wire.CloseSessionRevoked) {
		t.Fatalf("after logout got frame %s %s, err %v; want close %d", f.Type, f.Data, err, wire.CloseSessionRevoked)
	}
}

// The token is re-validated on every frame: once it expires, the very next
// frame closes the socket with "token expired", without waiting for a timer.
func TestExpiredTokenClosesOnNextFrame(t *testing.T) {
	ctx := testCtx(t)
	clk := newTestClock()
	n := startNode(t, t.TempDir(), "127.0.0.1:0", withClock(clk))
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	sock := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	clk.Advance(59*time.Minute + 59*time.Second)
	if err := sock.Send(ctx, wire.TypePing, "p1", nil); err != nil {
		t.Fatal(err)
	}
	if f, err := sock.Await(ctx, client.Reply("p1")); err != nil || f.Type != wire.TypePong {
		t.Fatalf("before expiry: %v %s", err, f.Type)
	}
	clk.Advance(time.Second) // exactly 1 h after issue
	_ = sock.Send(ctx, wire.TypePing, "p2", nil)
	if _, err := sock.Next(ctx); client.CloseStatus(err) != int(wire.CloseTokenExpired) {
		t.Fatalf("after expiry: %v, want close %d", err, wire.CloseTokenExpired)
	}
}

// A socket can move onto a refreshed token of the same subject with an auth
// frame, but never onto another subject's token.
func TestReauthFrameStaysWithinSubject(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	other := n.registerTenant("Other", "owner@other.test", "https://other.test")
	sock := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})

	_, fresh, _ := n.refresh(tn.owner.RefreshToken)
	_ = sock.Send(ctx, wire.TypeAuth, "re1", wire.Auth{Token: fresh.AccessToken})
	if f, err := sock.Await(ctx, client.Reply("re1")); err != nil || f.Type != wire.TypeReady {
		t.Fatalf("reauth with own refreshed token: %v %s %s", err, f.Type, f.Data)
	}
	_ = sock.Send(ctx, wire.TypeAuth, "re2", wire.Auth{Token: other.owner.AccessToken})
	f, err := sock.Await(ctx, client.Reply("re2"))
	var e wire.Error
	_ = f.Decode(&e)
	if err != nil || f.Type != wire.TypeError || e.Code != string(wire.CodeForbidden) {
		t.Fatalf("reauth as another subject: %v %s %s", err, f.Type, f.Data)
	}
}

// An idle socket whose token expires is closed by the periodic
// re-validation, without the client sending anything.
func TestIdleSocketClosedWhenTokenExpires(t *testing.T) {
	ctx := testCtx(t)
	clk := newTestClock()
	n := startNode(t, t.TempDir(), "127.0.0.1:0", withClock(clk), func(c *Config) {
		c.wsTweak = func(w *ws.Config) { w.RevalidateInterval = 50 * time.Millisecond }
	})
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	sock := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	clk.Advance(time.Hour)
	if _, err := sock.Next(ctx); client.CloseStatus(err) != int(wire.CloseTokenExpired) {
		t.Fatalf("idle socket after expiry: %v, want close %d", err, wire.CloseTokenExpired)
	}
}
