package security

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadOrCreateSecretCreatesPrivateFileOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	s1, created, err := LoadOrCreateSecret(path)
	if err != nil || !created || len(s1) != 32 {
		t.Fatalf("first call: %d bytes, created=%v, err=%v", len(s1), created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v (err %v), want 0600", fi.Mode().Perm(), err)
	}
	s2, created, err := LoadOrCreateSecret(path)
	if err != nil || created || !bytes.Equal(s1, s2) {
		t.Fatalf("second call: created=%v err=%v same=%v", created, err, bytes.Equal(s1, s2))
	}
	if bytes.Equal(s1, make([]byte, 32)) {
		t.Fatal("secret is all zeros")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".secret-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestLoadOrCreateSecretRefusesExposedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if _, _, err := LoadOrCreateSecret(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o620, 0o644, 0o666} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if s, _, err := LoadOrCreateSecret(path); err == nil || s != nil {
			t.Errorf("mode %04o: accepted", mode)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		_ = os.Chmod(path, mode)
		if _, _, err := LoadOrCreateSecret(path); err != nil {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
}

func TestLoadOrCreateSecretRefusesWrongContent(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 31, 33, 64} {
		path := filepath.Join(dir, "secret")
		if err := os.WriteFile(path, bytes.Repeat([]byte{7}, n), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreateSecret(path); err == nil {
			t.Errorf("%d-byte file accepted", n)
		}
	}
	sub := filepath.Join(dir, "adir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateSecret(sub); err == nil {
		t.Error("a directory accepted as the secret file")
	}
	if _, _, err := LoadOrCreateSecret(filepath.Join(dir, "missing", "secret")); err == nil {
		t.Error("a path in a missing directory succeeded")
	}
}

func TestLoadOrCreateSecretConcurrentCreatorsAgree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	const n = 8
	secrets := make([][]byte, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			secrets[i], created[i], err = LoadOrCreateSecret(path)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	creators := 0
	for i := 0; i < n; i++ {
		if created[i] {
			creators++
		}
		if !bytes.Equal(secrets[i], secrets[0]) {
			t.Fatalf("caller %d got a different secret", i)
		}
	}
	if creators != 1 {
		t.Fatalf("%d callers report creating the secret, want 1", creators)
	}
}
