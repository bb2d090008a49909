package security

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// fingerprintFormat prefixes every KeyringFingerprint.
const fingerprintFormat = "helpr-keyring-fingerprint-v1"

// ErrKeyringMismatch: a keyring lacks a key version that a recorded
// fingerprint holds, so values sealed under that version would not open.
var ErrKeyringMismatch = errors.New("security: keyring does not match the recorded fingerprint")

// KeyringFingerprint identifies a keyring without any of its material: for
// every version it holds, retired ones included, the key name, the version
// and its creation time (to the nanosecond, which tells two keyrings
// generated at different moments apart). Its text is stable: the format tag
// then one "name/version/created" entry per version, names in keyring order
// and versions ascending, separated by spaces. It holds no secret and no
// digest of one, so it may be stored, logged and compared freely.
type KeyringFingerprint string

// Fingerprint returns the keyring's fingerprint.
func (k *Keyring) Fingerprint() KeyringFingerprint {
	k.mu.RLock()
	defer k.mu.RUnlock()
	parts := []string{fingerprintFormat}
	for _, name := range knownKeyNames {
		s, ok := k.series[name]
		if !ok {
			continue
		}
		for _, e := range s.entries {
			parts = append(parts, fingerprintEntry(name, e.version, e.createdAt))
		}
	}
	return KeyringFingerprint(strings.Join(parts, " "))
}

func fingerprintEntry(name string, version uint32, created time.Time) string {
	return name + "/" + strconv.FormatUint(uint64(version), 10) + "/" + created.UTC().Format(time.RFC3339Nano)
}

// ID is a short name of the fingerprint for messages: the first 12 hex
// digits of the SHA-256 of its text (key ids and times, never key bytes).
func (f KeyringFingerprint) ID() string {
	sum := sha256.Sum256([]byte(f))
	return hex.EncodeToString(sum[:6])
}

// entries returns the fingerprint's entries, or an error if f is not a
// fingerprint.
func (f KeyringFingerprint) entries() ([]string, error) {
	parts := strings.Fields(string(f))
	if len(parts) < 2 || parts[0] != fingerprintFormat {
		return nil, fmt.Errorf("keyring fingerprint %s: not a %s", f.ID(), fingerprintFormat)
	}
	return parts[1:], nil
}

// Covers reports whether a keyring with fingerprint f can open everything a
// store recorded under fingerprint recorded: f must hold every key version
// recorded holds (same name, version and creation time). A rotated keyring
// covers the one it was rotated from (rotation only adds versions, and a
// retired version stays listed, retired only once no value uses it). The
// error wraps ErrKeyringMismatch and names both fingerprints' ids and the
// first missing version.
func (f KeyringFingerprint) Covers(recorded KeyringFingerprint) error {
	have, err := f.entries()
	if err != nil {
		return err
	}
	want, err := recorded.entries()
	if err != nil {
		return err
	}
	set := make(map[string]bool, len(have))
	for _, e := range have {
		set[e] = true
	}
	for _, e := range want {
		if !set[e] {
			return fmt.Errorf("%w: the store was sealed with keyring %s, this is keyring %s, which lacks key %s",
				ErrKeyringMismatch, recorded.ID(), f.ID(), e)
		}
	}
	return nil
}
