package security

import (
	"context"
	"errors"

	"github.com/helpr-chat/helpr/storage"
)

// Authenticate validates an access or visitor token. A token that is not
// shaped like one (wrong prefix, length or alphabet, or a refresh token) is
// ErrInvalidToken without hashing or lookup; otherwise it is
// ValidateHash(HashToken(token)).
func (s *Sessions) Authenticate(ctx context.Context, token string) (Principal, error) {
	if !wellFormed(token, AccessPrefix) && !wellFormed(token, VisitorPrefix) {
		return Principal{}, ErrInvalidToken
	}
	return s.ValidateHash(ctx, HashToken(token))
}

// ValidateHash returns the principal of the access token with SHA-256 hash,
// from the cache when it holds the token (no allocation, no I/O), from the
// store otherwise (one lookup however many callers miss on the same hash
// at once). With CacheMaxAge set, a cached grant older than that is read
// from the store again the same way, and fails if the store does: a
// revocation this node was never told of is then found, evicted and
// announced to OnRevoke listeners. Errors: ErrInvalidToken (unknown),
// ErrTokenExpired (at or after its expiry by the injected clock),
// ErrSessionRevoked — the token is no good (Rejected) — or ErrUnavailable
// wrapping the store's error (or the caller's cancellation): the token could
// not be checked, which is retryable and says nothing about the token. A
// stale cached grant is never served while the store is down, and never
// turned into a rejection either.
func (s *Sessions) ValidateHash(ctx context.Context, hash [32]byte) (Principal, error) {
	if p, err := s.ValidateCached(hash); !errors.Is(err, ErrNotCached) {
		return p, err
	}
	p, err := s.validateMiss(ctx, hash)
	if err == nil {
		s.active.note(p, s.now())
	}
	return p, err
}

// ErrNotCached is ValidateCached's answer when the cache cannot vouch for
// a token (not cached, or cached longer ago than CacheMaxAge): only the
// store can tell, through ValidateHash. It says nothing about the token.
var ErrNotCached = errors.New("security: token not in the cache, or its grant is stale")

// ValidateCached is ValidateHash without the store: it never does I/O,
// never blocks on anything but the cache's shard lock, and does not
// allocate. It returns the cached principal of a grant younger than
// CacheMaxAge, ErrTokenExpired for a cached grant at or after its expiry,
// and ErrNotCached when only the store can answer (the caller then calls
// ValidateHash, off any path that must not wait). A success counts as a use
// of the session, as ValidateHash's does.
func (s *Sessions) ValidateCached(hash [32]byte) (Principal, error) {
	e, ok := s.cache.get(hash)
	if !ok {
		return Principal{}, ErrNotCached
	}
	now := s.now()
	if !now.Before(e.p.ExpiresAt) {
		return Principal{}, ErrTokenExpired
	}
	if s.maxAge != 0 && now.Sub(e.loadedAt) >= s.maxAge {
		return Principal{}, ErrNotCached
	}
	s.active.note(e.p, now)
	return e.p, nil
}

// validateMiss waits for the shared store lookup of hash. It is apart from
// ValidateHash so that the closure does not move hash to the heap on hits.
func (s *Sessions) validateMiss(ctx context.Context, hash [32]byte) (Principal, error) {
	ch := s.flight.DoChan(string(hash[:]), func() (any, error) { return s.load(ctx, hash) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return Principal{}, r.Err
		}
		return r.Val.(Principal), nil
	case <-ctx.Done():
		return Principal{}, unavailable("validate token", ctx.Err())
	}
}

// load reads an access grant from the store and caches it if valid. It runs
// once for every caller that missed on hash (or found it stale), detached
// from the first caller's cancellation. A store error leaves a stale entry
// in place, still stale: the next caller tries the store again.
func (s *Sessions) load(ctx context.Context, hash [32]byte) (Principal, error) {
	epoch := s.cache.epoch.Load()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
	defer cancel()
	g, err := s.store.GetAccessGrant(ctx, hash[:])
	if errors.Is(err, storage.ErrNotFound) {
		s.cache.drop(hash)
		return Principal{}, ErrInvalidToken
	}
	if err != nil {
		return Principal{}, unavailable("validate token", err)
	}
	if g.Session.Revoked() {
		if _, cached := s.cache.get(hash); cached {
			s.EvictSession(g.Session.ID) // revoked elsewhere and never announced here
		}
		return Principal{}, ErrSessionRevoked
	}
	now := s.now()
	if !now.Before(g.ExpiresAt) {
		return Principal{}, ErrTokenExpired
	}
	p := principalOf(g.Session, g.ExpiresAt)
	s.cache.put(hash, p, epoch, now)
	return p, nil
}
