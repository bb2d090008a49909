package httpx

import "testing"

// IPv4 keys by address, IPv6 by its /64, zone and mapping stripped.
func TestIPLimitKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1":                  "192.0.2.1",
		"::ffff:192.0.2.1":           "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":       "2001:db8:1:2::/64",
		"2001:DB8:1:2::9":            "2001:db8:1:2::/64",
		"fe80::1%eth0":               "fe80::/64",
		"::1":                        "::/64",
		"not an address":             "not an address",
		"2001:db8:ffff:ffff:1::":     "2001:db8:ffff:ffff::/64",
		"2001:db8:ffff:fffe:ffff::1": "2001:db8:ffff:fffe::/64",
	} {
		if got := IPLimitKey(in); got != want {
			t.Errorf("IPLimitKey(%q) = %q, want %q", in, got, want)
		}
	}
}
