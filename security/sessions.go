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

// Session errors: the token is no good (Rejected). Callers map all of them
// to 401; they differ so that logs and metrics can tell an attack
// (ErrRefreshReused) from a stale client. A token that could not be checked
// is ErrUnavailable instead (errors.go), which is retryable.
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

	// CacheMaxAge bounds how long a cached access grant is trusted without
	// re-reading the store: a hit older than this revalidates (one store
	// read however many callers hit it at once). Zero means no bound, right
	// for a single node, where every revocation evicts the cache directly.
	// A cluster sets it (e.g. 30s) so that a revocation whose invalidation
	// message was lost (pub/sub is at-most-once) still takes effect on
	// every node within CacheMaxAge.
	CacheMaxAge time.Duration
}

// lookupTimeout bounds a cache-miss store lookup, which runs detached from
// the first caller's context because other callers share its result.
const lookupTimeout = 10 * time.Second

// Sessions issues, validates, rotates and revokes two-token sessions. Agents
// get an access token (1h) and a refresh token (24h, or 30 days with
// RememberMe) rotated on every use; visitors get one token and no refresh.
// Tokens are stored only as SHA-256 hashes. Access tokens are validated
// through an in-memory cache that a local Revoke evicts at once; another
// node's revocation reaches this node's cache through EvictSession (the
// cluster relays OnLocalRevoke to the other nodes' EvictSession) or, at the
// latest, when a cached grant outlives CacheMaxAge and is read again.
// Sessions is safe for concurrent use.
type Sessions struct {
	store  SessionStore
	secret []byte
	now    func() time.Time
	ttl    ttls
	maxAge time.Duration // 0: cached grants trusted until they expire
	cache  *tokenCache
	flight singleflight.Group

	mu        sync.Mutex
	listeners []func(sessionID string) // every revocation
	local     []func(sessionID string) // revocations originating here
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
	if t.access < 0 || t.refresh < 0 || t.rememberMe < 0 || t.grace < 0 || t.visitor < 0 ||
		cfg.CacheSize < 0 || cfg.CacheMaxAge < 0 {
		return nil, errors.New("new sessions: negative TTL, CacheSize or CacheMaxAge")
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
		maxAge: cfg.CacheMaxAge,
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
// revocation this Sessions performs or is told of: Revoke, refresh reuse,
// EvictSession, and a revocation found in the store when a cached grant
// older than CacheMaxAge is read again. fn runs on the revoking goroutine
// and must not block.
func (s *Sessions) OnRevoke(fn func(sessionID string)) {
	s.mu.Lock()
	s.listeners = append(s.listeners, fn)
	s.mu.Unlock()
}

// OnLocalRevoke registers fn to be called with the session id after every
// revocation that originates on this node — Revoke (logout, erasure, any
// password change or "sign out everywhere"), and the family revocation on
// refresh-token reuse — once the store holds it and the local cache is
// evicted. It is not called for EvictSession or for revocations found in
// the store, so a cluster can publish exactly these to the other nodes
// (which call EvictSession) without echo loops. fn runs on the revoking
// goroutine and must not block: hand the id to a queue.
func (s *Sessions) OnLocalRevoke(fn func(sessionID string)) {
	s.mu.Lock()
	s.local = append(s.local, fn)
	s.mu.Unlock()
}

// Revoke revokes a session (logout, or revoking a whole token family): the
// store marks it revoked, its cached access tokens are evicted, and the
// OnRevoke then OnLocalRevoke listeners are called. Revoking a revoked
// session succeeds again (and notifies again).
func (s *Sessions) Revoke(ctx context.Context, sessionID string) error {
	if err := s.store.RevokeSession(ctx, sessionID, s.clock()); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("revoke session %s: %w", sessionID, err)
		}
		return unavailable("revoke session "+sessionID, err)
	}
	s.EvictSession(sessionID)
	s.mu.Lock()
	ls := s.local
	s.mu.Unlock()
	for _, fn := range ls {
		fn(sessionID)
	}
	return nil
}

// EvictSession drops the session's cached access tokens and calls the
// OnRevoke listeners (not OnLocalRevoke) without writing to the store: for
// a revocation another node performed and announced (the next lookup reads
// the store again). Evicting an unknown or uncached session is harmless.
func (s *Sessions) EvictSession(sessionID string) {
	s.cache.evictSession(sessionID)
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	for _, fn := range ls {
		fn(sessionID)
	}
}
