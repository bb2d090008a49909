package security

import "testing"

func TestOneTimeTokenID(t *testing.T) {
	tok, id := NewOneTimeToken(MagicLinkPrefix)
	got, ok := OneTimeID(tok, MagicLinkPrefix)
	if !ok || got != id || len(id) != 64 {
		t.Fatalf("OneTimeID(new token) = %q, %v; want %q, true", got, ok, id)
	}
	if _, ok := OneTimeID(tok, MFATicketPrefix); ok {
		t.Fatal("a magic-link token was accepted as an MFA ticket")
	}
	for _, bad := range []string{"", MagicLinkPrefix, tok[:len(tok)-1], tok + "A", MagicLinkPrefix + "!!" + tok[6:]} {
		if _, ok := OneTimeID(bad, MagicLinkPrefix); ok {
			t.Errorf("OneTimeID(%q) accepted a malformed token", bad)
		}
	}
}
