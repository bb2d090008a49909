package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// pidFile is the file --pid-file names: written once the server listens,
// removed when it stops. A nil *pidFile (no --pid-file) does nothing.
type pidFile struct{ path string }

// claimPIDFile checks that path may be written: it is absent, or holds the
// pid of a process that is no longer running. It refuses a file that names
// a live process (another helpr, most likely) and a file that is not a pid
// file at all, which a mistyped path could otherwise overwrite and delete.
func claimPIDFile(path string) (*pidFile, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &pidFile{path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--pid-file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return nil, fmt.Errorf("--pid-file %s exists and does not hold a pid; remove it or choose another path", path)
	}
	if pid != os.Getpid() && processAlive(pid) {
		return nil, fmt.Errorf("--pid-file %s: process %d is running (another helpr?); stop it or remove the file", path, pid)
	}
	return &pidFile{path: path}, nil
}

// processAlive reports whether a process with this pid exists. A process
// of another user (EPERM) exists too.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// write records this process's pid and a newline, mode 0644, replacing the
// file in one rename so that a reader never sees it half written.
func (p *pidFile) write() error {
	if p == nil {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.path), ".helpr-pid-*")
	if err != nil {
		return fmt.Errorf("--pid-file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	_, err = fmt.Fprintf(tmp, "%d\n", os.Getpid())
	err = errors.Join(err, tmp.Chmod(0o644), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), p.path)
	}
	if err != nil {
		return fmt.Errorf("--pid-file: %w", err)
	}
	return nil
}

// remove deletes the file if it still holds this process's pid.
func (p *pidFile) remove() {
	if p == nil {
		return
	}
	b, err := os.ReadFile(p.path)
	if err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		_ = os.Remove(p.path)
	}
}
