package security

import (
	"fmt"
	"os"
	"path/filepath"
)

// LoadKeyringFile reads and validates the keyring at path (see
// ParseKeyring). It refuses a file that is not a regular file or whose mode
// gives group or others any access, and says how to fix it (chmod 600). A
// missing file is an error wrapping fs.ErrNotExist.
func LoadKeyringFile(path string) (*Keyring, error) {
	data, err := readPrivateFile(path, "keyring", maxKeyringBytes)
	if err != nil {
		return nil, err
	}
	k, err := ParseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("load keyring %s: %w", path, err)
	}
	return k, nil
}

// WriteKeyringFile writes k to path atomically with mode 0600: a temporary
// file in the same directory is written, synced and renamed over path, so
// a crash leaves either the old keyring or the new one, never a torn file.
func WriteKeyringFile(path string, k *Keyring) error {
	data, err := k.Marshal()
	if err != nil {
		return fmt.Errorf("write keyring %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := writeTempPrivate(dir, ".keyring-*", data)
	defer os.Remove(tmp)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("write keyring %s: %w", path, err)
	}
	return nil
}

// CreateKeyringFile writes k to path like WriteKeyringFile, but only if no
// file is there: it links the finished file into place, so of several
// processes creating the same keyring at once exactly one succeeds and the
// others get an error wrapping fs.ErrExist (and should load the winner's).
func CreateKeyringFile(path string, k *Keyring) error {
	data, err := k.Marshal()
	if err != nil {
		return fmt.Errorf("create keyring %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := writeTempPrivate(dir, ".keyring-*", data)
	defer os.Remove(tmp)
	if err == nil {
		err = os.Link(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("create keyring %s: %w", path, err)
	}
	return nil
}
