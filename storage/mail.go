package storage

import (
	"context"
	"errors"
	"time"
)

// Mail is one queued outgoing email (storage.MailStore). To, Subject and
// Text are the message as the flow wrote it; the security layer seals
// them before they reach a backend. The rest is queue bookkeeping.
//
// A mail is due at now when it is neither sent nor given up and NextAt is
// not after now. A claim moves NextAt to the end of its lease, so a worker
// that dies mid-send leaves the mail due again once the lease ends; a
// failed send moves it to the retry time.
type Mail struct {
	ID        string
	OrgID     string // "" for mail sent for no organisation
	Kind      string // what the mail is for (transport/mail Kind*), never content
	To        string
	Subject   string
	Text      string
	Attempts  int       // claims so far; the fence of MarkMailFailed and GiveUpMail
	CreatedAt time.Time // when it was queued (the message's Date)
	NextAt    time.Time // due from then on: queue time, lease end or retry time
	SentAt    time.Time // zero until sent
	FailedAt  time.Time // zero unless the sender gave up on it
}

// DueAt reports whether m can be claimed at now.
func (m Mail) DueAt(now time.Time) bool {
	return m.SentAt.IsZero() && m.FailedAt.IsZero() && !m.NextAt.After(now)
}

// MaxMailClaim is the most mails one ClaimMail call returns.
const MaxMailClaim = 100

// CheckMail is the argument check of EnqueueMail every backend runs.
func CheckMail(m Mail) error {
	switch {
	case m.ID == "" || m.Kind == "":
		return errors.New("empty id or kind")
	case m.To == "":
		return errors.New("no recipient")
	case m.CreatedAt.IsZero() || m.NextAt.IsZero():
		return errors.New("zero time")
	case m.Attempts != 0 || !m.SentAt.IsZero() || !m.FailedAt.IsZero():
		return errors.New("a new mail has no attempts and is neither sent nor given up")
	}
	return nil
}

// MailStore is the durable outgoing-mail queue. Delivery is at least
// once: a claim is a lease, so of concurrent claimers (on one node or
// several) only one gets a mail while its lease runs, and a mail whose
// claimer died is claimed again after the lease. Every method that
// changes a mail is one conditional write.
type MailStore interface {
	// EnqueueMail stores a new mail (CheckMail). It is durable when this
	// returns nil. ErrConflict if the id is taken.
	EnqueueMail(ctx context.Context, m Mail) error
	// ClaimMail takes up to limit mails due at now (Mail.DueAt), the
	// earliest NextAt first: each one's Attempts grows by one and NextAt
	// becomes now+lease, in one conditional write per mail, and the mails
	// are returned as updated. Of concurrent claims no two return the
	// same mail with the same Attempts. limit is capped at MaxMailClaim
	// (limit <= 0 claims nothing); lease must be positive.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Mail, error)
	// MarkMailSent records that mail id was sent at `at` (idempotent: the
	// first time is kept). It is not fenced by the claim: a mail sent by a
	// claimer whose lease ran out is still sent. ErrNotFound if none.
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	// MarkMailFailed makes an unsent mail due again at retryAt, only if
	// its Attempts still equals attempt (the claim that failed is the
	// latest). ErrConflict if it was claimed again, sent or given up
	// meanwhile (nothing changes); ErrNotFound if none.
	MarkMailFailed(ctx context.Context, id string, attempt int, retryAt time.Time) error
	// GiveUpMail sets FailedAt to `at` under the same condition as
	// MarkMailFailed: the mail is never claimed again.
	GiveUpMail(ctx context.Context, id string, attempt int, at time.Time) error
	// DeleteDoneMail removes mails sent, or given up, before `before` and
	// returns how many.
	DeleteDoneMail(ctx context.Context, before time.Time) (int, error)
}
