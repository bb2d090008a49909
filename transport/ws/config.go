package ws

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Sessions validates tokens and reports revocations. *security.Sessions
// implements it. ValidateHash is called on every frame and must be fast on a
// cache hit; ValidateCached (the sweeper's) must do no I/O and answer
// security.ErrNotCached when only ValidateHash can tell; OnRevoke
// listeners must not block.
type Sessions interface {
	ValidateHash(ctx context.Context, hash [32]byte) (security.Principal, error)
	ValidateCached(hash [32]byte) (security.Principal, error)
	OnRevoke(fn func(sessionID string))
}

// Directory looks up the records a connection needs at connect time:
// the widget named by a visitor's publishable key and the visitor itself.
// Both lookups follow the storage package's tenancy rules. It includes
// security.Sealed, whose method is unexported: only the sealing store of
// package security satisfies it, so a raw backend (whose visitors read
// back still sealed) cannot be wired in by mistake.
type Directory interface {
	security.Sealed
	GetWidgetByKey(ctx context.Context, publishableKey string) (storage.Widget, error)
	GetVisitor(ctx context.Context, orgID, id string) (storage.Visitor, error)
}

// Config configures a Server. Zero durations and sizes mean the documented
// defaults.
type Config struct {
	Hub       *hub.Hub
	Sessions  Sessions
	Directory Directory
	// ChatSessions, when set, lets visitors authenticate with a chat token
	// (chattoken.go); nil refuses chat tokens (unauthorized).
	ChatSessions ChatSessions
	// PublicOrigin is the server's own origin ("http://127.0.0.1:8080"):
	// the only browser origin allowed without a widget key.
	PublicOrigin string
	// OriginAliases are further origins that are this hub too (the loopback
	// aliases of the listen address when no public URL is configured).
	OriginAliases []string
	// SecureCookies selects the "__Host-" cookie names (HTTPS deployments).
	SecureCookies bool
	Logger        zerolog.Logger
	Metrics       *metrics.Helpr // nil: a private, unexported set
	Now           func() time.Time

	AuthTimeout        time.Duration // first auth frame deadline; default 5s
	FrameRate          float64       // frames per second per connection; default 20
	FrameBurst         int           // token bucket size; default 40
	SendQueueBytes     int           // per-connection send queue cap; default 4 MiB
	WriteTimeout       time.Duration // deadline of every write; default 10s
	PingInterval       time.Duration // default 20s
	PongTimeout        time.Duration // default 10s
	RevalidateInterval time.Duration // idle token re-check; default 10s

	// SendWindow is how many frames a connection may have read but not yet
	// handled (a message.send is handled when it is acked or refused):
	// the reader keeps reading, so pings and pongs are answered, while at
	// most this many are pending, and stops reading until one is handled
	// when the window is full (backpressure). Frames are handled one at a
	// time in the order read. Default 8.
	SendWindow int
	// MaxAppends caps the message.send frames being stored at once on this
	// node; a send beyond it is answered overloaded (not stored). Zero
	// means DefaultMaxAppends; NoCap turns it off.
	MaxAppends int
	// AppendWaitBudget is how long a message.send may wait behind its
	// connection's earlier frames before its append starts; one that
	// waited longer is answered overloaded (not stored). By Now. Default
	// 5s.
	AppendWaitBudget time.Duration

	// ConversationLimit caps conversation.start per visitor (zero: 10 per
	// hour); a refused start gets a rate_limited error frame with
	// retry_after.
	ConversationLimit RateLimit
	// ConversationLimiter, when set, counts that window cluster-wide (e.g.
	// *redislimit.Window built with the same numbers; keys are visitor
	// ids). It fails open to this node: when it errors, the start is
	// charged to this node's window with the same numbers, and a warning is
	// logged (at most once a minute, never the key). Ignored when
	// ConversationLimit is Disabled.
	ConversationLimiter Limiter

	// ConnsPerIP caps the open connections of one client IP (IPv6: one
	// /64), refused before the upgrade with 429 too_many_connections. Zero
	// means DefaultConnsPerIP; NoCap turns it off. Counted on this node.
	ConnsPerIP int
	// ConnsPerSubject caps the open connections of one subject (a visitor
	// or an agent): before the upgrade when the token came with it, else
	// at the auth frame (close 4029). Zero means DefaultConnsPerSubject;
	// NoCap turns it off. Counted on this node.
	ConnsPerSubject int
	// ClientIP finds a request's client address for ConnsPerIP, trusting
	// X-Forwarded-For from its proxies only; nil trusts no proxy.
	ClientIP *httpx.ClientIPResolver
}

// Defaults for Config's zero values.
const (
	DefaultAuthTimeout        = 5 * time.Second
	DefaultFrameRate          = 20
	DefaultFrameBurst         = 40
	DefaultSendQueueBytes     = 4 << 20
	DefaultWriteTimeout       = 10 * time.Second
	DefaultPingInterval       = 20 * time.Second
	DefaultPongTimeout        = 10 * time.Second
	DefaultRevalidateInterval = 10 * time.Second
	DefaultSendWindow         = 8
	DefaultMaxAppends         = 8192
	DefaultAppendWaitBudget   = 5 * time.Second
)

// Limits on consecutive misbehaviour before a connection is closed.
const (
	maxConsecutiveRateLimited = 50
	maxConsecutiveBadFrames   = 10
	maxFramesPerWrite         = 64
	maxBytesPerWrite          = 64 << 10
)

func (c *Config) applyDefaults() {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&c.AuthTimeout, DefaultAuthTimeout)
	setDur(&c.WriteTimeout, DefaultWriteTimeout)
	setDur(&c.PingInterval, DefaultPingInterval)
	setDur(&c.PongTimeout, DefaultPongTimeout)
	setDur(&c.RevalidateInterval, DefaultRevalidateInterval)
	setDur(&c.AppendWaitBudget, DefaultAppendWaitBudget)
	if c.SendWindow <= 0 {
		c.SendWindow = DefaultSendWindow
	}
	if c.MaxAppends == 0 {
		c.MaxAppends = DefaultMaxAppends
	}
	if c.FrameRate <= 0 {
		c.FrameRate = DefaultFrameRate
	}
	if c.FrameBurst <= 0 {
		c.FrameBurst = DefaultFrameBurst
	}
	if c.SendQueueBytes <= 0 {
		c.SendQueueBytes = DefaultSendQueueBytes
	}
	if c.ConnsPerIP == 0 {
		c.ConnsPerIP = DefaultConnsPerIP
	}
	if c.ConnsPerSubject == 0 {
		c.ConnsPerSubject = DefaultConnsPerSubject
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Metrics == nil {
		c.Metrics = metrics.NewHelpr(metrics.NewRegistry())
	}
}
