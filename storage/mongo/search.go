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

// wordChars is the regular-expression class of word characters: letters,
// decimal digits and combining marks, the same runes storage.SearchWords keeps.
// Go's regexp (FerretDB) and PCRE (MongoDB) read it alike.
const wordChars = `\p{L}\p{Nd}\p{M}`

// SearchMessages returns up to limit messages of the organisation whose
// text has, for every word of query, a word starting with it, newest first
// (limit <= 0 means 50, capped at 200): "ref ord" finds "refund for order
// 12", "der" does not find "order". Words are runs of letters, digits and
// marks, matched case-insensitively as word prefixes; every other
// character only separates words, so no query syntax reaches the server.
// A query without words matches nothing; one with more than 256 distinct
// words is an error.
//
// Each word becomes an escaped (regexp.QuoteMeta), case-insensitive
// regular expression anchored at the start of a word, and all must match.
// A text index cannot narrow the candidates ($text matches whole terms
// only), so the query walks the organisation's messages newest first on
// the (org_id, created_at, ins) index until limit match. Unlike the SQLite
// backend, diacritics are significant ("ecole" does not find "école").
func (s *Store) SearchMessages(ctx context.Context, orgID, query string, limit int) ([]storage.Message, error) {
	terms := storage.SearchWords(query)
	if len(terms) == 0 {
		return nil, nil
	}
	if len(terms) > maxSearchTerms {
		return nil, fmt.Errorf("search messages: more than %d words", maxSearchTerms)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "$and", Value: wordFilters(terms)}}
	n := clamp(limit, defaultSearchLimit, maxSearchLimit)
	list, err := findAll[messageDoc](ctx, s.coll(collMessages), filter, sorted(n, desc("created_at"), desc("ins")))
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return convert(list, messageDoc.message), nil
}

// prefixRegex matches a word starting with term, case-insensitively: term
// at the start of the text or after a character that is not a word
// character. Metacharacters in term are escaped, though SearchWords leaves
// none.
func prefixRegex(term string) bson.Regex {
	pattern := `(?:^|[^` + wordChars + `])` + regexp.QuoteMeta(term)
	return bson.Regex{Pattern: pattern, Options: "i"}
}

// wordFilters returns one text condition per term, for $and.
func wordFilters(terms []string) bson.A {
	conds := make(bson.A, len(terms))
	for i, t := range terms {
		conds[i] = bson.D{{Key: "text", Value: prefixRegex(t)}}
	}
	return conds
}
