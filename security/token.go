package security

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Token prefixes say what a token is for, so a leaked token is recognisable
// (secret scanners) and a token of one kind is refused where another is
// expected without a store lookup.
const (
	AccessPrefix  = "hla_" // agent access token
	RefreshPrefix = "hlr_" // agent refresh token
	VisitorPrefix = "hlv_" // visitor session token
)

// tokenBytes is the entropy of every token: 256 bits.
const tokenBytes = 32

// tokenBodyLen is the length of base64url(tokenBytes) without padding.
var tokenBodyLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// NewToken returns a new token, prefix followed by 32 random bytes in
// unpadded base64url, and its SHA-256 hash (the only form that is stored).
func NewToken(prefix string) (token string, hash [32]byte) {
	var b [tokenBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	token = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the SHA-256 of the whole token, prefix included.
func HashToken(token string) [32]byte {
	var buf [64]byte // tokens fit: hashing them costs no allocation
	if len(token) <= len(buf) {
		return sha256.Sum256(buf[:copy(buf[:], token)])
	}
	return sha256.Sum256([]byte(token))
}

// wellFormed reports whether token is prefix followed by exactly the body
// NewToken produces. It rejects garbage before any hashing or lookup.
func wellFormed(token, prefix string) bool {
	if len(token) != len(prefix)+tokenBodyLen || token[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(token); i++ {
		if !isBase64URL(token[i]) {
			return false
		}
	}
	return true
}

func isBase64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
