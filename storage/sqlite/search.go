package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// Search limits (SearchMessages).
const (
	defaultSearchLimit = 50
	maxSearchLimit     = 200
	// maxSearchTerms bounds the MATCH expression; distinct words beyond it
	// make a query rejected rather than silently widened.
	maxSearchTerms = 256
)

// SearchMessages returns up to limit messages of the organisation whose
// text has, for every word of query, a word starting with it, newest first
// (limit <= 0 means 50, capped at 200): "ref ord" finds "refund for order
// 12", "der" does not find "order". Words are runs of letters, digits and
// marks, matched case- and diacritic-insensitively as token prefixes;
// every other character only separates words, so no query syntax reaches
// FTS5. A query without words matches nothing; one with more than 256
// distinct words is an error.
//
// Only indexed messages are found: a committed message becomes searchable
// within SearchLag under normal load (the indexer runs after the commit,
// off the ack path), or at once after SyncSearch.
func (s *Store) SearchMessages(ctx context.Context, orgID, query string, limit int) ([]storage.Message, error) {
	terms := storage.SearchWords(query)
	if len(terms) == 0 {
		return nil, nil
	}
	if len(terms) > maxSearchTerms {
		return nil, fmt.Errorf("search messages: more than %d words", maxSearchTerms)
	}
	const q = "SELECT " + messageCols + ` FROM messages
		WHERE org_id = ? AND rid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)
		ORDER BY created_at DESC, rid DESC LIMIT ?`
	n := clamp(limit, defaultSearchLimit, maxSearchLimit)
	list, err := queryList(ctx, s.r, scanMessage, q, orgID, matchExpr(terms), n)
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return list, nil
}

// matchExpr quotes each term as an FTS5 string (doubling any quote, though
// terms carry none), makes it a prefix query with a trailing *, and joins
// them with spaces: an implicit AND.
func matchExpr(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"*`
	}
	return strings.Join(quoted, " ")
}
