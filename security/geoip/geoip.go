// Package geoip tells the approximate location and network operator of an
// IP address from MaxMind-format databases (GeoLite2/GeoIP2 City and ASN,
// or compatible ones such as DB-IP's), read with
// github.com/oschwald/maxminddb-golang/v2. Both databases are optional:
// without one, or for an address it does not know, the answer is Unknown.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Unknown is the location or ISP of an address no database knows.
const Unknown = "unknown"

// Place is what the databases say about one address.
type Place struct {
	Location string // "City, Country", "Country", or Unknown
	ISP      string // the network's organisation name, or Unknown
}

// Reader looks addresses up in an optional City and an optional ASN
// database. A nil *Reader answers Unknown for everything. It is safe for
// concurrent use.
type Reader struct {
	city *maxminddb.Reader
	asn  *maxminddb.Reader
}

// Open opens the City database at cityPath and the ASN database at
// asnPath; an empty path skips that database. A file that is not a
// MaxMind-format database, or holds the other kind, is an error naming it.
func Open(cityPath, asnPath string) (*Reader, error) {
	r := &Reader{}
	var err error
	if r.city, err = open(cityPath, "City", "Country", "Location"); err != nil {
		return nil, err
	}
	if r.asn, err = open(asnPath, "ASN", "ISP"); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// open opens path ("" means none) and checks that its database type names
// one of kinds.
func open(path string, kinds ...string) (*maxminddb.Reader, error) {
	if path == "" {
		return nil, nil
	}
	db, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s database %s: %w", kinds[0], path, err)
	}
	t := db.Metadata.DatabaseType
	for _, k := range kinds {
		if strings.Contains(t, k) {
			return db, nil
		}
	}
	_ = db.Close()
	return nil, fmt.Errorf("open %s database %s: it is a %q database, want a %s one", kinds[0], path, t, strings.Join(kinds, " or "))
}

// Close releases the databases.
func (r *Reader) Close() error {
	if r == nil {
		return nil
	}
	var errs []error
	for _, db := range []*maxminddb.Reader{r.city, r.asn} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// Locate describes ip (an address in text form; IPv4-mapped IPv6 counts as
// IPv4). An unparsable address, a missing database or a missing record is
// Unknown.
func (r *Reader) Locate(ip string) Place {
	p := Place{Location: Unknown, ISP: Unknown}
	addr, err := netip.ParseAddr(ip)
	if r == nil || err != nil {
		return p
	}
	addr = addr.Unmap().WithZone("")
	if loc := r.location(addr); loc != "" {
		p.Location = loc
	}
	if isp := r.isp(addr); isp != "" {
		p.ISP = isp
	}
	return p
}

type cityRecord struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Country struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
}

// location is "City, Country" (English names), either one alone, or "".
func (r *Reader) location(addr netip.Addr) string {
	if r.city == nil {
		return ""
	}
	var rec cityRecord
	if err := r.city.Lookup(addr).Decode(&rec); err != nil {
		return ""
	}
	parts := make([]string, 0, 2)
	for _, n := range []string{clean(rec.City.Names["en"]), clean(rec.Country.Names["en"])} {
		if n != "" {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ", ")
}

type asnRecord struct {
	Organization string `maxminddb:"autonomous_system_organization"`
	ISP          string `maxminddb:"isp"` // GeoIP2-ISP databases
}

// isp is the network's organisation name, or "".
func (r *Reader) isp(addr netip.Addr) string {
	if r.asn == nil {
		return ""
	}
	var rec asnRecord
	if err := r.asn.Lookup(addr).Decode(&rec); err != nil {
		return ""
	}
	if n := clean(rec.ISP); n != "" {
		return n
	}
	return clean(rec.Organization)
}

// clean drops control characters and bounds a name from the database to
// 80 bytes (it ends up in mail and in the console).
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > 80 {
		s = strings.ToValidUTF8(s[:80], "") // a cut rune is dropped
	}
	return strings.TrimSpace(s)
}
