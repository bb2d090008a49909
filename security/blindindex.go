package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strings"
)

// blindIndexLen is a blind index: a 4-byte key version and an HMAC-SHA-256.
const blindIndexLen = 4 + sha256.Size

// PseudonymPrefix starts every pseudonym.
const PseudonymPrefix = "anon_"

// pseudonymLen is the number of base32 characters after the prefix (130 bits).
const pseudonymLen = 26

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NormalizeEmail is the form of an email the blind index is computed over:
// surrounding white space trimmed and every letter lower-cased (Unicode
// simple case mapping). Nothing else changes: dots, plus-tags and Unicode
// normalisation forms are kept as typed.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// BlindIndex returns the blind index of an organisation's visitor email
// under the current blind-index key: the 4-byte big-endian key version
// followed by HMAC-SHA-256(key, context || orgID || NormalizeEmail(email)),
// 36 bytes. The organisation is bound in, so the same person's index differs
// between tenants and a stolen database cannot link them. nil when the
// normalised email is empty.
func (c *FieldCipher) BlindIndex(orgID, email string) []byte {
	n := NormalizeEmail(email)
	if n == "" {
		return nil
	}
	return blindIndexWith(c.mustCurrent(KeyBlindIndex), orgID, n)
}

// BlindIndexes returns the blind index of email under every non-retired
// blind-index version, the current one first: what a lookup must match
// while a rotation is under way. nil when the normalised email is empty.
func (c *FieldCipher) BlindIndexes(orgID, email string) [][]byte {
	n := NormalizeEmail(email)
	if n == "" {
		return nil
	}
	entries := c.k.liveEntries(KeyBlindIndex)
	out := make([][]byte, 0, len(entries))
	for _, e := range entries {
		out = append(out, blindIndexWith(e, orgID, n))
	}
	return out
}

// blindIndexContext separates blind-index MACs from any other use of HMAC.
const blindIndexContext = "helpr/blind-index/v1\x00"

// blindIndexWith computes the index of an already normalised email. The
// organisation id is length-prefixed so no (org, email) pair can collide
// with another.
func blindIndexWith(e *keyEntry, orgID, normalized string) []byte {
	out := make([]byte, 4, blindIndexLen)
	binary.BigEndian.PutUint32(out, e.version)
	m := hmac.New(sha256.New, e.secret)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(orgID)))
	m.Write([]byte(blindIndexContext))
	m.Write(n[:])
	m.Write([]byte(orgID))
	m.Write([]byte(normalized))
	return m.Sum(out)
}

// blindIndexVersion returns the key version an index was computed under.
func blindIndexVersion(index []byte) (uint32, bool) {
	if len(index) != blindIndexLen {
		return 0, false
	}
	return binary.BigEndian.Uint32(index), true
}

// Pseudonym returns the stable stand-in for an erased subject: "anon_"
// followed by the first 26 lower-case base32 characters of
// HMAC-SHA-256(current pseudonym key, subjectID). The same subject gets the
// same pseudonym for as long as the pseudonym key version stays current;
// without the key it cannot be linked back to subjectID.
func (c *FieldCipher) Pseudonym(subjectID string) string {
	return pseudonymWith(c.mustCurrent(KeyPseudonym), subjectID)
}

// Pseudonyms returns the pseudonym of subjectID under every non-retired
// pseudonym version, the current one first: what finds audit events of a
// subject erased before a pseudonym key rotation.
func (c *FieldCipher) Pseudonyms(subjectID string) []string {
	entries := c.k.liveEntries(KeyPseudonym)
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, pseudonymWith(e, subjectID))
	}
	return out
}

func pseudonymWith(e *keyEntry, subjectID string) string {
	m := hmac.New(sha256.New, e.secret)
	m.Write([]byte(subjectID))
	return PseudonymPrefix + lowerBase32.EncodeToString(m.Sum(nil))[:pseudonymLen]
}
