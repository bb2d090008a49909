package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// canaryVisitor is PII that must never reach the database in plaintext.
type canaryVisitor struct{ name, email, phone string }

func canaries(tag string) canaryVisitor {
	return canaryVisitor{
		name:  "Canaryname" + tag + "Zqx",
		email: "canary." + tag + "@pii-canary.test",
		phone: "+4479460" + tag + "0187",
	}
}

func (c canaryVisitor) values() []string { return []string{c.name, c.email, c.phone} }

// newVisitor starts a visitor session with PII and returns its id and token.
func (n *node) newVisitor(tn tenant, pii canaryVisitor) (id, token string) {
	n.t.Helper()
	var vs struct {
		Visitor struct{ ID string } `json:"visitor"`
		Token   string              `json:"token"`
	}
	if code := n.call("POST", "/rest/v1/visitor/sessions", "", map[string]any{
		"publishable_key": tn.widgetKey, "name": pii.name, "email": pii.email, "phone": pii.phone,
	}, &vs, "Origin", tn.origin); code != http.StatusCreated {
		n.t.Fatalf("visitor session: status %d", code)
	}
	return vs.Visitor.ID, vs.Token
}

type visitorView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Deleted bool   `json:"deleted"`
}

// getVisitor reads a visitor through the REST API as an agent.
func (n *node) getVisitor(tn tenant, id string) visitorView {
	n.t.Helper()
	var v visitorView
	if code := n.call("GET", "/rest/v1/visitors/"+id, tn.owner.AccessToken, nil, &v); code != http.StatusOK {
		n.t.Fatalf("get visitor %s: status %d", id, code)
	}
	return v
}

// rawData returns the bytes of every file of the embedded store.
func rawData(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(filepath.Join(dir, "helpr.db"+suffix))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("no store files to inspect")
	}
	return all
}

// assertNoCanaries fails if any canary appears in the raw store files, in
// any letter case.
func assertNoCanaries(t *testing.T, dir string, values ...string) {
	t.Helper()
	raw := bytes.ToLower(rawData(t, dir))
	for _, v := range values {
		if bytes.Contains(raw, []byte(strings.ToLower(v))) {
			t.Errorf("plaintext PII %q found in the raw store files", v)
		}
	}
}

// PII written through the public API reaches the database only encrypted;
// erasure anonymises the visitor, keeps the conversation readable and the
// audit trail intact under a pseudonym.
func TestVisitorPIIEncryptedAtRestAndErased(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	pii := canaries("7731")
	vid, vtok := n.newVisitor(tn, pii)

	if v := n.getVisitor(tn, vid); v.Name != pii.name || v.Email != pii.email || v.Phone != pii.phone {
		t.Fatalf("agent reads %+v, want the plaintext PII", v)
	}
	var found struct {
		Visitors []visitorView `json:"visitors"`
	}
	if code := n.call("GET", "/rest/v1/visitors?email="+strings.ToUpper(pii.email), tn.owner.AccessToken, nil, &found); code != http.StatusOK || len(found.Visitors) != 1 || found.Visitors[0].ID != vid {
		t.Fatalf("blind-index lookup: %d %+v", code, found)
	}

	// A conversation with messages, and the visitor's socket open.
	vis := n.dial(ctx, client.Options{Token: vtok, WidgetKey: tn.widgetKey, Origin: tn.origin})
	_ = vis.Send(ctx, wire.TypeConversationStart, "s", nil)
	f, _ := vis.Await(ctx, client.Reply("s"))
	var conv wire.Conversation
	_ = f.Decode(&conv)
	send(ctx, t, vis, conv.ID, "m1", "my order never arrived")

	assertNoCanaries(t, dir, pii.values()...)
	if !bytes.Contains(rawData(t, dir), []byte("my order never arrived")) {
		t.Fatal("message content should stay searchable plaintext; the raw check is not reading the store")
	}

	if code := n.call("DELETE", "/rest/v1/visitors/"+vid, tn.owner.AccessToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("erase visitor: %d", code)
	}
	if _, err := vis.Next(ctx); client.CloseStatus(err) != int(wire.CloseSessionRevoked) {
		t.Fatalf("erased visitor's socket: %v, want close %d", err, wire.CloseSessionRevoked)
	}
	if v := n.getVisitor(tn, vid); !v.Deleted || v.Name != "" || v.Email != "" || v.Phone != "" {
		t.Fatalf("after erasure the visitor reads %+v", v)
	}
	if code := n.call("GET", "/rest/v1/visitors?email="+pii.email, tn.owner.AccessToken, nil, &found); code != http.StatusOK || len(found.Visitors) != 0 {
		t.Fatalf("erased visitor still found by email: %+v", found)
	}
	var hist struct {
		Messages []struct{ Text string } `json:"messages"`
	}
	if code := n.call("GET", "/rest/v1/conversations/"+conv.ID+"/messages", tn.owner.AccessToken, nil, &hist); code != http.StatusOK || len(hist.Messages) != 1 {
		t.Fatalf("conversation after erasure: %d %+v", code, hist)
	}
	if code := n.call("DELETE", "/rest/v1/visitors/"+vid, tn.owner.AccessToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("erasure is idempotent: second DELETE %d", code)
	}

	events, err := n.app.store.ListAudit(ctx, tn.orgID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	erased := false
	for _, e := range events {
		if e.ActorID == vid || e.TargetID == vid {
			t.Errorf("audit event %s still names the erased visitor", e.Action)
		}
		erased = erased || (e.Action == "visitor.erased" && strings.HasPrefix(e.TargetID, "anon_"))
	}
	if !erased {
		t.Errorf("no visitor.erased audit event under a pseudonym in %+v", events)
	}
	n.stop()
	assertNoCanaries(t, dir, pii.values()...)
}

// A configured keyring that is unsafe, missing or malformed stops the
// server with a clear message; nothing falls back to plaintext.
func TestServerRefusesUnsafeOrMissingKeyring(t *testing.T) {
	log := zerolog.Nop()
	dir := t.TempDir()
	cfg := Config{DataDir: dir}
	cfg.defaults()
	a, err := newApp(context.Background(), cfg, log) // first start creates the default keyring
	if err != nil {
		t.Fatal(err)
	}
	_ = a.close()
	path := filepath.Join(dir, "secrets", "keyring.json")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newApp(context.Background(), cfg, log); err == nil || !strings.Contains(err.Error(), "chmod") {
		t.Fatalf("world-readable keyring accepted: %v", err)
	}

	missing := cfg
	missing.KeyringFile = filepath.Join(dir, "nowhere.json")
	if _, err := newApp(context.Background(), missing, log); err == nil || !strings.Contains(err.Error(), "nowhere.json") {
		t.Fatalf("configured but missing keyring: %v", err)
	}
	bad := cfg
	bad.KeyringJSON = `{"keys": "not a keyring"}`
	if _, err := newApp(context.Background(), bad, log); err == nil || !strings.Contains(err.Error(), "HELPR_KEYRING") {
		t.Fatalf("malformed HELPR_KEYRING: %v", err)
	}
}
