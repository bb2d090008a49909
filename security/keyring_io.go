package security

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// LoadKeyringFile reads and validates the keyring at path (see
// ParseKeyring). It refuses a file that is not a regular file or whose mode
// gives group or others any access, and says how to fix it (chmod 600). A
// missing file is an error wrapping fs.ErrNotExist.
func LoadKeyringFile(path string) (*Keyring, error) {
	fi, err := os.Stat(path) // before opening: opening a FIFO would block
	if err != nil {
		return nil, fmt.Errorf("load keyring: %w", err)
	}
	if err := checkKeyringMode(path, fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load keyring: %w", err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil { // again on the open file, in case it was swapped
		return nil, fmt.Errorf("load keyring: %w", err)
	}
	if err := checkKeyringMode(path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyringBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load keyring %s: %w", path, err)
	}
	k, err := ParseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("load keyring %s: %w", path, err)
	}
	return k, nil
}

func checkKeyringMode(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("load keyring %s: not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("load keyring %s: mode %04o lets group or others access it; run chmod 600 %s",
			path, fi.Mode().Perm(), path)
	}
	return nil
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
	tmp, err := os.CreateTemp(dir, ".keyring-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write keyring %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = syncKeyringDir(dir)
	}
	if err != nil {
		return fmt.Errorf("write keyring %s: %w", path, err)
	}
	return nil
}

// syncKeyringDir makes the rename durable.
func syncKeyringDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
