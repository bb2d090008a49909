package security

import (
	"testing"
	"time"
)

// BenchmarkChatTokenVerify is the signature and claim check of one chat
// token (EdDSA), what POST /visitor/sessions and the WebSocket pay per
// identified connection before their store reads.
func BenchmarkChatTokenVerify(b *testing.B) {
	ct, err := NewChatTokens(newRing(b), chatIssuer, newClock().Now)
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := ct.Issue(ChatTokenParams{OrgID: "org_a", CustomerUserID: "cus_1", TokenVersion: 1,
		KeyID: "key_1", TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ct.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseKey is the format and checksum check every Bearer sk_…
// request passes before any store access.
func BenchmarkParseKey(b *testing.B) {
	key, err := NewAPIKey(KeyKindSecret, "live")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := ParseKey(key); !ok {
			b.Fatal("refused")
		}
	}
}
