package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// keyringSource says where the keyring comes from: the HELPR_KEYRING
// environment variable (the JSON itself) or a key file.
type keyringSource struct {
	json     string // HELPR_KEYRING, when set
	path     string // the key file otherwise
	explicit bool   // the path was configured (so it must exist)
}

// keyringSourceOf resolves the keyring location of cfg.
func keyringSourceOf(cfg Config) keyringSource {
	if cfg.KeyringJSON != "" {
		return keyringSource{json: cfg.KeyringJSON}
	}
	if cfg.KeyringFile != "" {
		return keyringSource{path: cfg.KeyringFile, explicit: true}
	}
	return keyringSource{path: filepath.Join(cfg.DataDir, "secrets", "keyring.json")}
}

func (s keyringSource) String() string {
	if s.json != "" {
		return "HELPR_KEYRING"
	}
	return s.path
}

// load reads the keyring. A configured keyring that is missing or malformed
// is an error — never a silent fallback to plaintext.
func (s keyringSource) load() (*security.Keyring, error) {
	if s.json != "" {
		k, err := security.ParseKeyring([]byte(s.json))
		if err != nil {
			return nil, fmt.Errorf("HELPR_KEYRING: %w", err)
		}
		return k, nil
	}
	k, err := security.LoadKeyringFile(s.path)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", s.path, err)
	}
	return k, nil
}

// save writes the keyring back to its file.
func (s keyringSource) save(k *security.Keyring) error {
	if s.json != "" {
		return errors.New("the keyring comes from HELPR_KEYRING and cannot be written here")
	}
	return security.WriteKeyringFile(s.path, k)
}

// backupDoc is where the refusals send the operator.
const backupDoc = "docs/backup.md"

// fingerprintStore is what the keyring guard needs from the store: its
// recorded keyring fingerprint, and whether it holds any visitor (whose
// fields are sealed).
type fingerprintStore interface {
	storage.MetaStore
	ScanVisitors(ctx context.Context, afterID string, limit int) ([]storage.Visitor, error)
}

// openKeyring loads the server's keyring and checks it against the
// fingerprint the store recorded (security.KeyringFingerprint), then
// records the keyring's own: the store then refuses, at every later start,
// a keyring that lacks a version the recorded one holds — a missing file
// included. Only the default location (no --keyring-file, no HELPR_KEYRING)
// is created when absent, and only over a store with no recorded
// fingerprint and no visitor; the log says so.
func openKeyring(ctx context.Context, cfg Config, log zerolog.Logger, store fingerprintStore) (*security.Keyring, error) {
	src := keyringSourceOf(cfg)
	recorded, err := recordedFingerprint(ctx, store)
	if err != nil {
		return nil, err
	}
	k, err := src.load()
	if errors.Is(err, fs.ErrNotExist) && src.json == "" {
		if recorded != "" {
			return nil, missingKeyringError(src, fmt.Sprintf("the store holds data sealed under keyring %s", recorded.ID()))
		}
		if !src.explicit {
			k, err = createKeyring(ctx, src, log, store)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := recordFingerprint(ctx, store, k.Fingerprint(), recorded, src, log); err != nil {
		return nil, err
	}
	return k, nil
}

// createKeyring writes a new keyring at the default location, unless the
// store already holds visitors (sealed under a keyring that is now lost).
func createKeyring(ctx context.Context, src keyringSource, log zerolog.Logger, store fingerprintStore) (*security.Keyring, error) {
	vs, err := store.ScanVisitors(ctx, "", 1)
	if err != nil {
		return nil, fmt.Errorf("check the store for sealed data: %w", err)
	}
	if len(vs) > 0 {
		return nil, missingKeyringError(src, "the store already holds sealed visitors")
	}
	k, err := security.NewKeyring(time.Now())
	if err != nil {
		return nil, fmt.Errorf("generate keyring: %w", err)
	}
	if err := security.CreateKeyringFile(src.path, k); errors.Is(err, fs.ErrExist) {
		return src.load() // another node sharing the data directory created it first
	} else if err != nil {
		return nil, err
	}
	log.Warn().Str("path", src.path).Msg("created a new encryption keyring; back it up: without it, stored PII cannot be read")
	return k, nil
}

// missingKeyringError refuses to start without the keyring the store needs.
func missingKeyringError(src keyringSource, why string) error {
	return fmt.Errorf("keyring %s is missing and %s: restore %s from your backup (see %s), "+
		"or point --keyring-file or HELPR_KEYRING at it; helpr never creates a new keyring over sealed data",
		src, why, src, backupDoc)
}

// recordedFingerprint returns the store's recorded fingerprint, "" if none.
func recordedFingerprint(ctx context.Context, store storage.MetaStore) (security.KeyringFingerprint, error) {
	v, err := store.Meta(ctx, storage.MetaKeyringFingerprint)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the keyring fingerprint: %w", err)
	}
	return security.KeyringFingerprint(v), nil
}

// recordFingerprint checks that fp covers recorded (every key version the
// store may hold values under is in the keyring) and then records fp:
// after a rotation the recorded fingerprint grows with the keyring. The
// write is a compare-and-set; a node that lost the race to another checks
// again against what that one recorded.
func recordFingerprint(ctx context.Context, store storage.MetaStore, fp, recorded security.KeyringFingerprint, src keyringSource, log zerolog.Logger) error {
	for range 3 {
		if recorded != "" {
			if err := fp.Covers(recorded); err != nil {
				return fmt.Errorf("keyring %s does not match the store: %w; restore the keyring the store was sealed with from your backup (see %s)",
					src, err, backupDoc)
			}
			if fp == recorded {
				return nil
			}
		}
		ok, err := store.SwapMeta(ctx, storage.MetaKeyringFingerprint, string(recorded), string(fp))
		if err != nil {
			return fmt.Errorf("record the keyring fingerprint: %w", err)
		}
		if ok {
			log.Info().Str("keyring", fp.ID()).Msg("recorded the keyring fingerprint in the store")
			return nil
		}
		if recorded, err = recordedFingerprint(ctx, store); err != nil {
			return err
		}
	}
	return errors.New("record the keyring fingerprint: it keeps changing (other nodes starting with other keyrings?)")
}

// guardKeyring refuses k when it does not cover the fingerprint store
// recorded, and records k's otherwise, as a server start does: `keys
// reencrypt` after a rotation seals under the new version, so the record
// must hold it from then on even before any server restarts.
func guardKeyring(ctx context.Context, store storage.MetaStore, k *security.Keyring, src keyringSource) error {
	recorded, err := recordedFingerprint(ctx, store)
	if err != nil {
		return err
	}
	return recordFingerprint(ctx, store, k.Fingerprint(), recorded, src, zerolog.Nop())
}

// checkKeyring refuses k when it does not cover the fingerprint store
// recorded (restore's final check). It records nothing.
func checkKeyring(ctx context.Context, store storage.MetaStore, k *security.Keyring, src keyringSource) error {
	recorded, err := recordedFingerprint(ctx, store)
	if err != nil || recorded == "" {
		return err
	}
	if err := k.Fingerprint().Covers(recorded); err != nil {
		return fmt.Errorf("keyring %s does not match the store: %w (see %s)", src, err, backupDoc)
	}
	return nil
}
