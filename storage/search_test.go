package storage

import (
	"slices"
	"testing"
)

func TestSearchWords(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", nil},
		{`"foo OR (`, []string{"foo", "OR"}},
		{`hello" OR "x`, []string{"hello", "OR", "x"}},
		{"NEAR(a b) col:x ^y z*", []string{"NEAR", "a", "b", "col", "x", "y", "z"}},
		{"Hello hello HELLO", []string{"Hello"}},
		{"naïve café 東京", []string{"naïve", "café", "東京"}},
		{"e\u0301t\u00e9", []string{"e\u0301t\u00e9"}}, // combining mark stays in the word
		{"\x00\"'`;--", nil},
	} {
		if got := SearchWords(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("SearchWords(%q) = %q, want %q", tc.query, got, tc.want)
		}
	}
}
