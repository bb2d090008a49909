package security

import (
	"errors"
	"strings"
	"testing"
)

// A stored PHC string is parsed strictly: whatever parses re-encodes to
// exactly the same string (one canonical form, so no two spellings of one
// hash) with parameters inside the ceiling that bounds a verification's
// cost; the parser itself never panics or allocates without bound.
func FuzzParseArgonHash(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=019456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=4294967295,t=1,p=1$AAAA$AAAA", "$argon2i$v=19$m=1,t=1,p=1$a$b",
		"$argon2id$v=19$t=2,m=19456,p=1$c2FsdA$a2V5", "$argon2id$v=16$m=8,t=1,p=1$$", "$$$$$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, err := parseArgonHash(in)
		if err != nil {
			if !errors.Is(err, errMalformedHash) {
				t.Fatalf("%q: error %v does not wrap errMalformedHash", in, err)
			}
			return
		}
		if h.String() != in {
			t.Fatalf("%q parsed but re-encodes as %q", in, h.String())
		}
		if err := h.params.checkCeiling(); err != nil {
			t.Fatalf("%q parsed with parameters over the ceiling: %v", in, err)
		}
	})
}

// A sealed value read back from the store is attacker-reachable (a
// tampered database row): Open of anything never panics, never opens
// what Seal did not produce for that record and field, and its error never
// quotes the value.
func FuzzOpenSealed(f *testing.F) {
	_, c := newCipher(f)
	good := mustSeal(f, c, "ada@example.com", "vis_1", fieldVisitorEmail)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(strings.Replace(good, ":1:", ":01:", 1))
	f.Add("hpe1:pii:1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("hpe1:pii:4294967296:x")
	f.Add("::::")
	f.Fuzz(func(t *testing.T, sealed string) {
		plain, err := c.Open(sealed, "vis_1", fieldVisitorEmail)
		if err != nil {
			if plain != "" {
				t.Fatalf("failed open returned %q", plain)
			}
			if len(sealed) > 12 && strings.Contains(err.Error(), sealed) {
				t.Fatalf("error %q quotes the value", err)
			}
			return
		}
		if sealed != "" && sealed != good && plain == "ada@example.com" {
			t.Fatalf("a forged envelope %q opened", sealed)
		}
		if _, err := c.Open(sealed, "vis_2", fieldVisitorEmail); err == nil && sealed != "" {
			t.Fatalf("%q opened for another record", sealed)
		}
	})
}

// Seal and Open round-trip any text for any record and field, and the
// binding holds: the same envelope does not open for another field.
func FuzzSealOpen(f *testing.F) {
	_, c := newCipher(f)
	f.Add("Ada Lovelace", "vis_1", fieldVisitorName)
	f.Add("", "vis_2", fieldVisitorPhone)
	f.Add("\x00\xff", "", "x")
	f.Fuzz(func(t *testing.T, plain, record, field string) {
		sealed, err := c.Seal(plain, record, field)
		if err != nil {
			return // an empty binding is refused
		}
		got, err := c.Open(sealed, record, field)
		if err != nil || got != plain {
			t.Fatalf("round trip of %q: %q, %v", plain, got, err)
		}
		if plain != "" {
			if _, err := c.Open(sealed, record, field+"x"); err == nil {
				t.Fatalf("envelope for %q opened for field %q", field, field+"x")
			}
		}
	})
}
