package security

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
	fi, err := os.Stat(path) // before opening: opening a FIFO would block
	if err != nil {
		return nil, fmt.Errorf("load secret: %w", err)
	}
	if err := checkSecretMode(path, fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load secret: %w", err)
	}
	defer f.Close()
	fi, err = f.Stat() // again on the open file, in case it was swapped
	if err != nil {
		return nil, fmt.Errorf("load secret: %w", err)
	}
	if err := checkSecretMode(path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, secretLen+1))
	if err != nil {
		return nil, fmt.Errorf("load secret %s: %w", path, err)
	}
	if len(b) != secretLen {
		return nil, fmt.Errorf("load secret %s: holds %d bytes, want exactly %d", path, len(b), secretLen)
	}
	return b, nil
}

func checkSecretMode(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("load secret %s: not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("load secret %s: mode %04o lets group or others access it; run chmod 600 %s",
			path, fi.Mode().Perm(), path)
	}
	return nil
}

// createSecret writes a fresh secret to a temporary file in path's
// directory, syncs it, and hard-links it into place, which fails with
// fs.ErrExist if another process got there first.
func createSecret(path string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".secret-*") // mode 0600
	if err != nil {
		return fmt.Errorf("create secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(randomBytes(secretLen))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("create secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("create secret: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("create secret: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("create secret: sync %s: %w", dir, err)
	}
	return nil
}
