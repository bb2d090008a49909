package security

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.MailStore methods of SealedStore: a mail's To, Subject and
// Text are sealed on the way in (an address is PII; the text holds the
// link or code the mail delivers) and opened on the way out, each bound to
// the mail's id and field so a sealed value copied onto another mail or
// field does not open. Every other field is bookkeeping and passes
// through, as do the methods that carry no mail.

// Field names bound into the associated data of sealed mail fields.
const (
	fieldMailTo      = "mail.to"
	fieldMailSubject = "mail.subject"
	fieldMailText    = "mail.text"
)

// mailFields lists a mail's sealed fields with their names.
func mailFields(m *storage.Mail) []struct {
	v    *string
	name string
} {
	return []struct {
		v    *string
		name string
	}{{&m.To, fieldMailTo}, {&m.Subject, fieldMailSubject}, {&m.Text, fieldMailText}}
}

// sealMail returns m with To, Subject and Text sealed under the current
// pii key.
func sealMail(c *FieldCipher, m storage.Mail) (storage.Mail, error) {
	if m.ID == "" {
		return storage.Mail{}, fmt.Errorf("seal mail: empty id")
	}
	for _, f := range mailFields(&m) {
		sealed, err := c.Seal(*f.v, m.ID, f.name)
		if err != nil {
			return storage.Mail{}, err
		}
		*f.v = sealed
	}
	return m, nil
}

// openMail returns m with To, Subject and Text opened.
func openMail(c *FieldCipher, m storage.Mail) (storage.Mail, error) {
	for _, f := range mailFields(&m) {
		plain, err := c.Open(*f.v, m.ID, f.name)
		if err != nil {
			return storage.Mail{}, err
		}
		*f.v = plain
	}
	return m, nil
}

// EnqueueMail seals the mail and stores it.
func (s *SealedStore) EnqueueMail(ctx context.Context, m storage.Mail) error {
	sealed, err := sealMail(s.c, m)
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	return s.inner.EnqueueMail(ctx, sealed)
}

// ClaimMail returns the claimed mails opened. A mail that does not open
// (tampered, or sealed under a retired key) can never be sent: it is given
// up at now and left out, and the error names it; the mails returned
// alongside that error are claimed and opened, to be sent as usual.
func (s *SealedStore) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]storage.Mail, error) {
	list, err := s.inner.ClaimMail(ctx, now, lease, limit)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	var errs []error
	for _, m := range list {
		opened, err := openMail(s.c, m)
		if err != nil {
			errs = append(errs, fmt.Errorf("claim mail %s: %w", m.ID, err),
				s.inner.GiveUpMail(ctx, m.ID, m.Attempts, now))
			continue
		}
		out = append(out, opened)
	}
	return out, errors.Join(errs...)
}

// MarkMailSent passes through: it carries no mail.
func (s *SealedStore) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	return s.inner.MarkMailSent(ctx, id, at)
}

// MarkMailFailed passes through: it carries no mail.
func (s *SealedStore) MarkMailFailed(ctx context.Context, id string, attempt int, retryAt time.Time) error {
	return s.inner.MarkMailFailed(ctx, id, attempt, retryAt)
}

// GiveUpMail passes through: it carries no mail.
func (s *SealedStore) GiveUpMail(ctx context.Context, id string, attempt int, at time.Time) error {
	return s.inner.GiveUpMail(ctx, id, attempt, at)
}

// DeleteDoneMail passes through: it carries no mail.
func (s *SealedStore) DeleteDoneMail(ctx context.Context, before time.Time) (int, error) {
	return s.inner.DeleteDoneMail(ctx, before)
}
