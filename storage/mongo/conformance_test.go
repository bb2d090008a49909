package mongo

import (
	"testing"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/storetest"
)

// openFresh opens a store on a new database of the test server (dropped
// when the test ends); extra options are passed to Open. The caller
// closes it.
func openFresh(t testing.TB, opts ...Option) (*Store, string) {
	t.Helper()
	uri := testsvc.MongoURI(t)
	db := testsvc.MongoDatabase(t)
	return openOn(t, uri, db, opts...), db
}

// openOn opens a store on database db at uri.
func openOn(t testing.TB, uri, db string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), uri, db, opts...)
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Store {
		s, _ := openFresh(t)
		return s
	})
}
