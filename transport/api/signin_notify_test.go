package api

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

// alerts returns the new-IP alerts queued so far.
func alerts(m *captureMailer) []mail.Message { return m.messages(mail.KindNewIPAlert) }

func wantAlerts(t *testing.T, m *captureMailer, n int, what string) {
	t.Helper()
	if got := len(alerts(m)); got != n {
		t.Fatalf("%s: %d new-IP alerts in total, want %d", what, got, n)
	}
}

// The account's first sign-in only records its address; the same address
// again alerts nobody; a new one sends exactly one alert with device,
// browser, approximate location, time and the security page link.
func TestNewIPAlert(t *testing.T) {
	m := &captureMailer{}
	e := newEnv(t, withGeo(t), withMail(m))
	owner, _ := e.seedOrg("Acme")
	e.loginFrom(owner.Email, "192.0.2.10", uaChromeMac)
	wantAlerts(t, m, 0, "first sign-in of the account")
	e.loginFrom(owner.Email, "192.0.2.10", uaChromeMac)
	wantAlerts(t, m, 0, "same address again")
	e.loginFrom(owner.Email, "203.0.113.7", uaIPhone)
	wantAlerts(t, m, 1, "new address")
	e.loginFrom(owner.Email, "203.0.113.7", uaIPhone)
	wantAlerts(t, m, 1, "the new address again")

	a := alerts(m)[0]
	if a.To != owner.Email || a.OrgID != owner.OrgID || a.Subject == "" {
		t.Errorf("alert header: to %q org %q subject %q", a.To, a.OrgID, a.Subject)
	}
	for _, want := range []string{"mobile", "Safari 17 on iOS 17", "Lisbon, Portugal", "203.0.113.7",
		e.clock.Now().UTC().Format("2006-01-02 15:04 UTC"), publicOrigin + "/console/#security"} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("alert text lacks %q:\n%s", want, a.Text)
		}
	}
	if strings.Contains(a.Text, testPassword) {
		t.Error("the alert holds the password")
	}
	if n := countAudit(t, e, owner, "auth.new_ip"); n != 1 {
		t.Errorf("%d auth.new_ip events, want 1", n)
	}
}

// An IPv6 address counts by its /64: another address of the same /64 is
// not new, one of the next /64 is.
func TestNewIPAlertIPv6Slash64(t *testing.T) {
	m := &captureMailer{}
	e := newEnv(t, withMail(m))
	owner, _ := e.seedOrg("Acme")
	e.loginFrom(owner.Email, "192.0.2.10", uaChromeMac)
	e.loginFrom(owner.Email, "2001:db8:1:2::5", uaChromeMac)
	wantAlerts(t, m, 1, "a new IPv6 network")
	e.loginFrom(owner.Email, "2001:db8:1:2:ffff:ffff:ffff:ffff", uaChromeMac)
	wantAlerts(t, m, 1, "same /64")
	e.loginFrom(owner.Email, "2001:db8:1:3::5", uaChromeMac)
	wantAlerts(t, m, 2, "the next /64")
}

// An address not seen for 90 days is new again: at 90 days minus 1 ms it
// is still known, at exactly 90 days it alerts.
func TestNewIPAlertAfter90Days(t *testing.T) {
	m := &captureMailer{}
	e := newEnv(t, withMail(m))
	owner, _ := e.seedOrg("Acme")
	e.loginFrom(owner.Email, "192.0.2.10", uaChromeMac) // first: silent
	e.loginFrom(owner.Email, "198.51.100.1", uaChromeMac)
	e.loginFrom(owner.Email, "198.51.100.2", uaChromeMac)
	wantAlerts(t, m, 2, "two new addresses")
	e.clock.Advance(90*24*time.Hour - time.Millisecond)
	e.loginFrom(owner.Email, "198.51.100.1", uaChromeMac)
	wantAlerts(t, m, 2, "90 days minus 1 ms later")
	e.clock.Advance(time.Millisecond)
	e.loginFrom(owner.Email, "198.51.100.2", uaChromeMac)
	wantAlerts(t, m, 3, "exactly 90 days later")
	e.loginFrom(owner.Email, "198.51.100.1", uaChromeMac)
	wantAlerts(t, m, 3, "seen 1 ms ago")
}

// Two parallel sign-ins from one new address send one alert.
func TestNewIPAlertParallelSignIns(t *testing.T) {
	m := &captureMailer{}
	e := newEnv(t, withMail(m))
	owner, _ := e.seedOrg("Acme")
	e.loginFrom(owner.Email, "192.0.2.10", uaChromeMac)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _ := e.loginFrom(owner.Email, "203.0.113.50", uaChromeMac); code != 200 {
				t.Errorf("parallel sign-in: %d", code)
			}
		}()
	}
	wg.Wait()
	wantAlerts(t, m, 1, "two parallel sign-ins from one new address")
}

// X-Forwarded-For from a peer that is not a trusted proxy changes
// nothing: the socket address is the client, known already, so no alert.
// Behind a trusted proxy the forwarded address counts.
func TestNewIPAlertIgnoresSpoofedForwardedFor(t *testing.T) {
	m := &captureMailer{}
	e := newEnv(t, withMail(m), func(c *Config) { c.ClientIP = httpx.NewClientIPResolver(nil) })
	owner, _ := e.seedOrg("Acme")
	e.loginFrom(owner.Email, "", uaChromeMac) // first, from 127.0.0.1
	for _, spoof := range []string{"203.0.113.66", "198.51.100.9, 203.0.113.67"} {
		if code, _ := e.loginFrom(owner.Email, spoof, uaChromeMac); code != 200 {
			t.Fatalf("sign-in: %d", code)
		}
	}
	wantAlerts(t, m, 0, "spoofed X-Forwarded-For from an untrusted peer")

	m2 := &captureMailer{}
	trusted := newEnv(t, withMail(m2), func(c *Config) {
		c.ClientIP = httpx.NewClientIPResolver([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	})
	o2, _ := trusted.seedOrg("Acme")
	trusted.loginFrom(o2.Email, "", uaChromeMac)
	trusted.loginFrom(o2.Email, "203.0.113.66", uaChromeMac)
	wantAlerts(t, m2, 1, "forwarded by a trusted proxy")
}

// A sign-in without a mailer still works (the alert is logged as lost).
func TestNewIPAlertWithoutMailer(t *testing.T) {
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	e.loginFrom(owner.Email, "192.0.2.10", uaChromeMac)
	if code, _ := e.loginFrom(owner.Email, "203.0.113.7", uaChromeMac); code != 200 {
		t.Fatalf("sign-in from a new address without a mailer: %d", code)
	}
}
