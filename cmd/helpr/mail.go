package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/transport/api"
	"github.com/helpr-chat/helpr/transport/mail"
)

var _ api.Mailer = (*mail.Queue)(nil)

// mailRetention is how long sent and given-up mail stays queued before
// the sweep deletes it (its fields are sealed meanwhile).
const mailRetention = 24 * time.Hour

// MailConfig is where outgoing mail goes (Config.Mail).
type MailConfig struct {
	SMTPURL    string // smtp://user:pass@host:port or smtps://…; "" = the outbox under the data directory
	From       string // the sender; default `helpr <no-reply@HOST of --public-url>`
	SMTPCAFile string // PEM roots that verify the SMTP server instead of the system's
}

// mailFlags declares the email flags on c.
func mailFlags(fs *flag.FlagSet, c *MailConfig) {
	fs.StringVar(&c.SMTPURL, "smtp-url", "", "send mail through this SMTP `URL`: smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (implicit TLS); without it mail goes to <data-dir>/outbox")
	fs.StringVar(&c.From, "mail-from", "", "the `address` mail is sent from")
	fs.StringVar(&c.SMTPCAFile, "smtp-ca-file", "", "PEM `file` of the CA certificates that verify the SMTP server (instead of the system roots)")
}

// defaults fills From from the public URL's host.
func (c *MailConfig) defaults(publicURL string) {
	if c.From != "" {
		return
	}
	u, err := url.Parse(publicURL)
	if err != nil || u.Hostname() == "" {
		return // a bad --public-url is reported on its own
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address literal
	}
	c.From = "helpr <no-reply@" + host + ">"
}

// validate reports the email flags' problems, never repeating the SMTP
// URL (it may hold a password).
func (c *MailConfig) validate() []error {
	var errs []error
	if c.SMTPURL != "" {
		if err := mail.ParseSMTPURL(c.SMTPURL); err != nil {
			errs = append(errs, fmt.Errorf("--smtp-url: %v", err))
		}
	}
	if _, err := mail.ParseFrom(c.From); err != nil && c.From != "" {
		errs = append(errs, fmt.Errorf("--mail-from %q: %v", c.From, err))
	}
	if c.SMTPCAFile != "" && c.SMTPURL == "" {
		errs = append(errs, errors.New("--smtp-ca-file needs --smtp-url"))
	}
	return errs
}

// newMailer builds the mail queue on store: over SMTP with --smtp-url,
// else into <data-dir>/outbox. It logs, once, where mail goes (the SMTP
// URL without its credentials).
func newMailer(cfg Config, log zerolog.Logger, store mail.Store) (*mail.Queue, error) {
	sender, err := mailSender(cfg, log)
	if err != nil {
		return nil, err
	}
	q, err := mail.NewQueue(mail.QueueConfig{Store: store, Sender: sender, From: cfg.Mail.From, Logger: log, Now: cfg.now})
	if err != nil {
		return nil, fmt.Errorf("--mail-from: %w", err)
	}
	return q, nil
}

func mailSender(cfg Config, log zerolog.Logger) (mail.Sender, error) {
	if cfg.Mail.SMTPURL == "" {
		o, err := mail.NewOutbox(filepath.Join(cfg.DataDir, "outbox"))
		if err != nil {
			return nil, err
		}
		dir, _ := filepath.Abs(o.Dir())
		log.Info().Str("outbox", dir).Msg("no --smtp-url: mail goes to the outbox directory, one .eml file per message")
		return o, nil
	}
	tc, err := smtpTLS(cfg.Mail.SMTPCAFile)
	if err != nil {
		return nil, err
	}
	s, err := mail.NewSMTP(mail.SMTPConfig{URL: cfg.Mail.SMTPURL, TLSConfig: tc, LocalName: publicHost(cfg.PublicURL)})
	if err != nil {
		return nil, fmt.Errorf("--smtp-url: %w", err)
	}
	log.Info().Str("smtp", mail.RedactSMTPURL(cfg.Mail.SMTPURL)).Msg("mail goes over SMTP")
	return s, nil
}

// smtpTLS returns the TLS configuration trusting the CA file, or nil
// (the system roots) without one.
func smtpTLS(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--smtp-ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("--smtp-ca-file: no PEM certificate in the file")
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// publicHost is the host of the public URL (the EHLO name), or localhost.
func publicHost(publicURL string) string {
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" && net.ParseIP(u.Hostname()) == nil {
		return u.Hostname()
	}
	return "localhost"
}
