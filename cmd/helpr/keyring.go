package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security"
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

// openKeyring loads the server's keyring. Only the default location (no
// --keyring-file, no HELPR_KEYRING) is created when absent, on first start,
// and the log says so.
func openKeyring(cfg Config, log zerolog.Logger) (*security.Keyring, error) {
	src := keyringSourceOf(cfg)
	k, err := src.load()
	if err == nil || src.json != "" || src.explicit || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = security.NewKeyring(time.Now())
	if err != nil {
		return nil, fmt.Errorf("generate keyring: %w", err)
	}
	if err := src.save(k); err != nil {
		return nil, fmt.Errorf("write keyring %s: %w", src.path, err)
	}
	log.Warn().Str("path", src.path).Msg("created a new encryption keyring; back it up: without it, stored PII cannot be read")
	return k, nil
}
