package security

import (
	"errors"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Of several processes creating the same keyring file at once, exactly one
// writes it; the others get fs.ErrExist and the file holds the winner's.
func TestCreateKeyringFileHasOneWinner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	const n = 8
	rings := make([]*Keyring, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		rings[i] = newTestKeyringAt(t, time.Now().Add(time.Duration(i)))
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = CreateKeyringFile(path, rings[i]) }()
	}
	wg.Wait()
	got, err := LoadKeyringFile(path)
	if err != nil {
		t.Fatal(err)
	}
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			if got.Fingerprint() != rings[i].Fingerprint() {
				t.Errorf("the file holds another keyring than the winner's")
			}
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("loser %d: %v, want fs.ErrExist", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d winners, want 1", winners)
	}
	if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".keyring-*")); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
}
