package security

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// secretLen is the size of the server secret: 256 bits.
const secretLen = 32

// LoadOrCreateSecret returns the 32-byte secret stored raw in the file at
// path, creating the file (mode 0600) with fresh random bytes if it does not
// exist. It refuses a file that is not a regular file, is readable or
// writable by group or others, or does not hold exactly 32 bytes. Creation
// is atomic: concurrent callers (two processes starting at once) all end up
// with the same secret.
func LoadOrCreateSecret(path string) (secret []byte, created bool, err error) {
	secret, err = loadSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return secret, false, err
	}
	if err := createSecret(path); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, err
		}
		secret, err = loadSecret(path) // lost the race to another creator
		return secret, false, err
	}
	secret, err = loadSecret(path)
	return secret, err == nil, err
}

func loadSecret(path string) ([]byte, error) {
	b, err := readPrivateFile(path, "secret", secretLen)
	if err != nil {
		return nil, err
	}
	if len(b) != secretLen {
		return nil, fmt.Errorf("load secret %s: holds %d bytes, want exactly %d", path, len(b), secretLen)
	}
	return b, nil
}

// createSecret writes a fresh secret to a temporary file in path's
// directory, syncs it, and hard-links it into place, which fails with
// fs.ErrExist if another process got there first.
func createSecret(path string) error {
	dir := filepath.Dir(path)
	tmp, err := writeTempPrivate(dir, ".secret-*", randomBytes(secretLen))
	defer os.Remove(tmp)
	if err == nil {
		err = os.Link(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("create secret: %w", err)
	}
	return nil
}
