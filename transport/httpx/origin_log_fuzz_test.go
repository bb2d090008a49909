package httpx

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// A refused Origin is attacker text headed for the log: what is logged is
// printable, quote-free and bounded, whatever arrived.
func FuzzCleanOrigin(f *testing.F) {
	for _, s := range []string{"https://evil.example", "\x1b[31mred", "a\"b", "\u202eevil", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := cleanOrigin(in)
		if !utf8.ValidString(out) || out == "" || utf8.RuneCountInString(out) > maxLoggedOrigin+1 {
			t.Fatalf("%q logged as %q", in, out)
		}
		for _, c := range out {
			if !unicode.IsPrint(c) || c == '"' {
				t.Fatalf("%q logged with %U", in, c)
			}
		}
	})
}
