package geoip_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/security/geoip"
	"github.com/helpr-chat/helpr/security/geoip/geoiptest"
)

func openTest(t *testing.T) *geoip.Reader {
	t.Helper()
	city := geoiptest.WriteCity(t, map[string]geoiptest.City{
		"203.0.113.0/24":  {City: "Lisbon", Country: "Portugal"},
		"198.51.100.0/24": {Country: "Iceland"},
		"2001:db8:1::/48": {City: "Berlin", Country: "Germany"},
	})
	asn := geoiptest.WriteASN(t, map[string]string{
		"203.0.113.0/24":  "Example Telecom",
		"2001:db8:1::/48": "Example Fibre GmbH",
	})
	r, err := geoip.Open(city, asn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestLocate(t *testing.T) {
	r := openTest(t)
	for _, c := range []struct {
		ip   string
		want geoip.Place
	}{
		{"203.0.113.7", geoip.Place{Location: "Lisbon, Portugal", ISP: "Example Telecom"}},
		{"::ffff:203.0.113.7", geoip.Place{Location: "Lisbon, Portugal", ISP: "Example Telecom"}},
		{"198.51.100.9", geoip.Place{Location: "Iceland", ISP: geoip.Unknown}},
		{"2001:db8:1:2::5", geoip.Place{Location: "Berlin, Germany", ISP: "Example Fibre GmbH"}},
		{"192.0.2.1", geoip.Place{Location: geoip.Unknown, ISP: geoip.Unknown}},
		{"not an ip", geoip.Place{Location: geoip.Unknown, ISP: geoip.Unknown}},
		{"", geoip.Place{Location: geoip.Unknown, ISP: geoip.Unknown}},
	} {
		if got := r.Locate(c.ip); got != c.want {
			t.Errorf("Locate(%q) = %+v, want %+v", c.ip, got, c.want)
		}
	}
}

// Without databases (a nil Reader, or Open with no paths) every answer is
// unknown.
func TestLocateWithoutDatabases(t *testing.T) {
	var nilReader *geoip.Reader
	empty, err := geoip.Open("", "")
	if err != nil {
		t.Fatal(err)
	}
	want := geoip.Place{Location: geoip.Unknown, ISP: geoip.Unknown}
	for _, r := range []*geoip.Reader{nilReader, empty} {
		if got := r.Locate("203.0.113.7"); got != want {
			t.Errorf("Locate = %+v, want %+v", got, want)
		}
	}
	if err := nilReader.Close(); err != nil {
		t.Errorf("close nil reader: %v", err)
	}
}

// A file that is not a database, a missing file, and a database of the
// other kind are refused with an error naming the file.
func TestOpenRefusesBadFiles(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.mmdb")
	if err := os.WriteFile(junk, []byte("definitely not a MaxMind database"), 0o600); err != nil {
		t.Fatal(err)
	}
	asn := geoiptest.WriteASN(t, map[string]string{"203.0.113.0/24": "Example"})
	city := geoiptest.WriteCity(t, map[string]geoiptest.City{"203.0.113.0/24": {Country: "Portugal"}})
	for _, c := range []struct{ city, asn, name string }{
		{junk, "", junk},
		{filepath.Join(t.TempDir(), "missing.mmdb"), "", "missing.mmdb"},
		{asn, "", asn},
		{"", city, city},
	} {
		r, err := geoip.Open(c.city, c.asn)
		if err == nil {
			_ = r.Close()
			t.Errorf("Open(%q, %q) succeeded", c.city, c.asn)
			continue
		}
		if !strings.Contains(err.Error(), c.name) {
			t.Errorf("error %q does not name %s", err, c.name)
		}
	}
}
