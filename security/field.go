package security

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// envelopeFormat starts every sealed value: "hpe1:<key name>:<version>:<payload>".
const envelopeFormat = "hpe1"

// ivLen is the random IV (GCM nonce) per value, as the seed states: 16 bytes.
const ivLen = 16

// tagLen is the GCM authentication tag.
const tagLen = 16

// adContext starts the associated data of every sealed field.
const adContext = "helpr/field"

// Field-encryption errors. Errors wrapping them name the field and record,
// never the value or the envelope.
var (
	// ErrDecrypt: authentication failed; the value was altered, or was sealed
	// for another record or field, or under other key material.
	ErrDecrypt = errors.New("security: decryption failed")
	// ErrMalformedEnvelope: the stored value is not a well-formed envelope.
	ErrMalformedEnvelope = errors.New("security: malformed envelope")
)

// FieldCipher seals and opens individual field values (AES-256-GCM under
// the keyring's pii key) and derives blind indexes and pseudonyms. It is
// safe for concurrent use and follows keyring rotation at once.
//
// A sealed value is the text envelope
//
//	hpe1:pii:<version>:<base64url, unpadded, of IV(16) || ciphertext || tag(16)>
//
// whose associated data binds a fixed context, the key name and version, the
// field name and the record id, so a value copied into another record or
// field does not open.
type FieldCipher struct {
	k *Keyring
}

// NewFieldCipher returns a cipher over k, which must hold a current version
// of every known key name (as every parsed or new keyring does).
func NewFieldCipher(k *Keyring) (*FieldCipher, error) {
	if k == nil {
		return nil, errors.New("new field cipher: nil keyring")
	}
	for _, name := range knownKeyNames {
		if _, err := k.Current(name); err != nil {
			return nil, fmt.Errorf("new field cipher: %w", err)
		}
	}
	return &FieldCipher{k: k}, nil
}

// newFieldAEAD returns AES-256-GCM with 16-byte nonces over secret.
func newFieldAEAD(secret []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCMWithNonceSize(block, ivLen)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}

// Seal encrypts plaintext for field of record recordID under the current
// pii key, with a fresh random IV. An empty plaintext stays "" (nothing to
// hide, and erasure clears fields to ""). recordID and field must not be
// empty: they are what binds the value to its place.
func (c *FieldCipher) Seal(plaintext, recordID, field string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	if recordID == "" || field == "" {
		return "", fmt.Errorf("seal %q of %q: record id and field name are required", field, recordID)
	}
	e := c.mustCurrent(KeyPII)
	buf := make([]byte, ivLen, ivLen+len(plaintext)+tagLen)
	_, _ = rand.Read(buf) // crypto/rand.Read never fails on supported platforms
	buf = e.aead.Seal(buf, buf[:ivLen], []byte(plaintext), fieldAD(KeyPII, e.version, field, recordID))
	var sb strings.Builder
	sb.Grow(len(envelopeFormat) + len(KeyPII) + 13 + base64.RawURLEncoding.EncodedLen(len(buf)))
	sb.WriteString(envelopeFormat + ":" + KeyPII + ":")
	sb.WriteString(strconv.FormatUint(uint64(e.version), 10))
	sb.WriteByte(':')
	sb.WriteString(base64.RawURLEncoding.EncodeToString(buf))
	return sb.String(), nil
}

// Open decrypts a value Seal produced for the same recordID and field. ""
// opens to "". On failure it returns "" and an error wrapping
// ErrMalformedEnvelope, ErrKeyNotFound or ErrKeyRetired (naming the missing
// key name and version), or ErrDecrypt; the error never holds the value.
func (c *FieldCipher) Open(sealed, recordID, field string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	env, err := parseEnvelope(sealed)
	if err != nil {
		return "", fmt.Errorf("open %s of %s: %w", field, recordID, err)
	}
	e, err := c.k.live(env.name, env.version)
	if err != nil {
		return "", fmt.Errorf("open %s of %s: %w", field, recordID, err)
	}
	iv, ct := env.payload[:ivLen], env.payload[ivLen:]
	pt, err := e.aead.Open(nil, iv, ct, fieldAD(env.name, env.version, field, recordID))
	if err != nil {
		return "", fmt.Errorf("open %s of %s (key %s v%d): %w", field, recordID, env.name, env.version, ErrDecrypt)
	}
	return string(pt), nil
}

// envelope is a parsed sealed value.
type envelope struct {
	name    string
	version uint32
	payload []byte // IV || ciphertext || tag
}

// parseEnvelope splits and checks a sealed value. Its errors describe what
// is wrong without quoting any of the value.
func parseEnvelope(sealed string) (envelope, error) {
	name, version, rest, err := envelopeHeader(sealed)
	if err != nil {
		return envelope{}, err
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	switch {
	case err != nil:
		return envelope{}, fmt.Errorf("%w: payload is not unpadded base64url", ErrMalformedEnvelope)
	case len(payload) < ivLen+tagLen:
		return envelope{}, fmt.Errorf("%w: payload of %d bytes is shorter than IV and tag", ErrMalformedEnvelope, len(payload))
	}
	return envelope{name: name, version: version, payload: payload}, nil
}

// envelopeHeader returns the key name and version of a sealed value and the
// still-encoded payload.
func envelopeHeader(sealed string) (name string, version uint32, payload string, err error) {
	parts := strings.SplitN(sealed, ":", 4)
	if len(parts) != 4 || parts[0] != envelopeFormat {
		return "", 0, "", fmt.Errorf("%w: not a %s envelope", ErrMalformedEnvelope, envelopeFormat)
	}
	if parts[1] != KeyPII {
		return "", 0, "", fmt.Errorf("%w: key name is not %s", ErrMalformedEnvelope, KeyPII)
	}
	v, perr := strconv.ParseUint(parts[2], 10, 32)
	if perr != nil || v == 0 || parts[2] != strconv.FormatUint(v, 10) {
		return "", 0, "", fmt.Errorf("%w: key version is not a canonical number from 1", ErrMalformedEnvelope)
	}
	return parts[1], uint32(v), parts[3], nil
}

// fieldAD is the associated data of a sealed field: the fixed context, then
// the key version and, each preceded by its 4-byte big-endian length, the
// key name, the field name and the record id.
func fieldAD(name string, version uint32, field, recordID string) []byte {
	ad := make([]byte, 0, len(adContext)+16+len(name)+len(field)+len(recordID))
	ad = append(ad, adContext...)
	ad = binary.BigEndian.AppendUint32(ad, version)
	for _, s := range [...]string{name, field, recordID} {
		ad = binary.BigEndian.AppendUint32(ad, uint32(len(s)))
		ad = append(ad, s...)
	}
	return ad
}

// mustCurrent returns the current entry of name. NewFieldCipher checked that
// every known name has one, and a keyring never loses its current version,
// so a failure is a programming error.
func (c *FieldCipher) mustCurrent(name string) *keyEntry {
	e, err := c.k.current(name)
	if err != nil {
		panic("security: field cipher: " + err.Error())
	}
	return e
}
