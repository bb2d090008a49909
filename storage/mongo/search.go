package mongo

import (
	"context"
	"fmt"
	"regexp"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// Search limits (SearchMessages).
const (
	defaultSearchLimit = 50
	maxSearchLimit     = 200
	// maxSearchTerms bounds the query; distinct words beyond it make a
	// query rejected rather than silently widened.
	maxSearchTerms = 256
)

// SearchMessages returns up to limit messages of the organisation whose
// text has, for every word of query, a word starting with it, newest first
// (limit <= 0 means 50, capped at 200): "ref ord" finds "refund for order
// 12", "der" does not find "order". Words are runs of letters, digits and
// marks (storage.SearchWords), matched case- and diacritic-insensitively
// (foldWord) as word prefixes; every other character only separates
// words, so no query syntax reaches the server. A query without words
// matches nothing; one with more than 256 distinct words is an error.
//
// Each message stores its folded words (messageWords); the query asks for
// a words element starting with each folded query word, with a
// case-sensitive regular expression anchored at the start. On MongoDB
// such a regex on the (org_id, words) multikey index is a range scan of
// the organisation's keys with that prefix, so a query that matches
// nothing reads no message, and the few candidates of a rare word are
// sorted newest first in memory (the planner may instead walk
// (org_id, created_at, ins) newest first when a word is common). FerretDB
// v1 answers every filter but a lone _id by scanning the collection: the
// results are the same there (the tests check them), only the index is
// not used.
func (s *Store) SearchMessages(ctx context.Context, orgID, query string, limit int) ([]storage.Message, error) {
	terms := storage.SearchWords(query)
	if len(terms) > maxSearchTerms {
		return nil, fmt.Errorf("search messages: more than %d words", maxSearchTerms)
	}
	words := queryWords(terms)
	if len(words) == 0 {
		return nil, nil
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	n := clamp(limit, defaultSearchLimit, maxSearchLimit)
	opts := sorted(n, desc("created_at"), desc("ins")).SetProjection(withoutWords)
	list, err := findAll[messageDoc](ctx, s.coll(collMessages), searchFilter(orgID, words), opts)
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return convert(list, messageDoc.message), nil
}

// searchFilter matches the organisation's messages that have, for every
// (folded) word, a words element starting with it:
//
//	{org_id: orgID, $and: [{words: /^ord/}, {words: /^ref/}]}
//
// The words come from queryWords, letters, digits and marks only; they are
// escaped anyway (regexp.QuoteMeta), so no input can change the pattern,
// and a pattern is never an operator. Without options and anchored with ^,
// each is a prefix MongoDB turns into index bounds.
func searchFilter(orgID string, words []string) bson.D {
	conds := make(bson.A, len(words))
	for i, w := range words {
		conds[i] = bson.D{{Key: "words", Value: bson.Regex{Pattern: "^" + regexp.QuoteMeta(w)}}}
	}
	return bson.D{{Key: "org_id", Value: orgID}, {Key: "$and", Value: conds}}
}
