package mongo

import (
	"slices"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// TestSearchWordPrefixesCaseFolded pins the search semantics beyond the
// conformance suite: word prefixes, Unicode case folding, diacritics
// removed as SQLite's FTS5 removes them, and digits and marks as word
// characters.
func TestSearchWordPrefixesCaseFolded(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	texts := map[string]string{
		"a": "Héllo wörld, ÉCOLE ouverte",
		"b": "order 4711 shipped",
		"c": "wörlds apart",
	}
	for _, id := range []string{"a", "b", "c"} {
		m := textMessage(c, id, len(id))
		m.ID, m.Text = "msg_"+id, texts[id]
		if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	for query, want := range map[string][]string{
		"école":        {"msg_a"},
		"HÉLLO WÖRLD":  {"msg_a"},
		"wör":          {"msg_c", "msg_a"}, // a prefix of a word
		"wor":          {"msg_c", "msg_a"}, // diacritics removed
		"rld":          nil,                // but not of its tail
		"öR":           {"msg_b"},          // "or" starts "order"
		"wörlds":       {"msg_c"},
		"ecole":        {"msg_a"},
		"e\u0301c":     {"msg_a"}, // a combining accent is removed too
		"\u0301":       nil,       // and alone is no word
		"éc":           {"msg_a"},
		"HELLO éc":     {"msg_a"},
		"4711":         {"msg_b"},
		"471":          {"msg_b"},
		"711":          nil,
		"order.*":      {"msg_b"}, // punctuation only separates words
		"ord.+ship":    {"msg_b"},
		"ouverte 4711": nil, // every word must match
	} {
		list, err := s.SearchMessages(t.Context(), c.OrgID, query, 0)
		if err != nil {
			t.Errorf("search %q: %v", query, err)
			continue
		}
		got := ids(list)
		if !slices.Equal(got, want) {
			t.Errorf("search %q = %v, want %v", query, got, want)
		}
	}
}

func ids(list []storage.Message) []string {
	var out []string
	for _, m := range list {
		out = append(out, m.ID)
	}
	return out
}
