package api

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// syncedSearch is the SQLite store with SyncSearch before every
// SearchMessages: the tests search their own appends at once, which the
// store promises only after SyncSearch (the product's searches see a
// message within sqlite.SearchLag).
type syncedSearch struct{ *sqlite.Store }

func (s syncedSearch) SearchMessages(ctx context.Context, orgID, query string, limit int) ([]storage.Message, error) {
	if err := s.SyncSearch(ctx); err != nil {
		return nil, err
	}
	return s.Store.SearchMessages(ctx, orgID, query, limit)
}
