package testsvc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message the test SMTP server accepted.
type Mail struct {
	From    string   // MAIL FROM
	To      []string // RCPT TO
	Subject string   // decoded (RFC 2047)
	Body    string   // decoded (quoted-printable or base64), CRLF turned into LF
	Header  netmail.Header
	Raw     []byte // the message as received
	TLS     bool   // it arrived over TLS (STARTTLS or implicit)
	User    string // the AUTH user, "" without AUTH
}

// SMTPServer is a real SMTP server (github.com/emersion/go-smtp) on a
// 127.0.0.1 port inside the test binary, recording what it accepts. It
// stops at t.Cleanup. Its methods are safe for concurrent use.
type SMTPServer struct {
	// Addr is host:port of the listener.
	Addr string

	srv      *smtp.Server
	user     string
	pass     string
	implicit bool
	certPEM  []byte

	mu      sync.Mutex
	mails   []Mail
	refuse  bool
	authTLS []bool // for each successful AUTH: was it over TLS
	changed chan struct{}
}

// SMTPOption adjusts StartSMTP.
type SMTPOption func(*SMTPServer)

// WithSTARTTLS makes the server offer STARTTLS with a self-signed
// certificate for 127.0.0.1, ::1 and localhost. Clients must trust it:
// CertPEM, RootCAs and ClientTLS give it to them.
func WithSTARTTLS() SMTPOption {
	return func(s *SMTPServer) { s.srv.TLSConfig = s.selfSigned() }
}

// WithImplicitTLS makes the server speak TLS from the first byte (smtps)
// with the same self-signed certificate.
func WithImplicitTLS() SMTPOption {
	return func(s *SMTPServer) { s.implicit = true }
}

// WithAuth makes the server require AUTH PLAIN with user and pass before
// MAIL FROM (530 otherwise). The server accepts AUTH over plain text too,
// so a test can see whether a client sent its password that way.
func WithAuth(user, pass string) SMTPOption {
	return func(s *SMTPServer) { s.user, s.pass = user, pass }
}

// StartSMTP starts the server on 127.0.0.1:0.
func StartSMTP(t testing.TB, opts ...SMTPOption) *SMTPServer {
	t.Helper()
	s := &SMTPServer{changed: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &smtpSession{s: s, tls: isTLS || s.implicit}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.MaxRecipients = 10
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	s.srv.ErrorLog = discardLogger{}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testsvc: smtp listen: %v", err)
	}
	if s.implicit {
		ln = tls.NewListener(ln, s.selfSigned())
	}
	s.Addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// URL returns smtp://[user:pass@]Addr (smtps:// WithImplicitTLS).
func (s *SMTPServer) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr}
	if s.implicit {
		u.Scheme = "smtps"
	}
	if s.user != "" {
		u.User = url.UserPassword(s.user, s.pass)
	}
	return u.String()
}

// Refuse makes the server answer every MAIL FROM with 451 (a temporary
// failure, as in an outage) while on.
func (s *SMTPServer) Refuse(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = on
}

// Messages returns what the server accepted so far, oldest first.
func (s *SMTPServer) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// AuthOverTLS returns, for each successful AUTH so far, whether it came
// over TLS.
func (s *SMTPServer) AuthOverTLS() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.authTLS...)
}

// Wait returns the accepted messages once there are at least n, failing
// the test if that takes longer than timeout.
func (s *SMTPServer) Wait(t testing.TB, n int, timeout time.Duration) []Mail {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		mails, changed := append([]Mail(nil), s.mails...), s.changed
		s.mu.Unlock()
		if len(mails) >= n {
			return mails
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("testsvc: smtp: %d messages after %s, want %d", len(mails), timeout, n)
		}
	}
}

// CertPEM returns the server certificate in PEM (nil without TLS).
func (s *SMTPServer) CertPEM() []byte { return s.certPEM }

// RootCAs returns a pool holding only the server certificate.
func (s *SMTPServer) RootCAs() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(s.certPEM)
	return p
}

// ClientTLS returns a client configuration that trusts the server's
// certificate (and nothing else).
func (s *SMTPServer) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.RootCAs(), MinVersion: tls.VersionTLS12}
}

// selfSigned returns the server TLS configuration, creating the
// certificate once.
func (s *SMTPServer) selfSigned() *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "helpr test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	s.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// add records an accepted message and wakes waiters.
func (s *SMTPServer) add(m Mail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mails = append(s.mails, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// smtpSession is one SMTP connection's state.
type smtpSession struct {
	s    *SMTPServer
	tls  bool
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (x *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if x.s.user == "" || user != x.s.user || pass != x.s.pass {
			return smtp.ErrAuthFailed
		}
		x.user = user
		x.s.mu.Lock()
		x.s.authTLS = append(x.s.authTLS, x.tls)
		x.s.mu.Unlock()
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	refuse := x.s.refuse
	x.s.mu.Unlock()
	switch {
	case refuse:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	case x.s.user != "" && x.user == "":
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Mail{From: x.from, To: x.to, Raw: raw, TLS: x.tls, User: x.user}
	if msg, err := netmail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = msg.Header
		m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		m.Body = decodeBody(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	x.s.add(m)
	return nil
}

// decodeBody undoes the transfer encoding and turns CRLF into LF.
func decodeBody(cte string, r io.Reader) string {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func (x *smtpSession) Reset() { x.from, x.to = "", nil }

func (x *smtpSession) Logout() error { return nil }
