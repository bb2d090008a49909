package mongo

import (
	"context"
	"fmt"
	"regexp"
	"strings"

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
// text contains every word of query, newest first (limit <= 0 means 50,
// capped at 200). Words are runs of letters, digits and marks, matched
// case-insensitively as whole words; every other character only separates
// words, so no query syntax reaches the server. A query without words
// matches nothing; one with more than 256 distinct words is an error.
//
// Each word becomes an escaped, case-insensitive regular expression
// anchored at word boundaries, and all must match. When the server has the
// text index (MongoDB), a $text search for the words as phrases narrows
// the candidates first; the regular expressions still decide, so both
// paths return the same messages. Unlike the SQLite backend, diacritics
// are significant ("ecole" does not find "école").
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
	filter := bson.D{{Key: "org_id", Value: orgID}}
	if s.textSearch {
		filter = append(filter, bson.E{Key: "$text", Value: bson.D{{Key: "$search", Value: phrases(terms)}}})
	}
	filter = append(filter, bson.E{Key: "$and", Value: wordFilters(terms)})
	n := clamp(limit, defaultSearchLimit, maxSearchLimit)
	list, err := findAll[messageDoc](ctx, s.coll(collMessages), filter, sorted(n, desc("created_at"), desc("ins")))
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return convert(list, messageDoc.message), nil
}

// wordRegex matches term as a whole word, case-insensitively.
func wordRegex(term string) bson.Regex {
	pattern := `(?:^|[^` + wordChars + `])` + regexp.QuoteMeta(term) + `(?:$|[^` + wordChars + `])`
	return bson.Regex{Pattern: pattern, Options: "i"}
}

// wordFilters returns one text condition per term, for $and.
func wordFilters(terms []string) bson.A {
	conds := make(bson.A, len(terms))
	for i, t := range terms {
		conds[i] = bson.D{{Key: "text", Value: wordRegex(t)}}
	}
	return conds
}

// phrases quotes each term for $search, where quoted phrases must all
// occur. Terms hold only letters, digits and marks: nothing to escape.
func phrases(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"`
	}
	return strings.Join(quoted, " ")
}
