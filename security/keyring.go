package security

import (
	"cmp"
	"crypto/cipher"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Key names. Each is an independent series of versions: the pii key seals
// visitor fields, the blind-index key computes email lookup indexes, the
// pseudonym key derives the ids that replace erased subjects in the audit
// trail.
const (
	KeyPII        = "pii"
	KeyBlindIndex = "blind-index"
	KeyPseudonym  = "pseudonym"
)

// knownKeyNames are the names every keyring holds, in listing order.
var knownKeyNames = []string{KeyPII, KeyBlindIndex, KeyPseudonym}

// keySecretLen is the size of every key: 256 bits.
const keySecretLen = 32

// Keyring errors. Errors that wrap them name the key and version concerned,
// never the key material.
var (
	// ErrKeyNotFound: the keyring has no such key name or version.
	ErrKeyNotFound = errors.New("security: key not found")
	// ErrKeyRetired: the version existed but was retired; its material is gone.
	ErrKeyRetired = errors.New("security: key version retired")
)

// Key is one version of a named key. Its String and Format methods (every
// fmt verb) and MarshalJSON never show Secret.
type Key struct {
	Name      string
	Version   uint32
	Secret    []byte // 32 bytes
	CreatedAt time.Time
}

// KeyInfo describes a key version without its material.
type KeyInfo struct {
	Name      string
	Version   uint32
	CreatedAt time.Time
	Current   bool // used for new writes
	Retired   bool // material removed; values under it no longer open
}

// keyEntry is one stored version, immutable once built (Retire replaces the
// entry rather than clearing it, so holders never see material change).
// secret and aead are nil when retired.
type keyEntry struct {
	version   uint32
	createdAt time.Time
	secret    []byte
	aead      cipher.AEAD // AES-256-GCM with 16-byte nonces over secret
}

// keySeries is every version of one key name, ascending by version.
type keySeries struct {
	current uint32
	entries []*keyEntry
}

// Keyring holds named, versioned 256-bit keys: per name one current version
// for writes and older versions kept for reads until retired. It is safe for
// concurrent use. Methods returning a Key return a copy of the material.
type Keyring struct {
	mu     sync.RWMutex
	series map[string]*keySeries
}

// NewKeyring returns a keyring holding version 1 of each known key name
// (pii, blind-index, pseudonym), fresh and random, each current.
func NewKeyring(now time.Time) (*Keyring, error) {
	k := &Keyring{series: make(map[string]*keySeries, len(knownKeyNames))}
	for _, name := range knownKeyNames {
		e, err := newKeyEntry(1, randomBytes(keySecretLen), now)
		if err != nil {
			return nil, fmt.Errorf("new keyring: %s: %w", name, err)
		}
		k.series[name] = &keySeries{current: 1, entries: []*keyEntry{e}}
	}
	return k, nil
}

// newKeyEntry builds a live entry over secret, which it takes ownership of.
func newKeyEntry(version uint32, secret []byte, createdAt time.Time) (*keyEntry, error) {
	aead, err := newFieldAEAD(secret)
	if err != nil {
		return nil, err
	}
	return &keyEntry{version: version, createdAt: createdAt.UTC(), secret: secret, aead: aead}, nil
}

// Names returns the key names the keyring holds, known names first.
func (k *Keyring) Names() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	names := make([]string, 0, len(k.series))
	for _, n := range knownKeyNames {
		if _, ok := k.series[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// Current returns the version of name used for new writes.
func (k *Keyring) Current(name string) (Key, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	s, err := k.seriesLocked(name)
	if err != nil {
		return Key{}, err
	}
	return s.entry(s.current).key(name), nil
}

// Key returns version of name: ErrKeyNotFound if the keyring never had it,
// ErrKeyRetired if it was retired.
func (k *Keyring) Key(name string, version uint32) (Key, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	e, err := k.liveEntryLocked(name, version)
	if err != nil {
		return Key{}, err
	}
	return e.key(name), nil
}

// Versions describes every version of name, retired ones included,
// ascending by version; nil for an unknown name.
func (k *Keyring) Versions(name string) []KeyInfo {
	k.mu.RLock()
	defer k.mu.RUnlock()
	s, ok := k.series[name]
	if !ok {
		return nil
	}
	out := make([]KeyInfo, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, KeyInfo{Name: name, Version: e.version, CreatedAt: e.createdAt,
			Current: e.version == s.current, Retired: e.secret == nil})
	}
	return out
}

// Rotate adds a fresh random version of name, one above the highest ever
// used (retired versions are never reused), and makes it current. Older
// versions stay readable until retired.
func (k *Keyring) Rotate(name string, now time.Time) (Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.seriesLocked(name)
	if err != nil {
		return Key{}, fmt.Errorf("rotate: %w", err)
	}
	last := s.entries[len(s.entries)-1].version
	if last == ^uint32(0) {
		return Key{}, fmt.Errorf("rotate %s: version space exhausted", name)
	}
	e, err := newKeyEntry(last+1, randomBytes(keySecretLen), now)
	if err != nil {
		return Key{}, fmt.Errorf("rotate %s: %w", name, err)
	}
	s.entries = append(s.entries, e)
	s.current = e.version
	return e.key(name), nil
}

// Retire removes the material of version of name: values sealed under it no
// longer open (ErrKeyRetired). The version stays listed so it is never
// reused. Retiring the current version is refused (rotate first); retiring a
// retired version is a no-op. Callers must first make sure no value still
// uses the version (CountSealedWith).
func (k *Keyring) Retire(name string, version uint32) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.seriesLocked(name)
	if err != nil {
		return fmt.Errorf("retire: %w", err)
	}
	e := s.entry(version)
	switch {
	case e == nil:
		return fmt.Errorf("retire key %s v%d: %w", name, version, ErrKeyNotFound)
	case version == s.current:
		return fmt.Errorf("retire key %s v%d: it is the current version; rotate first", name, version)
	case e.secret == nil:
		return nil
	}
	// Copy-on-write: an operation that fetched the entry before this call
	// finishes with consistent material; later lookups see it retired.
	i := slices.Index(s.entries, e)
	s.entries[i] = &keyEntry{version: e.version, createdAt: e.createdAt}
	return nil
}

// seriesLocked returns name's series or ErrKeyNotFound. Callers hold mu.
func (k *Keyring) seriesLocked(name string) (*keySeries, error) {
	s, ok := k.series[name]
	if !ok {
		return nil, fmt.Errorf("key %q: %w", name, ErrKeyNotFound)
	}
	return s, nil
}

// liveEntryLocked returns a non-retired version of name. Callers hold mu.
func (k *Keyring) liveEntryLocked(name string, version uint32) (*keyEntry, error) {
	s, err := k.seriesLocked(name)
	if err != nil {
		return nil, err
	}
	e := s.entry(version)
	switch {
	case e == nil:
		return nil, fmt.Errorf("key %s v%d: %w", name, version, ErrKeyNotFound)
	case e.secret == nil:
		return nil, fmt.Errorf("key %s v%d: %w", name, version, ErrKeyRetired)
	}
	return e, nil
}

// current returns the live current entry of name (never retired).
func (k *Keyring) current(name string) (*keyEntry, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	s, err := k.seriesLocked(name)
	if err != nil {
		return nil, err
	}
	return s.entry(s.current), nil
}

// live returns a non-retired version of name.
func (k *Keyring) live(name string, version uint32) (*keyEntry, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.liveEntryLocked(name, version)
}

// liveEntries returns name's non-retired versions, current first, then
// newest to oldest.
func (k *Keyring) liveEntries(name string) []*keyEntry {
	k.mu.RLock()
	defer k.mu.RUnlock()
	s, ok := k.series[name]
	if !ok {
		return nil
	}
	out := []*keyEntry{s.entry(s.current)}
	for _, e := range slices.Backward(s.entries) {
		if e.secret != nil && e.version != s.current {
			out = append(out, e)
		}
	}
	return out
}

// entry returns the version's entry or nil.
func (s *keySeries) entry(version uint32) *keyEntry {
	i, ok := slices.BinarySearchFunc(s.entries, version, func(e *keyEntry, v uint32) int {
		return cmp.Compare(e.version, v)
	})
	if !ok {
		return nil
	}
	return s.entries[i]
}

// key returns the entry as a Key with a copy of its material.
func (e *keyEntry) key(name string) Key {
	return Key{Name: name, Version: e.version, Secret: slices.Clone(e.secret), CreatedAt: e.createdAt}
}
