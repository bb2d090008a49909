package security

import (
	"strings"
	"testing"
)

// ParseKey takes attacker input (any bearer token): it never panics, and
// whatever it accepts has the exact format — a known kind and mode prefix,
// 38 base62 characters, and the checksum of the rest.
func FuzzParseKey(f *testing.F) {
	for _, kind := range []string{KeyKindSecret, KeyKindPublishable} {
		for _, mode := range []string{KeyModeLive, KeyModeTest} {
			k, err := NewAPIKey(kind, mode)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(k)
			f.Add(k[:len(k)-1] + "0")
		}
	}
	for _, s := range []string{"", "sk_", "sk_live_", "pk_abc", "hla_" + strings.Repeat("a", 42), "sk_live_\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		info, ok := ParseKey(in)
		if !ok {
			if info != (APIKeyInfo{}) {
				t.Fatalf("%q refused with info %+v", in, info)
			}
			return
		}
		if len(in) != apiKeyLen {
			t.Fatalf("%q accepted with length %d", in, len(in))
		}
		want := map[string]string{KeyKindSecret: "sk_", KeyKindPublishable: "pk_"}[info.Kind] + info.Mode + "_"
		if in[:8] != want {
			t.Fatalf("%q accepted as %+v", in, info)
		}
		for _, c := range in[8:] {
			if !strings.ContainsRune(base62, c) {
				t.Fatalf("%q accepted with non-base62 %q", in, c)
			}
		}
		if keyChecksum(in[:len(in)-KeyChecksumLen]) != in[len(in)-KeyChecksumLen:] {
			t.Fatalf("%q accepted with a wrong checksum", in)
		}
	})
}
