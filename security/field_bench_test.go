package security

import "testing"

// BenchmarkSealField seals one visitor email (AES-256-GCM, 16-byte IV,
// envelope encoding): the cost added to every visitor write per field.
func BenchmarkSealField(b *testing.B) {
	_, c := newCipher(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Seal("vera.mueller@example.test", "vis_abcdefghijklmnopqrstuvwxyz", fieldVisitorEmail); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenField opens one sealed visitor email: the cost added to
// every visitor read per field.
func BenchmarkOpenField(b *testing.B) {
	_, c := newCipher(b)
	s := mustSeal(b, c, "vera.mueller@example.test", "vis_abcdefghijklmnopqrstuvwxyz", fieldVisitorEmail)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Open(s, "vis_abcdefghijklmnopqrstuvwxyz", fieldVisitorEmail); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlindIndex computes the blind index of an email (normalisation
// and HMAC-SHA-256).
func BenchmarkBlindIndex(b *testing.B) {
	_, c := newCipher(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(c.BlindIndex("org_bench", " Vera.Mueller@Example.test ")) != blindIndexLen {
			b.Fatal("short index")
		}
	}
}
