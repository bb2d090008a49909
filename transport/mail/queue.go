package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/storage"
)

// Defaults of QueueConfig.
const (
	DefaultLease       = 2 * time.Minute
	DefaultPoll        = 30 * time.Second
	DefaultRetryBase   = 30 * time.Second
	DefaultRetryMax    = time.Hour
	DefaultMaxAttempts = 12 // 30 s doubling to 1 h: given up about 6 hours after queueing
	DefaultSendTimeout = time.Minute
)

// Store is the durable queue the Queue works on (a security.SealedStore,
// so addresses and texts are sealed at rest). See storage.MailStore.
type Store interface {
	EnqueueMail(ctx context.Context, m storage.Mail) error
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]storage.Mail, error)
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	MarkMailFailed(ctx context.Context, id string, attempt int, retryAt time.Time) error
	GiveUpMail(ctx context.Context, id string, attempt int, at time.Time) error
}

// Sender delivers one composed message. A nil error means the message
// was handed over for good (accepted by the SMTP server, or written to
// the outbox); anything else is retried unless it is a permanent
// *SendError. Send must return when ctx ends.
type Sender interface {
	Send(ctx context.Context, e Envelope) error
}

// SendError is a failed delivery. Reason is safe to log (a stage and an
// SMTP reply code, such as "rcpt 550"); Err, which may quote the server
// and with it an address, never is.
type SendError struct {
	Reason    string
	Permanent bool // retrying cannot help (the recipient was refused)
	Err       error
}

func (e *SendError) Error() string { return "send mail: " + e.Reason + ": " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// reason returns the loggable reason of a Send error.
func reason(err error) (string, bool) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Reason, se.Permanent
	}
	return "unknown", false
}

// QueueConfig configures NewQueue. Zero durations and counts mean the
// Default* values.
type QueueConfig struct {
	Store  Store
	Sender Sender
	From   string // the sender, e.g. `helpr <no-reply@chat.example.com>`
	Logger zerolog.Logger
	Now    func() time.Time // nil: time.Now

	Lease       time.Duration // how long a claim holds a mail; must exceed SendTimeout
	Poll        time.Duration // how often the worker looks for due mail without being woken
	RetryBase   time.Duration // the first retry's delay, doubled after each failure…
	RetryMax    time.Duration // …up to this
	MaxAttempts int           // sends tried before the mail is given up
	SendTimeout time.Duration // bound of one Send
}

// Queue is the outgoing mail queue: Enqueue stores a message durably and
// wakes the worker (Run), which claims due mail, sends it through the
// Sender, and marks it sent or schedules a retry with exponential backoff.
// A mail whose worker died (or whose node restarted) mid-send is claimed
// again once its lease ends, by any node: delivery is at least once.
// Logs name a mail's kind and id only, never its address or content.
// Safe for concurrent use.
type Queue struct {
	cfg  QueueConfig
	from *netmail.Address
	log  zerolog.Logger
	wake chan struct{}
	run  sync.Mutex // one Run at a time
}

// NewQueue checks cfg and returns a Queue; nothing is sent until Run.
func NewQueue(cfg QueueConfig) (*Queue, error) {
	if cfg.Store == nil || cfg.Sender == nil {
		return nil, errors.New("mail queue: need a store and a sender")
	}
	from, err := ParseFrom(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail queue: from: %w", err)
	}
	cfg.defaults()
	if cfg.Lease <= cfg.SendTimeout {
		return nil, errors.New("mail queue: the lease must exceed the send timeout")
	}
	return &Queue{cfg: cfg, from: from, log: cfg.Logger, wake: make(chan struct{}, 1)}, nil
}

func (c *QueueConfig) defaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&c.Lease, DefaultLease)
	set(&c.Poll, DefaultPoll)
	set(&c.RetryBase, DefaultRetryBase)
	set(&c.RetryMax, DefaultRetryMax)
	set(&c.SendTimeout, DefaultSendTimeout)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
}

// Enqueue checks m (one recipient address, no line break or control
// character in To or Subject, bounded sizes), stores it and wakes the
// worker. It returns nil only once the mail is durably stored.
func (q *Queue) Enqueue(ctx context.Context, m Message) error {
	to, subject, err := checkMessage(m)
	if err != nil {
		return fmt.Errorf("enqueue %s mail: %w", m.Kind, err)
	}
	now := q.cfg.Now().UTC()
	sm := storage.Mail{ID: storage.NewID("mail"), OrgID: m.OrgID, Kind: m.Kind, To: to, Subject: subject,
		Text: m.Text, CreatedAt: now, NextAt: now}
	if err := q.cfg.Store.EnqueueMail(ctx, sm); err != nil {
		return fmt.Errorf("enqueue %s mail: %w", m.Kind, err)
	}
	q.log.Debug().Str("kind", m.Kind).Str("mail_id", sm.ID).Msg("mail queued")
	q.Wake()
	return nil
}

// Wake makes a running worker look for due mail now.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// backoff is the delay after the attempt-th failed send: RetryBase
// doubled attempt-1 times, at most RetryMax.
func (q *Queue) backoff(attempt int) time.Duration {
	d := q.cfg.RetryBase
	for i := 1; i < attempt && d < q.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, q.cfg.RetryMax)
}
