package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/storetest"
)

// openTemp opens a store on a new file under t.TempDir().
func openTemp(t testing.TB, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "helpr.db")
	s, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Store {
		s, _ := openTemp(t)
		return syncedSearch{s}
	})
}

// syncedSearch is the Store with SyncSearch before every SearchMessages:
// the suite expects its own appends searchable at once, which the store
// promises only after SyncSearch (or within SearchLag).
type syncedSearch struct{ *Store }

func (s syncedSearch) SearchMessages(ctx context.Context, orgID, query string, limit int) ([]storage.Message, error) {
	if err := s.SyncSearch(ctx); err != nil {
		return nil, err
	}
	return s.Store.SearchMessages(ctx, orgID, query, limit)
}
