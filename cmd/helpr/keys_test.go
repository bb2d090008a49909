package main

import (
	"bytes"
	"strings"
	"testing"
)

// helpr runs a subcommand as a user would and returns its output.
func helpr(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, func(string) string { return "" }, &out, &errOut)
	return out.String() + errOut.String(), code
}

// The whole rotation procedure through the `helpr keys` subcommands: old
// values keep reading after a rotation, new writes use the new version,
// retire refuses while any value uses the old version, reencrypt moves
// them all, then retire succeeds and everything still reads.
func TestKeyRotationProcedure(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	oldPII := canaries("1111")
	oldID, _ := n.newVisitor(tn, oldPII)
	addr := n.addr()
	n.stop()

	if out, code := helpr(t, "keys", "rotate", "--data-dir", dir); code != 0 || !strings.Contains(out, "version 2") {
		t.Fatalf("keys rotate: %d %s", code, out)
	}
	if out, code := helpr(t, "keys", "list", "--data-dir", dir); code != 0 || strings.Count(out, "pii") != 2 || !strings.Contains(out, "read-only") {
		t.Fatalf("keys list after rotate: %d %s", code, out)
	}

	n = startNode(t, dir, addr)
	tn.owner = n.login("owner@acme.test", "correct horse battery")
	if v := n.getVisitor(tn, oldID); v.Name != oldPII.name || v.Email != oldPII.email {
		t.Fatalf("value sealed with v1 after rotation: %+v", v)
	}
	newPII := canaries("2222")
	newID, _ := n.newVisitor(tn, newPII)
	n.stop()

	out, code := helpr(t, "keys", "retire", "--data-dir", dir, "--name", "pii", "--version", "1")
	if code == 0 || !strings.Contains(out, "reencrypt") {
		t.Fatalf("retire while v1 values exist: %d %s", code, out)
	}
	if out, code := helpr(t, "keys", "reencrypt", "--data-dir", dir, "--batch", "1"); code != 0 || !strings.Contains(out, "re-encrypted 1") {
		t.Fatalf("keys reencrypt: %d %s", code, out)
	}
	if out, code := helpr(t, "keys", "reencrypt", "--data-dir", dir); code != 0 || !strings.Contains(out, "re-encrypted 0") {
		t.Fatalf("a second reencrypt finds nothing to do: %d %s", code, out)
	}
	if out, code := helpr(t, "keys", "retire", "--data-dir", dir, "--name", "pii", "--version", "1"); code != 0 {
		t.Fatalf("retire after reencrypt: %d %s", code, out)
	}
	if out, code := helpr(t, "keys", "retire", "--data-dir", dir, "--name", "pii", "--version", "2"); code == 0 {
		t.Fatalf("retiring the current version succeeded: %s", out)
	}

	n = startNode(t, dir, addr)
	tn.owner = n.login("owner@acme.test", "correct horse battery")
	if v := n.getVisitor(tn, oldID); v.Name != oldPII.name || v.Phone != oldPII.phone {
		t.Fatalf("re-encrypted value: %+v", v)
	}
	if v := n.getVisitor(tn, newID); v.Email != newPII.email {
		t.Fatalf("value sealed with v2: %+v", v)
	}
	n.stop()
	assertNoCanaries(t, dir, append(oldPII.values(), newPII.values()...)...)
}
