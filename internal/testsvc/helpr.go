package testsvc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	helprOnce sync.Once
	helprPath string
	helprErr  error
)

// HelprBinary builds the real helpr binary (cmd/helpr) once per test
// binary, into a temporary directory, and returns its path. The tests that
// drive `helpr serve` as a process (cmd/helpr, cmd/helpr-bench,
// internal/chaos) share it.
func HelprBinary(t testing.TB) string {
	t.Helper()
	helprOnce.Do(func() {
		dir, err := os.MkdirTemp("", "helpr-bin-")
		if err != nil {
			helprErr = err
			return
		}
		helprPath = filepath.Join(dir, "helpr")
		out, err := exec.Command("go", "build", "-o", helprPath, "github.com/helpr-chat/helpr/cmd/helpr").CombinedOutput()
		if err != nil {
			helprErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if helprErr != nil {
		t.Fatal(helprErr)
	}
	return helprPath
}

// LockedBuffer collects a process's output: an io.Writer whose content can
// be read while it is written. Safe for concurrent use.
type LockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write implements io.Writer.
func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RemoveHelprBinary deletes the binary HelprBinary built, if any; call it
// from TestMain once the tests are done.
func RemoveHelprBinary() {
	if helprPath != "" {
		_ = os.RemoveAll(filepath.Dir(helprPath))
	}
}
