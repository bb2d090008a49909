package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// keyedHashContext separates keyed hashes from blind indexes, which use the
// same key series.
const keyedHashContext = "helpr/keyed-hash/v1\x00"

// KeyedHash returns the stored form of a low-entropy secret (a backup code,
// an emailed reset code) or of a lookup key that must not reveal its input
// (a sign-in IP): the 4-byte big-endian version of the current blind-index
// key followed by HMAC-SHA-256(key, context || len(purpose) || purpose ||
// value), 36 bytes. Without the keyring a stolen database cannot test
// guesses against it (NIST SP 800-63B §5.1.2.2). purpose separates uses, so
// one use's hash never matches another's.
func (c *FieldCipher) KeyedHash(purpose, value string) []byte {
	return keyedHashWith(c.mustCurrent(KeyBlindIndex), purpose, value)
}

// KeyedHashEqual reports, in constant time, whether value hashes to stored
// under the key version stored names (a retired or unknown version, or a
// malformed stored value, is false).
func (c *FieldCipher) KeyedHashEqual(purpose, value string, stored []byte) bool {
	v, ok := blindIndexVersion(stored)
	if !ok {
		return false
	}
	e, err := c.k.liveEntry(KeyBlindIndex, v)
	if err != nil {
		return false
	}
	return hmac.Equal(keyedHashWith(e, purpose, value), stored)
}

func keyedHashWith(e *keyEntry, purpose, value string) []byte {
	out := make([]byte, 4, blindIndexLen)
	binary.BigEndian.PutUint32(out, e.version)
	m := hmac.New(sha256.New, e.secret)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(purpose)))
	m.Write([]byte(keyedHashContext))
	m.Write(n[:])
	m.Write([]byte(purpose))
	m.Write([]byte(value))
	return m.Sum(out)
}

// liveEntry returns a non-retired version of name.
func (k *Keyring) liveEntry(name string, version uint32) (*keyEntry, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.liveEntryLocked(name, version)
}

// KeyedHashes returns the keyed hash of value under every non-retired
// blind-index version, the current one first: what a lookup by keyed hash
// (an API key's) must match while a blind-index key rotation is under way.
func (c *FieldCipher) KeyedHashes(purpose, value string) [][]byte {
	entries := c.k.liveEntries(KeyBlindIndex)
	out := make([][]byte, 0, len(entries))
	for _, e := range entries {
		out = append(out, keyedHashWith(e, purpose, value))
	}
	return out
}
