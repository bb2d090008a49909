package mongo

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/helpr-chat/helpr/storage"
)

// Bounds of a message's words array (messageWords): a message is indexed
// under its first maxMessageWords distinct words, each cut to
// maxWordBytes bytes (at a character boundary). Chat messages are at most
// 4,000 characters, so only unusually wordy ones lose words at the end;
// a word longer than the cut is found by any prefix of its first 64 bytes,
// and a longer query word is cut the same way (so it also finds words
// that only share those 64 bytes).
const (
	maxMessageWords = 200
	maxWordBytes    = 64
)

// messageWords returns the words a message is found by: the words of text
// as storage.SearchWords splits them (runs of letters, digits and marks),
// each folded by searchWord, distinct, in order of first appearance, at
// most maxMessageWords. It never returns nil, so every new message has a
// words array (the backfill looks for messages without one).
func messageWords(text string) []string {
	words := []string{}
	seen := make(map[string]bool)
	for _, w := range storage.SearchWords(text) {
		k := searchWord(w)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		words = append(words, k)
		if len(words) == maxMessageWords {
			break
		}
	}
	return words
}

// queryWords folds the words of a query like messageWords does, dropping
// words that fold to nothing (only removable diacritics), which SQLite's
// FTS5 ignores too.
func queryWords(terms []string) []string {
	var words []string
	seen := make(map[string]bool, len(terms))
	for _, t := range terms {
		if k := searchWord(t); k != "" && !seen[k] {
			seen[k] = true
			words = append(words, k)
		}
	}
	return words
}

// searchWord folds w (foldWord) and cuts it to maxWordBytes.
func searchWord(w string) string {
	k := foldWord(w)
	for len(k) > maxWordBytes {
		_, size := utf8.DecodeLastRuneInString(k)
		k = k[:len(k)-size]
	}
	return k
}

// foldWord lower-cases w and removes diacritics the way SQLite's FTS5
// tokenizer "unicode61 remove_diacritics 2" does (the SQLite backend's):
// a Latin letter with diacritics becomes its ASCII base letter ("É" and
// "ǖ" give "e" and "u"), and the combining diacritics FTS5 drops are
// dropped wherever they stand ("e\u0301" gives "e", as does "é"). Letters
// FTS5 keeps (ø, ł, ß, æ; Greek and Cyrillic accents) are kept, and the
// Greek variants FTS5 folds to their usual letter ("ς" to "σ", "µ" to
// "μ") are folded too. TestFoldWordMatchesFTS5 holds this to SQLite's
// tokenizer. What remains different is word splitting and Unicode
// versions, not folding: FTS5 uses Unicode 6.1 tables, so letters added
// since are lower-cased here only (or, unknown to FTS5, split its words),
// and it splits words at combining marks other than the dropped
// diacritics (Devanagari vowel signs, say), which storage.SearchWords
// keeps inside the word.
func foldWord(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range w {
		if isDroppedDiacritic(r) {
			continue
		}
		r = unicode.ToLower(r)
		if f, ok := greekFolds[r]; ok {
			r = f
		}
		b.WriteRune(latinBase(r))
	}
	return b.String()
}

// greekFolds are the case foldings FTS5 applies beyond lower-casing.
var greekFolds = map[rune]rune{
	'µ': 'μ', 'ς': 'σ', 'ϐ': 'β', 'ϑ': 'θ', 'ϕ': 'φ',
	'ϖ': 'π', 'ϰ': 'κ', 'ϱ': 'ρ', 'ϵ': 'ε', '\u1fbe': 'ι',
}

// droppedDiacritics has bit r-0x300 set for each combining diacritic
// U+0300..U+033F that FTS5's remove_diacritics drops (none lies above).
const droppedDiacritics uint64 = 0x361f808029fdf

func isDroppedDiacritic(r rune) bool {
	return r >= 0x300 && r < 0x340 && droppedDiacritics>>(r-0x300)&1 == 1
}

// latinBase returns the ASCII base letter of a Latin letter with
// diacritics, or r itself.
func latinBase(r rune) rune {
	for _, t := range latinFolds {
		if i := int(r - t.first); i >= 0 && i < len(t.bases) {
			if c := t.bases[i]; c != '.' {
				return rune(c)
			}
			return r
		}
	}
	return r
}

// latinFolds maps the Latin blocks where FTS5 removes diacritics: byte i
// of bases is the base letter of rune first+i, or '.' where there is none.
// TestFoldWordMatchesFTS5 checks the tables against SQLite's tokenizer.
var latinFolds = []struct {
	first rune
	bases string
}{
	{0x00C0, "" + // Latin-1 Supplement (letters), Latin Extended-A and -B
		"aaaaaa.ceeeeiiii.nooooo..uuuuy..aaaaaa.ceeeeiiii.nooooo..uuuuy.y" + // U+00C0
		"aaaaaaccccccccdd..eeeeeeeeeegggggggghh..iiiiiiiii...jjkk.llllll." + // U+0100
		"...nnnnnn...oooooo..rrrrrrsssssssstttt..uuuuuuuuuuuuwwyyyzzzzzzs" + // U+0140
		"................................oo.............uu..............." + // U+0180
		".............aaiioouuuuuuuuuu.aa......ggkkoooo..j...gg..nnaa...." + // U+01C0
		"aaaaeeeeiiiioooorrrruuuusstt..hh......aaeeooooooooyy............"}, // U+0200
	{0x1E00, "" + // Latin Extended Additional
		"aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmm" + // U+1E00
		"mmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvv" + // U+1E40
		"wwwwwwwwwwxxxxyyzzzzzzhtwy.s....aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee" + // U+1E80
		"eeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy"}, // U+1EC0
}
