package mongo

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	_ "modernc.org/sqlite" // FTS5, the reference for foldWord

	"github.com/helpr-chat/helpr/storage"
)

// fts5Tokens returns the tokens SQLite's FTS5 tokenizer "unicode61
// remove_diacritics 2" (the SQLite backend's) makes of text, in order.
func fts5Tokens(t *testing.T, text string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2')`,
		`CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO t (rowid, x) VALUES (1, ?)`, text); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT term FROM v ORDER BY offset`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var term string
		if err := rows.Scan(&term); err != nil {
			t.Fatal(err)
		}
		out = append(out, term)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFoldWordMatchesFTS5 tokenizes "x<r>x" for every letter, digit and
// mark r of the Latin, Greek and Cyrillic blocks of Unicode 6.1 (FTS5's
// tables; Greek U+037F and Cyrillic U+0528.. came later) and of the
// combining diacritics with FTS5, and checks that foldWord gives the
// token: the same lower-casing and diacritic removal. A combining mark FTS5
// does not drop splits its word; foldWord must keep it then.
func TestFoldWordMatchesFTS5(t *testing.T) {
	var runes []rune
	for _, rg := range [][2]rune{{0, 0x24F}, {0x300, 0x36F}, {0x370, 0x37E}, {0x380, 0x527}, {0x1E00, 0x1FFF}} {
		for r := rg[0]; r <= rg[1]; r++ {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
				runes = append(runes, r)
			}
		}
	}
	words := make([]string, len(runes))
	for i, r := range runes {
		words[i] = "x" + string(r) + "x"
	}
	tokens := fts5Tokens(t, strings.Join(words, " "))
	for _, r := range runes {
		if len(tokens) == 0 {
			t.Fatalf("FTS5 tokens end before %U", r)
		}
		want, split := tokens[0], len(tokens) > 1 && tokens[0] == "x" && tokens[1] == "x"
		tokens = tokens[1:]
		if split { // FTS5 splits at a mark it keeps
			tokens = tokens[1:]
			want = "x" + string(r) + "x"
		}
		if got := foldWord("x" + string(r) + "x"); got != want {
			t.Errorf("foldWord(x%cx) (%U) = %q, FTS5 %q", r, r, got, want)
		}
	}
	if len(tokens) != 0 {
		t.Errorf("%d FTS5 tokens left over", len(tokens))
	}
}

func TestMessageWords(t *testing.T) {
	for text, want := range map[string][]string{
		"":                              {},
		"?!":                            {},
		"École ecole ÉCOLE e\u0301cole": {"ecole"},
		"Straße Ærø łódź":               {"straße", "ærø", "łodz"},
		"ΛΌΓΟΣ λόγος":                   {"λόγοσ"},
		"refund: order #12, order 12!":  {"refund", "order", "12"},
		"a\u0301 \u0301 b":              {"a", "b"}, // a lone diacritic is no word
		"東京タワー 2024年":                   {"東京タワー", "2024年"},
	} {
		got := messageWords(text)
		if got == nil || !slices.Equal(got, want) {
			t.Errorf("messageWords(%q) = %#v, want %q", text, got, want)
		}
	}
}

func TestMessageWordsBounds(t *testing.T) {
	var many []string
	for i := range maxMessageWords + 50 {
		many = append(many, fmt.Sprint("w", i))
	}
	got := messageWords(strings.Join(many, " "))
	if !slices.Equal(got, many[:maxMessageWords]) {
		t.Errorf("messageWords of %d words keeps %d: first %q, last %q", len(many), len(got), got[0], got[len(got)-1])
	}
	long := strings.Repeat("é", 40) // 80 bytes, folded to 40
	if got := messageWords(long); !slices.Equal(got, []string{strings.Repeat("e", 40)}) {
		t.Errorf("messageWords(40 × é) = %q", got)
	}
	long = strings.Repeat("ж", 40) // 80 bytes: cut to 32 characters
	if got := messageWords(long); len(got) != 1 || got[0] != strings.Repeat("ж", 32) {
		t.Errorf("messageWords(40 × ж) = %q, want 32 × ж", got)
	}
	odd := "a" + strings.Repeat("ж", 40) // the cut falls inside a character
	if got := searchWord(odd); len(got) != 63 || !utf8.ValidString(got) {
		t.Errorf("searchWord(a + 40 × ж) = %q (%d bytes), want 63 valid bytes", got, len(got))
	}
}

func TestQueryWords(t *testing.T) {
	for _, tc := range []struct {
		terms, want []string
	}{
		{nil, nil},
		{[]string{"\u0301"}, nil},
		{[]string{"Éc", "ec", "\u0301", "ORD"}, []string{"ec", "ord"}},
		{[]string{strings.Repeat("a", 100)}, []string{strings.Repeat("a", maxWordBytes)}},
	} {
		if got := queryWords(tc.terms); !slices.Equal(got, tc.want) {
			t.Errorf("queryWords(%q) = %q, want %q", tc.terms, got, tc.want)
		}
	}
}

// FuzzMessageWords: any text gives at most maxMessageWords distinct,
// non-empty words of at most maxWordBytes valid UTF-8 bytes, each of which
// finds the message: as a query it folds to itself, and its anchored
// pattern is a literal.
func FuzzMessageWords(f *testing.F) {
	for _, seed := range []string{"", "Refund for order 12", "À l'ÉCOLE e\u0301", "ΛΌΓΟΣ µ", "a+b (cd) ^ij$ \\op",
		strings.Repeat("ж", 40), "\xff\xfeok", "नमस्ते 東京", "\u0301\u0301"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		words := messageWords(text)
		if words == nil || len(words) > maxMessageWords {
			t.Fatalf("messageWords(%q): %d words (nil %v)", text, len(words), words == nil)
		}
		seen := map[string]bool{}
		for _, w := range words {
			if w == "" || len(w) > maxWordBytes || !utf8.ValidString(w) || seen[w] {
				t.Fatalf("messageWords(%q) has %q: empty, too long, invalid or repeated", text, w)
			}
			seen[w] = true
			if q := queryWords(storage.SearchWords(w)); !slices.Equal(q, []string{w}) {
				t.Errorf("word %q of %q searched as %q", w, text, q)
			}
		}
	})
}
