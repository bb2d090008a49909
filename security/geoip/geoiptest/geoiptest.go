// Package geoiptest writes small MaxMind-format City and ASN databases for
// tests (with github.com/maxmind/mmdbwriter), so the geoip reader is tested
// against real files without shipping MaxMind's.
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// City is one network's record in a City database.
type City struct {
	City    string // English city name; "" leaves it out
	Country string // English country name
}

// WriteCity writes a "GeoLite2-City" database mapping each CIDR to its
// record into t's temporary directory and returns its path.
func WriteCity(t testing.TB, networks map[string]City) string {
	t.Helper()
	tree := newTree(t, "GeoLite2-City")
	for cidr, c := range networks {
		rec := mmdbtype.Map{"country": names(c.Country)}
		if c.City != "" {
			rec["city"] = names(c.City)
		}
		insert(t, tree, cidr, rec)
	}
	return write(t, tree, "city.mmdb")
}

// WriteASN writes a "GeoLite2-ASN" database mapping each CIDR to its
// organisation name and returns its path.
func WriteASN(t testing.TB, networks map[string]string) string {
	t.Helper()
	tree := newTree(t, "GeoLite2-ASN")
	for cidr, org := range networks {
		insert(t, tree, cidr, mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(64500),
			"autonomous_system_organization": mmdbtype.String(org),
		})
	}
	return write(t, tree, "asn.mmdb")
}

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(en)}}
}

// newTree starts an IPv6 database (IPv4 networks are mapped into it) that
// accepts reserved networks too, so tests can use 127.0.0.1 and
// documentation ranges.
func newTree(t testing.TB, dbType string) *mmdbwriter.Tree {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24,
		IncludeReservedNetworks: true, Languages: []string{"en"}})
	if err != nil {
		t.Fatalf("new mmdb tree: %v", err)
	}
	return tree
}

func insert(t testing.TB, tree *mmdbwriter.Tree, cidr string, rec mmdbtype.Map) {
	t.Helper()
	_, network, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatalf("network %q: %v", cidr, err)
	}
	if err := tree.Insert(network, rec); err != nil {
		t.Fatalf("insert %s: %v", cidr, err)
	}
}

func write(t testing.TB, tree *mmdbwriter.Tree, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		_ = f.Close()
		t.Fatalf("write %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
	return path
}
