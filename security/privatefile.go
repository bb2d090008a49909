package security

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
)

// Secrets on disk (the keyring) live in private files:
// regular files that neither group nor others may access. These helpers
// read and write them safely.

// readPrivateFile returns at most max+1 bytes of the private file at path
// (so callers can tell an oversized file). It refuses a file that is not a
// regular file or whose mode gives group or others any access, saying how
// to fix it. what names the file in errors ("keyring", "secret"); a missing
// file is an error wrapping fs.ErrNotExist.
func readPrivateFile(path, what string, max int64) ([]byte, error) {
	fi, err := os.Stat(path) // before opening: opening a FIFO would block
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	if err := checkPrivateMode(path, what, fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil { // again on the open file, in case it was swapped
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	if err := checkPrivateMode(path, what, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("load %s %s: %w", what, path, err)
	}
	return data, nil
}

func checkPrivateMode(path, what string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("load %s %s: not a regular file", what, path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("load %s %s: mode %04o lets group or others access it; run chmod 600 %s",
			what, path, fi.Mode().Perm(), path)
	}
	return nil
}

// writeTempPrivate writes data to a new mode-0600 file in dir, synced and
// closed, and returns its name; the caller renames or links it into place
// and removes it in any case (removal fails harmlessly once renamed).
func writeTempPrivate(dir, pattern string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, pattern) // mode 0600
	if err != nil {
		return "", err
	}
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
	return tmp.Name(), err
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
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
