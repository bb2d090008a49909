package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/storetest"
)

// openTemp opens a store on a new file under t.TempDir().
func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "helpr.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Store {
		s, _ := openTemp(t)
		return s
	})
}
