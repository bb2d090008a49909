package storage

import (
	"strings"
	"unicode"
)

// SearchWords splits a search query into its distinct words (compared
// case-insensitively), in order of first appearance: maximal runs of
// letters, digits and combining marks. Every other character only separates
// words, so no query syntax of any backend can pass through. Backends match
// messages in which every word is the prefix of a word.
func SearchWords(query string) []string {
	words := strings.FieldsFunc(query, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	seen := make(map[string]bool, len(words))
	var terms []string
	for _, w := range words {
		k := strings.ToLower(w)
		if !seen[k] {
			seen[k] = true
			terms = append(terms, w)
		}
	}
	return terms
}
