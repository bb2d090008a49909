// Package webauthntest holds test helpers around the virtual authenticator
// (github.com/descope/virtualwebauthn) that the passkey tests drive.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/x509"

	"github.com/descope/virtualwebauthn"
)

// p256CoordinateLen is the length of a P-256 public key coordinate.
const p256CoordinateLen = 32

// NewEC2Credential returns a new P-256 credential of the virtual
// authenticator whose public key encodes correctly. virtualwebauthn
// v1.0.3 writes the key's coordinates with big.Int.Bytes, which drops
// leading zero bytes, so about one key in 64 reaches the relying party
// with a 31-byte coordinate and is (rightly) refused as malformed: a
// test that used such a key failed at random. Keys are drawn until both
// coordinates are full length.
func NewEC2Credential() virtualwebauthn.Credential {
	for {
		c := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
		if fullLength(c.Key.Data) {
			return c
		}
	}
}

func fullLength(pkcs8 []byte) bool {
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		panic("webauthntest: the virtual authenticator's key does not parse: " + err.Error())
	}
	pk, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		panic("webauthntest: the virtual authenticator's key is not ECDSA")
	}
	pub, err := pk.PublicKey.Bytes() // uncompressed: 0x04 || X || Y, each full length
	if err != nil {
		panic("webauthntest: " + err.Error())
	}
	x, y := pub[1:1+p256CoordinateLen], pub[1+p256CoordinateLen:]
	return x[0] != 0 && y[0] != 0
}
