package storage

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPreviewOf(t *testing.T) {
	long := strings.Repeat("a", PreviewLength)
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", ""},
		{"only space", " \t\r\n\u00a0\u2003 ", ""},
		{"short", "hello", "hello"},
		{"collapsed and trimmed", "  hello,\n\n\tworld \u00a0 again\r\n", "hello, world again"},
		{"exactly the length", long, long},
		{"one rune over", long + "b", long[:PreviewLength-1] + "…"},
		{"space at the cut is dropped", strings.Repeat("a", PreviewLength-2) + " bcd", strings.Repeat("a", PreviewLength-2) + "…"},
		{"collapsing keeps it under", strings.Repeat("a ", PreviewLength/2) + "     ", strings.TrimSpace(strings.Repeat("a ", PreviewLength/2))},
		{"multibyte counted in runes", strings.Repeat("é", PreviewLength), strings.Repeat("é", PreviewLength)},
		{"multibyte cut", strings.Repeat("東京", PreviewLength), strings.Repeat("東京", PreviewLength/2)[:3*(PreviewLength-1)] + "…"},
		{"emoji cut", strings.Repeat("😀", PreviewLength+1), strings.Repeat("😀", PreviewLength-1) + "…"},
		{"invalid bytes replaced", "ok \xff\xfe end", "ok \ufffd\ufffd end"},
	} {
		got := PreviewOf(tc.text)
		if got != tc.want {
			t.Errorf("%s: PreviewOf(%q) = %q, want %q", tc.name, tc.text, got, tc.want)
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > PreviewLength {
			t.Errorf("%s: %q is not valid UTF-8 of at most %d runes", tc.name, got, PreviewLength)
		}
	}
}

// FuzzPreviewOf: any text gives a short, valid, trimmed preview without
// runs of white space.
func FuzzPreviewOf(f *testing.F) {
	for _, seed := range []string{"", "a  b", "\xff", strings.Repeat("é ", 200), "\u00a0x\u2028y"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := PreviewOf(text)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > PreviewLength {
			t.Fatalf("PreviewOf(%q) = %q: invalid or too long", text, got)
		}
		if got != strings.TrimSpace(got) || strings.Contains(got, "  ") || strings.ContainsAny(got, "\t\n\r") {
			t.Fatalf("PreviewOf(%q) = %q: white space not collapsed", text, got)
		}
		if strings.TrimSuffix(got, "…") == got && len(strings.Fields(got)) != len(strings.Fields(text)) {
			t.Fatalf("PreviewOf(%q) = %q: an uncut preview lost words", text, got)
		}
	})
}

// BenchmarkPreviewOf: the preview is computed for every appended message,
// outside the store's write path; a long text costs no more than the cut.
func BenchmarkPreviewOf(b *testing.B) {
	for name, text := range map[string]string{
		"short": "Hi, my order has not arrived yet, can you check?",
		"long":  strings.Repeat("Grüße aus Köln, 東京 und anderswo. ", 500),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				PreviewOf(text)
			}
		})
	}
}
