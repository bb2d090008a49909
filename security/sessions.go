package security

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"golang.org/x/sync/singleflight"
)

// Session errors. Callers map all of them to 401; they differ so that logs
// and metrics can tell an attack (ErrRefreshReused) from a stale client.
var (
	ErrInvalidToken   = errors.New("security: invalid token")
	ErrTokenExpired   = errors.New("security: token expired")
	ErrSessionRevoked = errors.New("security: session revoked")
	ErrRefreshReused  = errors.New("security: refresh token reused, session revoked")
)

// SessionStore is the part of storage.SessionStore that Sessions uses. It
// must be safe for concurrent use. Lookups return storage.ErrNotFound for an
// unknown hash or id. RotateRefresh is an atomic compare-and-swap: it
// returns storage.ErrConflict when the old token was already rotated or its
// session revoked, and then writes nothing.
type SessionStore interface {
	CreateSession(ctx context.Context, s storage.SessionStart) error
	GetSession(ctx context.Context, id string) (storage.Session, error)
	GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error)
	GetRefreshToken(ctx context.Context, hash []byte) (storage.RefreshToken, error)
	RotateRefresh(ctx context.Context, r storage.Rotation) error
	RevokeSession(ctx context.Context, id string, at time.Time) error
}

var _ SessionStore = storage.SessionStore(nil)

// SessionsConfig configures Sessions. Zero durations take the defaults
// noted; Now nil means time.Now.
type SessionsConfig struct {
	Store  SessionStore
	Secret []byte // at least 32 bytes; derives rotated tokens, so every node must share it
	Now    func() time.Time

	AccessTTL     time.Duration // agent access token; 1h
	RefreshTTL    time.Duration // agent refresh token; 24h
	RememberMeTTL time.Duration // refresh token with RememberMe; 30 days
	RefreshGrace  time.Duration // reuse of the just-rotated refresh token tolerated; 60s
	VisitorTTL    time.Duration // visitor token; 24h
	CacheSize     int           // max cached access tokens; 100_000
}

// lookupTimeout bounds a cache-miss store lookup, which runs detached from
// the first caller's context because other callers share its result.
const lookupTimeout = 10 * time.Second

// Sessions issues, validates, rotates and revokes two-token sessions. Agents
// get an access token (1h) and a refresh token (24h, or 30 days with
// RememberMe) rotated on every use; visitors get one token and no refresh.
// Tokens are stored only as SHA-256 hashes. Access tokens are validated
// through an in-memory cache that a local Revoke evicts at once; another
// node's revocation reaches this node's cache only through EvictSession.
// Sessions is safe for concurrent use.
type Sessions struct {
	store  SessionStore
	secret []byte
	now    func() time.Time
	ttl    ttls
	cache  *tokenCache
	flight singleflight.Group

	mu        sync.Mutex
	listeners []func(sessionID string)
}

type ttls struct {
	access, refresh, rememberMe, grace, visitor time.Duration
}

// NewSessions checks cfg and returns Sessions.
func NewSessions(cfg SessionsConfig) (*Sessions, error) {
	if cfg.Store == nil {
		return nil, errors.New("new sessions: Store is nil")
	}
	if len(cfg.Secret) < 32 {
		return nil, fmt.Errorf("new sessions: Secret has %d bytes, need at least 32", len(cfg.Secret))
	}
	t := ttls{
		access:     orDefault(cfg.AccessTTL, time.Hour),
		refresh:    orDefault(cfg.RefreshTTL, 24*time.Hour),
		rememberMe: orDefault(cfg.RememberMeTTL, 30*24*time.Hour),
		grace:      orDefault(cfg.RefreshGrace, 60*time.Second),
		visitor:    orDefault(cfg.VisitorTTL, 24*time.Hour),
	}
	if t.access < 0 || t.refresh < 0 || t.rememberMe < 0 || t.grace < 0 || t.visitor < 0 || cfg.CacheSize < 0 {
		return nil, errors.New("new sessions: negative TTL or CacheSize")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	size := cfg.CacheSize
	if size == 0 {
		size = 100_000
	}
	return &Sessions{
		store:  cfg.Store,
		secret: append([]byte(nil), cfg.Secret...),
		now:    now,
		ttl:    t,
		cache:  newTokenCache(size),
	}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// clock is the time written to the store: UTC, millisecond precision (what
// the store keeps), so written and read values compare equal.
func (s *Sessions) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Principal is who an access token speaks for.
type Principal struct {
	SessionID string
	OrgID     string
	Kind      storage.SubjectKind
	SubjectID string
	ExpiresAt time.Time // the access token's expiry
}

// OnRevoke registers fn to be called with the session id after every
// revocation this Sessions performs or is told of (Revoke, refresh reuse,
// EvictSession). fn runs on the revoking goroutine and must not block.
func (s *Sessions) OnRevoke(fn func(sessionID string)) {
	s.mu.Lock()
	s.listeners = append(s.listeners, fn)
	s.mu.Unlock()
}

// Revoke revokes a session (logout, or revoking a whole token family): the
// store marks it revoked, its cached access tokens are evicted, and OnRevoke
// listeners are called. Revoking a revoked session succeeds again.
func (s *Sessions) Revoke(ctx context.Context, sessionID string) error {
	if err := s.store.RevokeSession(ctx, sessionID, s.clock()); err != nil {
		return fmt.Errorf("revoke session %s: %w", sessionID, err)
	}
	s.EvictSession(sessionID)
	return nil
}

// EvictSession drops the session's cached access tokens and calls the
// OnRevoke listeners without writing to the store: for a revocation another
// node performed and announced (the next lookup reads the store again).
func (s *Sessions) EvictSession(sessionID string) {
	s.cache.evictSession(sessionID)
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	for _, fn := range ls {
		fn(sessionID)
	}
}
