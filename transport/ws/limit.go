package ws

import (
	"context"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Limiter decides whether one more event for key fits a rate limit, and
// counts it if so. ok reports whether the event was allowed (and counted);
// when it was not, retryAfter is how long until it may be. A non-nil err
// means the limiter could not decide (its shared store is unreachable): the
// server then decides on this node's own window instead, so chat keeps
// working. err is logged, so it must not contain key. Implementations must
// be safe for concurrent use; *redislimit.Window is one.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// RateLimit is a sliding-window limit: at most Limit events per Window
// (whole seconds). The zero value means the default; Disabled turns the
// limit off.
type RateLimit struct {
	Limit    int
	Window   time.Duration
	Disabled bool
}

// Default limit of conversation.start per visitor.
const (
	DefaultConversationLimit  = 10
	DefaultConversationWindow = time.Hour
)

// limitConversation names the conversation.start limit in logs, in
// helpr_rate_limited_total{limit} and in a cluster's Redis prefix.
const limitConversation = "conversation_visitor"

// sharedLimitTimeout bounds a shared check; past it this node decides.
const sharedLimitTimeout = time.Second

// newConvLimiter builds the conversation.start limit per visitor that cfg
// describes: through cfg.ConversationLimiter when there is one, else (and
// whenever it fails) through this node's window; nil when disabled. cfg's
// defaults must be applied.
func newConvLimiter(cfg *Config) *security.FallbackWindow {
	lim := cfg.ConversationLimit
	if lim.Disabled {
		return nil
	}
	if lim.Limit <= 0 {
		lim.Limit = DefaultConversationLimit
	}
	if lim.Window <= 0 {
		lim.Window = DefaultConversationWindow
	}
	lim.Window = max(lim.Window, time.Second) // the window's precision
	var shared security.SharedWindow
	if cfg.ConversationLimiter != nil {
		shared = cfg.ConversationLimiter
	}
	log := cfg.Logger
	warn := func(err error) {
		log.Warn().Err(err).Str("limit", limitConversation).
			Msg("shared rate limit unavailable: counting on this node only (logged at most once a minute)")
	}
	return security.NewFallbackWindow(shared, security.NewSlidingWindow(lim.Limit, lim.Window, cfg.Now),
		sharedLimitTimeout, cfg.Now, warn)
}

// allowConversation charges one new conversation to the visitor (always
// allowed when the limit is off).
func (c *conn) allowConversation(ctx context.Context) (bool, time.Duration) {
	if c.s.convLimit == nil {
		return true, 0
	}
	return c.s.convLimit.Allow(ctx, c.principal.SubjectID)
}

// conversationLimited refuses a conversation.start with rate_limited,
// saying in whole seconds when to retry.
func (c *conn) conversationLimited(ref string, retry time.Duration) {
	secs := httpx.RetryAfterSeconds(retry)
	c.s.cfg.Metrics.RateLimited.With(limitConversation).Inc()
	c.s.cfg.Metrics.Rejections.With(string(wire.CodeRateLimited)).Inc()
	c.sendFrame(wire.TypeError, ref, wire.Error{Code: string(wire.CodeRateLimited), RetryAfter: secs,
		Message: fmt.Sprintf("too many new conversations; retry in %d seconds", secs)})
}
