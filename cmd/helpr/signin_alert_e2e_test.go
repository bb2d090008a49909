package main

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

const alertSubject = "New sign-in to your helpr account"

// loginVia signs email in with the harness password, sending
// X-Forwarded-For xff when not "".
func loginVia(t *testing.T, n *node, email, xff string) {
	t.Helper()
	hdr := []string{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Safari/537.36"}
	if xff != "" {
		hdr = append(hdr, "X-Forwarded-For", xff)
	}
	if code := n.call("POST", "/rest/v1/auth/login", "", map[string]any{"email": email,
		"password": "correct horse battery"}, nil, hdr...); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
}

// alertsAfterMarker asks for a magic link (a mail queued after every alert
// so far), waits until it arrives through SMTP and returns the new-IP
// alerts delivered to email by then.
func alertsAfterMarker(t *testing.T, n *node, s *testsvc.SMTPServer, email string, marker int) []testsvc.Mail {
	t.Helper()
	if code := n.call("POST", "/rest/v1/auth/magic-link", "", map[string]any{"email": email}, nil); code != http.StatusAccepted {
		t.Fatalf("magic link: %d", code)
	}
	mailTo(t, s, marker, email) // the marker-th mail: everything queued before it was sent
	var out []testsvc.Mail
	for _, m := range s.Messages() {
		if m.Subject == alertSubject {
			out = append(out, m)
		}
	}
	return out
}

// Through a real node and a real SMTP server: behind no trusted proxy a
// forged X-Forwarded-For is ignored (the peer address is known: no
// alert); with --trusted-proxies the forwarded address counts, and one
// sign-in from it sends exactly one alert with the security page link.
func TestNewIPAlertEndToEnd(t *testing.T) {
	clk := newTestClock()
	plain, plainMail := mailNode(t, clk)
	plain.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test") // first sign-in: recorded, silent
	loginVia(t, plain, "owner@acme.test", "203.0.113.9")
	loginVia(t, plain, "owner@acme.test", "198.51.100.4, 203.0.113.10")
	if got := alertsAfterMarker(t, plain, plainMail, "owner@acme.test", 1); len(got) != 0 {
		t.Fatalf("spoofed X-Forwarded-For from an untrusted peer sent %d alerts", len(got))
	}

	proxied, proxiedMail := mailNode(t, clk, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	proxied.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	loginVia(t, proxied, "owner@acme.test", "203.0.113.9")
	loginVia(t, proxied, "owner@acme.test", "203.0.113.9")
	got := alertsAfterMarker(t, proxied, proxiedMail, "owner@acme.test", 2)
	if len(got) != 1 {
		t.Fatalf("%d alerts for one new forwarded address, want 1", len(got))
	}
	for _, want := range []string{"203.0.113.9", "Chrome 121 on Linux", "desktop", "/console/#security"} {
		if !strings.Contains(got[0].Body, want) {
			t.Errorf("alert lacks %q:\n%s", want, got[0].Body)
		}
	}
}
