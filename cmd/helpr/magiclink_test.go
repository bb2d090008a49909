package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// Opening a sign-in link — as a browser does, or a mail scanner that
// prefetches every link it sees — serves the console and consumes
// nothing; only POST /auth/magic-link/consume does, once. (The token is
// stored here as the mail flow stores it; delivery through SMTP is tested
// with the mail queue.)
func TestMagicLinkGetConsumesNothing(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	token, id := security.NewOneTimeToken(security.MagicLinkPrefix)
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := n.app.sealed.PutOneTime(context.Background(), storage.OneTime{ID: id, Purpose: storage.PurposeMagicLink,
		OrgID: tn.orgID, SubjectID: tn.ownerID, CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"/console/#magic=" + token, "/console/?magic=" + token, "/console/"} {
		for _, method := range []string{"GET", "HEAD"} {
			req, err := http.NewRequest(method, n.base+u, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || method == "GET" && !strings.Contains(string(body), "<") {
				t.Fatalf("%s %s: %d", method, u, res.StatusCode)
			}
		}
	}
	var tk tokens
	if code := n.call("POST", "/rest/v1/auth/magic-link/consume", "", map[string]any{"token": token}, &tk); code != 200 || tk.AccessToken == "" {
		t.Fatalf("consume after the GETs: %d %+v", code, tk)
	}
	if code := n.call("POST", "/rest/v1/auth/magic-link/consume", "", map[string]any{"token": token}, nil); code != 401 {
		t.Fatalf("second consume: %d, want 401", code)
	}
}
