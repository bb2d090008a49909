package security

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// keyringFormat names the file format; ParseKeyring refuses any other.
const keyringFormat = "helpr-keyring-v1"

// maxKeyringBytes bounds a keyring document (thousands of versions).
const maxKeyringBytes = 1 << 20

// keyringFile is the JSON document:
//
//	{"format": "helpr-keyring-v1", "keys": [
//	  {"name": "pii", "version": 2, "created_at": "…", "current": true, "secret": "<base64 of 32 bytes>"},
//	  {"name": "pii", "version": 1, "created_at": "…", "retired": true}, …]}
type keyringFile struct {
	Format string        `json:"format"`
	Keys   []keyringItem `json:"keys"`
}

// keyringItem is one key version in the file. A retired version keeps its
// name, version and creation time but no secret.
type keyringItem struct {
	Name      string    `json:"name"`
	Version   uint32    `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Current   bool      `json:"current,omitempty"`
	Retired   bool      `json:"retired,omitempty"`
	Secret    string    `json:"secret,omitempty"`
}

// Marshal encodes the keyring, secrets included, as the indented JSON
// document ParseKeyring reads: names in the order pii, blind-index,
// pseudonym, versions ascending. Whoever holds the result holds every key.
func (k *Keyring) Marshal() ([]byte, error) {
	k.mu.RLock()
	f := keyringFile{Format: keyringFormat}
	for _, name := range knownKeyNames {
		s := k.series[name]
		for _, e := range s.entries {
			it := keyringItem{Name: name, Version: e.version, CreatedAt: e.createdAt,
				Current: e.version == s.current, Retired: e.secret == nil}
			if e.secret != nil {
				it.Secret = base64.StdEncoding.EncodeToString(e.secret)
			}
			f.Keys = append(f.Keys, it)
		}
	}
	k.mu.RUnlock()
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal keyring: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseKeyring reads the JSON document Marshal writes and validates all of
// it: the format tag, no unknown fields, only the known key names and each
// of them present, versions >= 1 and unique per name, a creation time on
// every version, exactly one current version per name and not a retired one,
// and a base64 secret of exactly 32 non-zero bytes on every non-retired
// version (none on a retired one). Errors name the offending entry, never a
// secret.
func ParseKeyring(data []byte) (*Keyring, error) {
	if len(data) > maxKeyringBytes {
		return nil, fmt.Errorf("keyring: %d bytes, more than the %d allowed", len(data), maxKeyringBytes)
	}
	f, err := decodeKeyringFile(data)
	if err != nil {
		return nil, err
	}
	if f.Format != keyringFormat {
		return nil, fmt.Errorf("keyring: format %q, want %q", f.Format, keyringFormat)
	}
	k := &Keyring{series: make(map[string]*keySeries, len(knownKeyNames))}
	for i, it := range f.Keys {
		if err := k.addItem(it); err != nil {
			return nil, fmt.Errorf("keyring: keys[%d] (%s v%d): %w", i, it.Name, it.Version, err)
		}
	}
	for _, name := range knownKeyNames {
		s, ok := k.series[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("keyring: no %q key", name)
		case s.current == 0:
			return nil, fmt.Errorf("keyring: no current version of %q", name)
		}
		slices.SortFunc(s.entries, func(a, b *keyEntry) int { return cmp.Compare(a.version, b.version) })
	}
	return k, nil
}

// decodeKeyringFile decodes exactly one JSON object with no unknown fields.
// Syntax errors report only their offset: the offending character could be
// part of a secret.
func decodeKeyringFile(data []byte) (keyringFile, error) {
	var f keyringFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&f)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data after the keyring object")
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return f, fmt.Errorf("keyring: malformed JSON at byte offset %d", syn.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return f, errors.New("keyring: empty or truncated JSON")
	case err != nil:
		return f, fmt.Errorf("keyring: %w", err)
	}
	return f, nil
}

// addItem validates one file entry and adds it to its series.
func (k *Keyring) addItem(it keyringItem) error {
	if !slices.Contains(knownKeyNames, it.Name) {
		return fmt.Errorf("unknown key name %q (known: pii, blind-index, pseudonym)", it.Name)
	}
	if it.Version == 0 {
		return errors.New("version must be 1 or more")
	}
	if it.CreatedAt.IsZero() {
		return errors.New("created_at is missing")
	}
	s := k.series[it.Name]
	if s == nil {
		s = &keySeries{}
		k.series[it.Name] = s
	}
	if slices.ContainsFunc(s.entries, func(e *keyEntry) bool { return e.version == it.Version }) {
		return errors.New("duplicate version")
	}
	e, err := itemEntry(it)
	if err != nil {
		return err
	}
	if it.Current {
		if s.current != 0 {
			return fmt.Errorf("second current version (v%d is current too)", s.current)
		}
		s.current = it.Version
	}
	s.entries = append(s.entries, e)
	return nil
}

// itemEntry checks an entry's secret and retired/current flags and builds
// its keyEntry.
func itemEntry(it keyringItem) (*keyEntry, error) {
	if it.Retired {
		switch {
		case it.Current:
			return nil, errors.New("retired version cannot be current")
		case it.Secret != "":
			return nil, errors.New("retired version must not carry a secret")
		}
		return &keyEntry{version: it.Version, createdAt: it.CreatedAt.UTC()}, nil
	}
	if it.Secret == "" {
		return nil, errors.New("secret is missing")
	}
	secret, err := base64.StdEncoding.DecodeString(it.Secret)
	switch {
	case err != nil:
		return nil, fmt.Errorf("secret is not valid base64: %w", err)
	case len(secret) != keySecretLen:
		return nil, fmt.Errorf("secret is %d bytes, want %d", len(secret), keySecretLen)
	case allZero(secret):
		return nil, errors.New("secret is all zero bytes")
	}
	return newKeyEntry(it.Version, secret, it.CreatedAt)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
