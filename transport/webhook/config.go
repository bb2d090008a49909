package webhook

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/mail"
)

// Store is what the dispatcher needs from storage: the webhook queue, the
// team (to find the owners to mail) and the audit trail. It must be the
// sealing store (security.Sealed): endpoint secrets and delivery bodies
// are sealed there, so a raw backend cannot be passed.
type Store interface {
	security.Sealed
	storage.WebhookStore
	ListAgents(ctx context.Context, orgID string) ([]storage.Agent, error)
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Mailer queues outgoing mail durably (a *mail.Queue), as transport/api's.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) error
}

// KindWebhookDisabled is the mail kind of the "endpoint disabled" notice.
const KindWebhookDisabled = "webhook_disabled"

// Defaults of Config.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 64 << 10
	DefaultWorkers          = 4
	DefaultPoll             = time.Second
	DefaultCacheTTL         = 5 * time.Second
	DefaultDisableAfter     = 100
	DefaultMaxAttempts      = 15
	DefaultRetention        = 30 * 24 * time.Hour
)

// Config configures a Dispatcher. Store is required; zero values take the
// defaults above.
type Config struct {
	Store  Store
	Mailer Mailer // nil: owners are not mailed (logged)
	Now    func() time.Time
	Logger zerolog.Logger
	// AllowHosts lists host names, IP addresses and CIDR prefixes that may
	// be reached although they are loopback, private or otherwise internal
	// (--webhook-allow-hosts).
	AllowHosts []string
	Metrics    *Metrics // nil: not counted
	// Timeout bounds one attempt: connect, request and reading the answer.
	Timeout time.Duration
	// MaxResponseBytes caps how much of an answer is read.
	MaxResponseBytes int64
	// PublicOrigin is the hub's origin, used in the disabled-endpoint mail.
	PublicOrigin string
	// Audit appends an audit event; nil appends through Store.AppendAudit
	// (the store keeps each organisation's hash chain).
	Audit func(ctx context.Context, e storage.AuditEvent)

	Workers  int           // concurrent senders of one Run
	Poll     time.Duration // how often Run looks for due deliveries
	Lease    time.Duration // claim lease; default Timeout + 30 s
	CacheTTL time.Duration // Emit's per-organisation endpoint cache
	// DisableAfter is the consecutive failure that disables an endpoint.
	DisableAfter int
	// MaxAttempts is the attempts before a delivery is dead.
	MaxAttempts int
	// Backoff returns the wait after failed attempt n (1-based); nil is
	// the default schedule (Backoff).
	Backoff func(attempt int) time.Duration
	// Retention is how long finished deliveries stay in the delivery log
	// (Run deletes older ones hourly).
	Retention time.Duration
	// Resolver resolves endpoint host names (tests); nil is the system's.
	Resolver *net.Resolver
}

func (c *Config) defaults() error {
	if c.Store == nil {
		return errors.New("webhook: no store")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.Lease <= 0 {
		c.Lease = c.Timeout + 30*time.Second
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = DefaultDisableAfter
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.Backoff == nil {
		c.Backoff = Backoff
	}
	return nil
}
