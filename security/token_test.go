package security

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewTokenShapeAndHash(t *testing.T) {
	seen := map[string]bool{}
	for _, prefix := range []string{AccessPrefix, RefreshPrefix, VisitorPrefix} {
		tok, hash := NewToken(prefix)
		if !strings.HasPrefix(tok, prefix) || !wellFormed(tok, prefix) {
			t.Fatalf("NewToken(%q) = %q: not well formed", prefix, tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok[len(prefix):])
		if err != nil || len(raw) != 32 {
			t.Fatalf("token body decodes to %d bytes (err %v), want 32", len(raw), err)
		}
		if hash != sha256.Sum256([]byte(tok)) || hash != HashToken(tok) {
			t.Fatal("hash is not SHA-256 of the whole token")
		}
		if seen[tok] {
			t.Fatal("NewToken repeated a token")
		}
		seen[tok] = true
	}
}

func TestWellFormedRejects(t *testing.T) {
	good, _ := NewToken(AccessPrefix)
	body := good[len(AccessPrefix):]
	cases := map[string]string{
		"empty":         "",
		"prefix only":   AccessPrefix,
		"other prefix":  RefreshPrefix + body,
		"short":         good[:len(good)-1],
		"long":          good + "A",
		"std alphabet":  AccessPrefix + "+" + body[1:],
		"padding":       AccessPrefix + body[:len(body)-1] + "=",
		"space":         AccessPrefix + " " + body[1:],
		"non-ascii":     AccessPrefix + "é" + body[2:],
		"prefix casing": "HLA_" + body,
	}
	if !wellFormed(good, AccessPrefix) {
		t.Fatal("a fresh token is not well formed")
	}
	for name, tok := range cases {
		if wellFormed(tok, AccessPrefix) {
			t.Errorf("%s: %q accepted", name, tok)
		}
	}
}
