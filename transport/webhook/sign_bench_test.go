package webhook

import (
	"strings"
	"testing"
	"time"
)

// BenchmarkSignAndVerify signs a 1 KiB delivery body as the dispatcher does
// and verifies it as a receiver would (constant-time compare).
func BenchmarkSignAndVerify(b *testing.B) {
	secret := NewSecret()
	body := []byte(`{"data":"` + strings.Repeat("x", 1000) + `"}`)
	now := time.Unix(1_800_000_000, 0)
	b.ReportAllocs()
	for b.Loop() {
		h := Sign(secret, now, body)
		if err := Verify(secret, h, body, now, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
