package api

import (
	"net/http"
	"testing"

	"github.com/helpr-chat/helpr/security/geoip"
	"github.com/helpr-chat/helpr/security/geoip/geoiptest"
)

const (
	uaChromeMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	uaIPhone    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)

// withGeo gives the API a Locator over small City and ASN databases the
// test writes: 203.0.113.0/24 is Lisbon (Example Telecom), 2001:db8::/32
// Berlin (Example Fibre).
func withGeo(t *testing.T) func(*Config) {
	t.Helper()
	city := geoiptest.WriteCity(t, map[string]geoiptest.City{
		"203.0.113.0/24": {City: "Lisbon", Country: "Portugal"},
		"2001:db8::/32":  {City: "Berlin", Country: "Germany"},
	})
	asn := geoiptest.WriteASN(t, map[string]string{
		"203.0.113.0/24": "Example Telecom",
		"2001:db8::/32":  "Example Fibre",
	})
	r, err := geoip.Open(city, asn)
	if err != nil {
		t.Fatalf("geoip: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return func(c *Config) { c.Locator = r }
}

// withMail gives the API a captureMailer and returns it.
func withMail(m *captureMailer) func(*Config) { return func(c *Config) { c.Mailer = m } }

// loginFrom signs email in with testPassword from client ip (through the
// trusted loopback proxy) with user agent ua, and returns the status and
// tokens.
func (e *env) loginFrom(email, ip, ua string) (int, tokens) {
	e.t.Helper()
	opts := []reqOpt{header("User-Agent", ua)}
	if ip != "" {
		opts = append(opts, fromIP(ip))
	}
	r := e.do("POST", "/rest/v1/auth/login", map[string]any{"email": email, "password": testPassword}, opts...)
	var tk tokens
	if r.status == http.StatusOK {
		r.json(e.t, &tk)
	}
	return r.status, tk
}

// listSessions answers GET /me/sessions for token.
func (e *env) listSessions(token string) []deviceSessionView {
	e.t.Helper()
	var out sessionsResponse
	e.do("GET", "/rest/v1/me/sessions", nil, bearer(token)).expect(e.t, 200, "").json(e.t, &out)
	return out.Sessions
}
