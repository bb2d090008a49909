package httpx

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func BenchmarkClientIP(b *testing.B) {
	res := NewClientIPResolver([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 1.2.3.4, 10.0.0.2")
	b.ReportAllocs()
	for b.Loop() {
		_ = res.ClientIP(r)
	}
}

func BenchmarkBearerToken(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer hla_0123456789abcdefghijklmnopqrstuvwxyz0123456")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = BearerToken(r)
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:5000", "1.2.3.4, 10.0.0.2")
	f.Add("[::ffff:10.0.0.1]:1", "2001:db8::1,,garbage")
	f.Add("10.0.0.1:1", "fe80::1%eth0")
	res := NewClientIPResolver([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := res.ClientIP(r)
		peer, ok := parseAddr(remote)
		if !ok {
			if got != hostOnly(remote) {
				t.Fatalf("unparsable peer %q gave %q", remote, got)
			}
			return
		}
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("result %q is not an address", got)
		}
		if !res.isTrusted(peer) && got != peer.String() {
			t.Fatalf("untrusted peer %q: header %q was believed (%q)", remote, xff, got)
		}
	})
}
