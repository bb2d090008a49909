package webhook

import (
	"errors"
	"net/netip"
	"testing"
)

func TestInternalAddresses(t *testing.T) {
	internal := []string{
		"127.0.0.1", "127.8.9.10", "::1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.254", "0.0.0.0", "::", "224.0.0.1",
		"239.255.255.250", "255.255.255.255", "fc00::1", "fd00:ec2::254", "fe80::1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe", "2002:7f00:1::",
		"::127.0.0.1", "64:ff9b:1::1", "198.18.0.1", "240.0.0.1", "192.0.0.8",
	}
	for _, s := range internal {
		if !Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s is not internal", s)
		}
	}
	public := []string{"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.32.0.1", "2606:4700::1111",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::"}
	for _, s := range public {
		if Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s is internal", s)
		}
	}
}

func TestGuardAllowHosts(t *testing.T) {
	g, err := newGuard([]string{"10.1.0.0/16", "127.0.0.1", "Hooks.Internal."})
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{"10.1.2.3": true, "10.2.0.1": false, "127.0.0.1": true,
		"::ffff:127.0.0.1": true, "127.0.0.2": false, "8.8.8.8": true} {
		if got := g.ipAllowed(netip.MustParseAddr(s)); got != want {
			t.Errorf("ipAllowed(%s) = %v, want %v", s, got, want)
		}
	}
	if !g.hostAllowed("hooks.internal") || g.hostAllowed("internal") {
		t.Error("host names are matched exactly, case-insensitively")
	}
	if err := g.control("tcp", "127.0.0.2:80", nil); !errors.Is(err, ErrAddressRefused) {
		t.Errorf("control 127.0.0.2: %v", err)
	}
	if err := g.control("tcp", "[::ffff:169.254.169.254]:80", nil); !errors.Is(err, ErrAddressRefused) {
		t.Errorf("control mapped metadata: %v", err)
	}
	if _, err := newGuard([]string{"http://x"}); err == nil {
		t.Error("a URL accepted as an allowed host")
	}
}

func TestCheckURL(t *testing.T) {
	refused := []string{"http://2130706433/", "http://0x7f.0.0.1/", "http://127.1/", "http://127.0.0.1/x", "http://localhost:8080/", "https://10.0.0.1/", "http://[::1]/",
		"http://[::ffff:127.0.0.1]/", "http://169.254.169.254/latest/meta-data", "http://100.64.1.1/",
		"http://0.0.0.0/", "http://[fd00::1]/"}
	for _, u := range refused {
		if err := CheckURL(u, nil); !errors.Is(err, ErrURLRefused) {
			t.Errorf("CheckURL(%s) = %v, want refused", u, err)
		}
	}
	invalid := []string{"", "ftp://example.com/", "https://user:pw@example.com/", "https:///x", "mailto:a@b",
		"https://example.com/#frag", "https://example.com:0/", "https://example.com:99999/",
		"https://example.com/" + string(make([]byte, MaxURLBytes))}
	for _, u := range invalid {
		if err := CheckURL(u, nil); !errors.Is(err, ErrInvalidURL) {
			t.Errorf("CheckURL(%.40q) = %v, want invalid", u, err)
		}
	}
	for _, c := range []struct{ url, allow string }{
		{"http://127.0.0.1:9000/hook", "127.0.0.1"}, {"http://localhost/", "localhost"},
		{"https://10.9.8.7/", "10.0.0.0/8"}, {"https://8.8.8.8/", ""},
	} {
		if err := CheckURL(c.url, []string{c.allow}); err != nil {
			t.Errorf("CheckURL(%s, %s) = %v", c.url, c.allow, err)
		}
	}
}
