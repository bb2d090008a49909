package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

var _ Sender = (*SMTP)(nil)

// SMTPConfig configures NewSMTP.
type SMTPConfig struct {
	// URL is smtp://[user:pass@]host[:port] or smtps://… (ParseSMTPURL).
	URL string
	// TLSConfig verifies the server (RootCAs for a private CA; tests trust
	// their own certificate this way). nil: the system roots. ServerName
	// defaults to the URL's host; TLS 1.2 is the minimum either way.
	TLSConfig *tls.Config
	// LocalName is the name sent in EHLO; default "localhost".
	LocalName string
	// Dial opens the TCP connection; nil: a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// SMTP sends mail through one SMTP submission server. With smtp:// it
// upgrades with STARTTLS whenever the server offers it (a failed
// handshake is an error, never a fallback to plain text); with smtps:// it
// speaks TLS from the first byte. Credentials (AUTH PLAIN) are only sent
// over TLS, or to a loopback host; otherwise the send fails before AUTH.
type SMTP struct {
	target    smtpTarget
	tls       *tls.Config
	localName string
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewSMTP checks cfg and returns the sender. It connects to nothing yet.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	t, err := parseSMTPURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("smtp url: %w", err)
	}
	tc := &tls.Config{}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = t.host
	}
	tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
	s := &SMTP{target: t, tls: tc, localName: cfg.LocalName, dial: cfg.Dial}
	if s.localName == "" {
		s.localName = "localhost"
	}
	if s.dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second}
		s.dial = d.DialContext
	}
	return s, nil
}

// errNoSTARTTLS is go-smtp's (v0.26.0) error for a server that does not
// offer STARTTLS; the test of a plain-text server pins it.
const errNoSTARTTLS = "smtp: server doesn't support STARTTLS"

// Send delivers e in one SMTP transaction, bounded by ctx.
func (s *SMTP) Send(ctx context.Context, e Envelope) error {
	var conns connCloser
	defer conns.stop()
	c, secure, err := s.connect(ctx, &conns)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := s.auth(c, secure); err != nil {
		return err
	}
	if err := c.Mail(e.From, nil); err != nil {
		return smtpErr("mail", err)
	}
	if err := c.Rcpt(e.To, nil); err != nil {
		se := smtpErr("rcpt", err)
		var code *smtp.SMTPError
		se.Permanent = errors.As(err, &code) && code.Code >= 500 // the recipient is refused for good
		return se
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("data", err)
	}
	if _, err := w.Write(e.Data); err != nil {
		_ = w.Close()
		return smtpErr("data", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("data", err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// connect dials, greets and secures the connection; secure reports TLS.
func (s *SMTP) connect(ctx context.Context, conns *connCloser) (*smtp.Client, bool, error) {
	conn, err := s.dialConn(ctx, conns)
	if err != nil {
		return nil, false, err
	}
	if s.target.implicitTLS {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, false, &SendError{Reason: "tls", Err: err}
		}
		return s.hello(smtp.NewClient(tc), true)
	}
	c, err := smtp.NewClientStartTLS(conn, s.tls)
	if err == nil {
		return s.hello(c, true)
	}
	if err.Error() != errNoSTARTTLS {
		return nil, false, smtpErr("starttls", err)
	}
	if conn, err = s.dialConn(ctx, conns); err != nil { // go-smtp closed the first connection
		return nil, false, err
	}
	return s.hello(smtp.NewClient(conn), false)
}

// dialConn connects to the server; the connection is closed when ctx
// ends, which unblocks any command in flight (go-smtp sets its own
// per-command deadlines, of minutes).
func (s *SMTP) dialConn(ctx context.Context, conns *connCloser) (net.Conn, error) {
	conn, err := s.dial(ctx, "tcp", s.target.addr)
	if err != nil {
		return nil, &SendError{Reason: "dial", Err: err}
	}
	conns.add(context.AfterFunc(ctx, func() { _ = conn.Close() }))
	return conn, nil
}

// connCloser holds the stops of the AfterFuncs that close a send's
// connections when its context ends.
type connCloser []func() bool

func (c *connCloser) add(stop func() bool) { *c = append(*c, stop) }

func (c *connCloser) stop() {
	for _, stop := range *c {
		stop()
	}
}

// hello sends EHLO with the configured name (again, after STARTTLS).
func (s *SMTP) hello(c *smtp.Client, secure bool) (*smtp.Client, bool, error) {
	if err := c.Hello(s.localName); err != nil {
		_ = c.Close()
		if st, ok := c.TLSConnectionState(); secure && ok && !st.HandshakeComplete {
			return nil, false, &SendError{Reason: "tls", Err: err} // the handshake runs with the first EHLO
		}
		return nil, false, smtpErr("ehlo", err)
	}
	return c, secure, nil
}

// auth authenticates when the URL has credentials: only over TLS or to
// a loopback host, and only with a server that offers AUTH PLAIN.
func (s *SMTP) auth(c *smtp.Client, secure bool) error {
	if !s.target.hasAuth {
		return nil
	}
	if !secure && !loopbackHost(s.target.host) {
		return &SendError{Reason: "auth refused: no TLS", Err: errors.New("the server offers no STARTTLS; credentials are only sent over TLS (or to a loopback host)")}
	}
	if !c.SupportsAuth(sasl.Plain) {
		return &SendError{Reason: "auth unsupported", Err: errors.New("the server offers no AUTH PLAIN")}
	}
	if err := c.Auth(sasl.NewPlainClient("", s.target.user, s.target.pass)); err != nil {
		return smtpErr("auth", err)
	}
	return nil
}

// smtpErr wraps a failure at stage with its reply code, if any.
func smtpErr(stage string, err error) *SendError {
	var code *smtp.SMTPError
	if errors.As(err, &code) {
		return &SendError{Reason: fmt.Sprintf("%s %d", stage, code.Code), Err: err}
	}
	return &SendError{Reason: stage, Err: err}
}
