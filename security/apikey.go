package security

import (
	"crypto/rand"
	"errors"
	"hash/crc32"
	"strings"
)

// API key text: a kind prefix ("sk_" secret, "pk_" publishable), a mode
// ("live_" or "test_"), KeyRandomLen random base62 characters (≈190 bits)
// and a KeyChecksumLen-character base62 CRC-32 (IEEE) of everything before
// it, zero-padded. The checksum lets a server refuse a mistyped or forged
// key without touching the store, and lets secret scanners recognise a
// real key; it is not a MAC (the keyed hash in the store is what
// authenticates).
const (
	KeyRandomLen   = 32
	KeyChecksumLen = 6
	// KeyPrefixLen is how much of a key lists show (e.g. "sk_live_Ab3d").
	KeyPrefixLen = 12
	// KeyPurposeAPIKey is the keyed-hash purpose of secret API keys.
	KeyPurposeAPIKey = "api-key"
)

// Key kinds and modes of APIKeyInfo.
const (
	KeyKindSecret      = "secret"
	KeyKindPublishable = "publishable"
	KeyModeLive        = "live"
	KeyModeTest        = "test"
)

// APIKeyInfo is what ParseKey tells from a key's text alone. (The
// contract's name KeyInfo is taken by the keyring's key description.)
type APIKeyInfo struct {
	Kind string // KeyKindSecret or KeyKindPublishable
	Mode string // KeyModeLive or KeyModeTest
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// apiKeyLen is the length of every formatted key ("sk_live_" is 8 bytes).
const apiKeyLen = 8 + KeyRandomLen + KeyChecksumLen

// kindPrefix maps a kind to its text prefix.
var kindPrefix = map[string]string{KeyKindSecret: "sk_", KeyKindPublishable: "pk_"}

// NewAPIKey returns a fresh key of kind (KeyKindSecret or
// KeyKindPublishable) and mode (KeyModeLive or KeyModeTest).
func NewAPIKey(kind, mode string) (string, error) {
	p, ok := kindPrefix[kind]
	if !ok {
		return "", errors.New("new api key: unknown kind " + kind)
	}
	if mode != KeyModeLive && mode != KeyModeTest {
		return "", errors.New("new api key: unknown mode " + mode)
	}
	var sb strings.Builder
	sb.Grow(apiKeyLen)
	sb.WriteString(p + mode + "_")
	sb.WriteString(randomBase62(KeyRandomLen))
	body := sb.String()
	return body + keyChecksum(body), nil
}

// randomBase62 returns n uniformly random base62 characters (rejection
// sampling: bytes >= 248 are dropped so every character is equally likely).
func randomBase62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails on supported platforms
		for _, b := range buf {
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out)
}

// keyChecksum is the base62 CRC-32 of body, zero-padded to KeyChecksumLen.
func keyChecksum(body string) string {
	v := crc32.ChecksumIEEE([]byte(body))
	var out [KeyChecksumLen]byte
	for i := KeyChecksumLen - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out[:])
}

// ParseKey checks a key's format and checksum and tells its kind and
// mode. It reads nothing but s: a mistyped, truncated or invented key is
// refused here, before any store access. Legacy widget keys ("pk_<id>")
// are not formatted keys: ok is false for them.
func ParseKey(s string) (APIKeyInfo, bool) {
	if len(s) != apiKeyLen {
		return APIKeyInfo{}, false
	}
	var info APIKeyInfo
	switch s[:3] {
	case "sk_":
		info.Kind = KeyKindSecret
	case "pk_":
		info.Kind = KeyKindPublishable
	default:
		return APIKeyInfo{}, false
	}
	switch s[3:8] {
	case "live_":
		info.Mode = KeyModeLive
	case "test_":
		info.Mode = KeyModeTest
	default:
		return APIKeyInfo{}, false
	}
	body := s[:len(s)-KeyChecksumLen]
	for i := 8; i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return APIKeyInfo{}, false
		}
	}
	if keyChecksum(body) != s[len(body):] {
		return APIKeyInfo{}, false
	}
	return info, true
}

// KeyPrefix is the part of a key lists show: its first KeyPrefixLen
// characters (kind, mode and four random characters).
func KeyPrefix(key string) string {
	if len(key) <= KeyPrefixLen {
		return key
	}
	return key[:KeyPrefixLen]
}
