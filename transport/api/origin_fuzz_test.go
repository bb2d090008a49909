package api

import "testing"

// The origin matcher admits a browser's Origin only when it is exactly an
// allowed origin in canonical form: no case, default-port, trailing-dot or
// path variant of an allowed origin slips through, and whatever matches is
// itself canonical.
func FuzzOriginAllowed(f *testing.F) {
	for _, p := range [][2]string{
		{"https://example.com", "https://example.com"},
		{"https://example.com", "https://EXAMPLE.com"},
		{"https://example.com:443", "https://example.com"},
		{"https://example.com", "https://example.com."},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"https://example.com", "https://example.com/"},
		{"https://a.example", "https://a.example.evil.com"},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, raw, origin string) {
		allowed, err := normOrigin(raw)
		if err != nil {
			return
		}
		if !originAllowed(origin, []string{allowed}) {
			return
		}
		if origin != allowed {
			t.Fatalf("%q admitted for allowed %q", origin, allowed)
		}
		if again, err := normOrigin(origin); err != nil || again != origin {
			t.Fatalf("admitted origin %q is not canonical (%q, %v)", origin, again, err)
		}
	})
}
