package mail

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// Default ports of the two schemes: submission with STARTTLS, and
// submission over implicit TLS (RFC 8314).
const (
	defaultSMTPPort  = "587"
	defaultSMTPSPort = "465"
)

// smtpTarget is a parsed --smtp-url.
type smtpTarget struct {
	implicitTLS bool
	host        string
	addr        string // host:port
	user, pass  string
	hasAuth     bool
}

// ParseSMTPURL checks an SMTP URL: smtp://[user:pass@]host[:port]
// (STARTTLS when the server offers it; port 587 by default) or
// smtps://… (implicit TLS; port 465 by default), with no path, query or
// fragment. Its errors never repeat the URL, which may hold a password.
func ParseSMTPURL(raw string) error {
	_, err := parseSMTPURL(raw)
	return err
}

func parseSMTPURL(raw string) (smtpTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return smtpTarget{}, errors.New("not a URL; want smtp://user:pass@host:port or smtps://…")
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return smtpTarget{}, errors.New("scheme: want smtp (STARTTLS when offered) or smtps (implicit TLS)")
	}
	if u.Hostname() == "" || u.Opaque != "" {
		return smtpTarget{}, errors.New("no host; want smtp://user:pass@host:port")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return smtpTarget{}, errors.New("an SMTP URL has no path, query or fragment")
	}
	t := smtpTarget{implicitTLS: u.Scheme == "smtps", host: u.Hostname()}
	port := u.Port()
	if port == "" {
		port = defaultSMTPPort
		if t.implicitTLS {
			port = defaultSMTPSPort
		}
	}
	t.addr = net.JoinHostPort(t.host, port)
	if u.User != nil {
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
		t.hasAuth = t.user != ""
	}
	return t, nil
}

// RedactSMTPURL returns scheme://host:port of a valid SMTP URL, without
// user or password: the form that may be logged.
func RedactSMTPURL(raw string) string {
	t, err := parseSMTPURL(raw)
	if err != nil {
		return "(invalid)"
	}
	scheme := "smtp"
	if t.implicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + t.addr
}

// loopbackHost reports whether host is a loopback IP literal or
// "localhost": the one case where credentials may cross without TLS.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
