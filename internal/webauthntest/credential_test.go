package webauthntest

import (
	"testing"

	"github.com/descope/virtualwebauthn"
)

// Every credential NewEC2Credential returns has full-length coordinates,
// and fullLength does refuse a key with a leading zero byte (drawn until
// one comes up: about one in 128 per coordinate).
func TestNewEC2CredentialFullLength(t *testing.T) {
	for range 200 {
		if c := NewEC2Credential(); !fullLength(c.Key.Data) {
			t.Fatal("a short coordinate came through")
		}
	}
	for i := 0; ; i++ {
		if i == 100_000 {
			t.Fatal("no key with a leading zero coordinate byte in 100000 draws")
		}
		if !fullLength(virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2).Key.Data) {
			return
		}
	}
}
