package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// envelope composes the magic-link test message for to.
func envelope(t *testing.T, to string) Envelope {
	t.Helper()
	from, _ := ParseFrom(testFrom)
	m := magicLink(to)
	e, err := compose(from, "mail_test1", m.Kind, m.To, m.Subject, m.Text, newClock().Now())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sendTo sends one message through an SMTP sender built from cfg.
func sendTo(t *testing.T, cfg SMTPConfig) error {
	t.Helper()
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.Send(ctx, envelope(t, "ada@example.test"))
}

// dialTo connects whatever host the URL names to addr: a remote-looking
// host name for a loopback test server.
func dialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// remoteURL is srv's URL with the remote-looking host mail.example.test.
func remoteURL(srv *testsvc.SMTPServer) string {
	return strings.Replace(srv.URL(), srv.Addr, "mail.example.test:587", 1)
}

// With STARTTLS offered, the session is upgraded before AUTH, to a
// remote host, verified against the trusted certificate.
func TestSMTPUpgradesWithSTARTTLSBeforeAuth(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithSTARTTLS(), testsvc.WithAuth("helpr", "s3cret-pass"))
	tc := srv.ClientTLS()
	tc.ServerName = "localhost" // the certificate's name
	if err := sendTo(t, SMTPConfig{URL: remoteURL(srv), TLSConfig: tc, Dial: dialTo(srv.Addr)}); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 10*time.Second)[0]
	if !got.TLS || got.User != "helpr" {
		t.Fatalf("tls %v user %q, want TLS and AUTH", got.TLS, got.User)
	}
	if auths := srv.AuthOverTLS(); len(auths) != 1 || !auths[0] {
		t.Fatalf("AUTH over TLS: %v", auths)
	}
}

// A certificate the client does not trust fails the send: no fallback to
// plain text, nothing delivered.
func TestSMTPRefusesAnUntrustedCertificate(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithSTARTTLS(), testsvc.WithAuth("helpr", "s3cret-pass"))
	err := sendTo(t, SMTPConfig{URL: srv.URL(), TLSConfig: &tls.Config{RootCAs: testsvc.StartSMTP(t, testsvc.WithSTARTTLS()).RootCAs()}})
	var se *SendError
	if !errors.As(err, &se) || se.Reason != "tls" {
		t.Fatalf("send with an untrusted certificate: %v, want a TLS failure", err)
	}
	if n := len(srv.Messages()); n != 0 || len(srv.AuthOverTLS()) != 0 {
		t.Fatalf("%d messages, %d AUTHs after a failed handshake", n, len(srv.AuthOverTLS()))
	}
}

// A server that offers no STARTTLS never gets credentials unless it is on
// a loopback host; without credentials, plain text is used.
func TestSMTPSendsCredentialsOnlyOverTLSOrLoopback(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithAuth("helpr", "s3cret-pass"))
	err := sendTo(t, SMTPConfig{URL: remoteURL(srv), Dial: dialTo(srv.Addr)})
	var se *SendError
	if !errors.As(err, &se) || se.Reason != "auth refused: no TLS" {
		t.Fatalf("remote host without TLS: %v, want the AUTH refused", err)
	}
	if len(srv.AuthOverTLS()) != 0 || len(srv.Messages()) != 0 {
		t.Fatal("credentials or a message crossed without TLS to a remote host")
	}
	if err := sendTo(t, SMTPConfig{URL: srv.URL()}); err != nil {
		t.Fatalf("loopback host without TLS: %v", err)
	}
	if auths := srv.AuthOverTLS(); len(auths) != 1 || auths[0] {
		t.Fatalf("AUTH over TLS: %v, want one, in plain text to loopback", auths)
	}
	plain := testsvc.StartSMTP(t)
	if err := sendTo(t, SMTPConfig{URL: remoteURL(plain), Dial: dialTo(plain.Addr)}); err != nil {
		t.Fatalf("remote host without TLS or credentials: %v", err)
	}
	if got := plain.Wait(t, 1, 10*time.Second)[0]; got.TLS || got.User != "" {
		t.Fatalf("tls %v user %q", got.TLS, got.User)
	}
}

// smtps:// speaks TLS from the first byte.
func TestSMTPImplicitTLS(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithImplicitTLS(), testsvc.WithAuth("helpr", "s3cret-pass"))
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("url %s", srv.URL())
	}
	if err := sendTo(t, SMTPConfig{URL: srv.URL(), TLSConfig: srv.ClientTLS()}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Wait(t, 1, 10*time.Second)[0]; !got.TLS || got.User != "helpr" {
		t.Fatalf("tls %v user %q", got.TLS, got.User)
	}
}

// A wrong password is an auth failure with its reply code.
func TestSMTPWrongPassword(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithSTARTTLS(), testsvc.WithAuth("helpr", "s3cret-pass"))
	url := strings.Replace(srv.URL(), "s3cret-pass", "wrong", 1)
	err := sendTo(t, SMTPConfig{URL: url, TLSConfig: srv.ClientTLS()})
	var se *SendError
	if !errors.As(err, &se) || se.Reason != "auth 535" {
		t.Fatalf("wrong password: %v", err)
	}
}

// URL checks name the problem and never repeat the URL (its password).
func TestParseSMTPURL(t *testing.T) {
	for _, ok := range []string{"smtp://mail.example.com", "smtp://u:p@mail.example.com:2525", "smtps://u:p@[::1]:465"} {
		if err := ParseSMTPURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://u:hunter2@mail.example.com", "smtp://u:hunter2@", "smtp:hunter2",
		"smtp://u:hunter2@mail.example.com/path", "smtp://u:hunter2@mail.example.com?x=1", "://hunter2"} {
		err := ParseSMTPURL(bad)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if got := RedactSMTPURL("smtp://u:hunter2@mail.example.com"); got != "smtp://mail.example.com:587" {
		t.Errorf("redacted %q", got)
	}
	if got := RedactSMTPURL("smtps://u:hunter2@mail.example.com"); got != "smtps://mail.example.com:465" {
		t.Errorf("redacted %q", got)
	}
}

// A server that accepts the connection but never greets cannot hold a
// send beyond its context: the connection is closed when ctx ends.
func TestSMTPSendIsBoundedByItsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c // silent: no greeting ever
		}
	}()
	s, err := NewSMTP(SMTPConfig{URL: "smtp://" + ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := envelope(t, "ada@example.test")
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, e) }()
	c := <-accepted
	defer c.Close()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a send to a silent server succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Send did not return after its context ended")
	}
}
