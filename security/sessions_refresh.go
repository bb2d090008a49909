package security

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Refresh exchanges a refresh token for a new access token and a new
// refresh token, and marks the old one rotated.
//
// Both successors are new random tokens (NewToken): nothing about them
// follows from the old token or from any secret. So that concurrent
// requests presenting the same token (several tabs) all receive the same
// pair, the rotation stores the pair sealed (SuccessorSealer, bound to the
// old token's hash and the session) on the old token's row, in the same
// compare-and-swap that marks it rotated, with the end of the grace window.
// The store's compare-and-swap lets one rotation win; a request that finds
// the token rotated at most RefreshGrace ago into the session's current
// generation opens the sealed pair and returns it — also the retry of a
// request whose rotation committed but whose reply was lost. Presenting a
// rotated token later, or one from an older generation, is replay: the
// whole family is revoked (store, cache, OnRevoke), which also removes its
// sealed successors, and the result is ErrRefreshReused. The store's sweep
// (DeleteExpiredTokens) removes sealed successors whose grace has ended.
//
// The new refresh token lives RefreshTTL (RememberMeTTL for remember-me
// sessions) from the rotation, so an active session slides forward and an
// idle one ends; the new access token lives AccessTTL.
//
// Other errors: ErrInvalidToken (malformed or unknown), ErrTokenExpired,
// ErrSessionRevoked, ErrNoSuccessor (a grace-window request whose sealed
// pair is missing or does not open here; nothing is revoked), or
// ErrUnavailable wrapping a store error: then nothing was revoked and the
// old token still works once the store answers (the retry either rotates
// it or, if the rotation did commit, gets the stored pair).
func (s *Sessions) Refresh(ctx context.Context, refreshToken string) (Issued, error) {
	if !wellFormed(refreshToken, RefreshPrefix) {
		return Issued{}, ErrInvalidToken
	}
	hash := HashToken(refreshToken)
	old, sess, err := s.lookupRefresh(ctx, hash)
	if err != nil {
		return Issued{}, err
	}
	now := s.clock()
	switch {
	case sess.Revoked():
		return Issued{}, ErrSessionRevoked
	case !now.Before(old.ExpiresAt):
		return Issued{}, ErrTokenExpired
	case old.Rotated():
		return s.reused(ctx, hash, old, sess, now)
	}
	iss, err := s.rotate(ctx, hash, old, sess, now)
	if err == nil {
		s.active.note(principalOf(sess, iss.AccessExpiresAt), now)
	}
	if !errors.Is(err, storage.ErrConflict) {
		return iss, err
	}
	// Lost the compare-and-swap: someone rotated (or revoked) first.
	if old, sess, err = s.lookupRefresh(ctx, hash); err != nil {
		return Issued{}, err
	}
	return s.reused(ctx, hash, old, sess, now)
}

func (s *Sessions) lookupRefresh(ctx context.Context, hash [32]byte) (storage.RefreshToken, storage.Session, error) {
	old, err := s.store.GetRefreshToken(ctx, hash[:])
	if err == nil {
		var sess storage.Session
		sess, err = s.store.GetSession(ctx, old.SessionID)
		if err == nil {
			return old, sess, nil
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		return storage.RefreshToken{}, storage.Session{}, ErrInvalidToken
	}
	return storage.RefreshToken{}, storage.Session{}, unavailable("refresh", err)
}

// rotate performs the compare-and-swap from old (whose hash is oldHash) to
// two new random tokens, storing them sealed on the old token's row. The
// successor's generation follows old's, not the session's: a rotation
// interrupted after raising the session's generation must not push the
// retried successor a generation further, which would make the old token
// two behind and its grace-window replay read as reuse.
func (s *Sessions) rotate(ctx context.Context, oldHash [32]byte, old storage.RefreshToken, sess storage.Session, now time.Time) (Issued, error) {
	refresh, rh := NewToken(RefreshPrefix)
	access, ah := NewToken(AccessPrefix)
	sealed, err := s.sealSuccessor(oldHash, sess.ID, refresh, access)
	if err != nil {
		return Issued{}, err
	}
	r := storage.Rotation{
		OldHash: oldHash[:],
		At:      now,
		Next: storage.RefreshToken{Hash: rh[:], SessionID: sess.ID, Generation: old.Generation + 1,
			ExpiresAt: now.Add(s.refreshTTL(sess))},
		Access:          storage.AccessToken{Hash: ah[:], SessionID: sess.ID, ExpiresAt: now.Add(s.ttl.access)},
		SealedSuccessor: sealed,
		SuccessorUntil:  now.Add(s.ttl.grace),
	}
	epoch := s.cache.epoch.Load()
	err = s.store.RotateRefresh(ctx, r)
	if errors.Is(err, storage.ErrNotFound) {
		return Issued{}, ErrInvalidToken // deleted underneath us
	}
	if err != nil {
		return Issued{}, unavailable("refresh: rotate", err)
	}
	sess.Generation = max(sess.Generation, r.Next.Generation)
	s.cache.put(ah, principalOf(sess, r.Access.ExpiresAt), epoch, now)
	return Issued{Session: sess, AccessToken: access, AccessExpiresAt: r.Access.ExpiresAt,
		RefreshToken: refresh, RefreshExpiresAt: r.Next.ExpiresAt}, nil
}

// reused handles a refresh token that is already rotated: within the grace
// window and one generation behind, it returns the successors the winner
// got; otherwise it revokes the family.
func (s *Sessions) reused(ctx context.Context, oldHash [32]byte, old storage.RefreshToken, sess storage.Session, now time.Time) (Issued, error) {
	if sess.Revoked() {
		return Issued{}, ErrSessionRevoked
	}
	if !old.Rotated() {
		return Issued{}, fmt.Errorf("refresh: store reported a conflict on an unrotated token: %w", storage.ErrConflict)
	}
	if old.Generation == sess.Generation-1 && now.Sub(old.RotatedAt) <= s.ttl.grace {
		return s.replay(ctx, oldHash, old, sess)
	}
	// Replay: revoke even if the caller has gone away. Revoking also
	// removes the family's sealed successors.
	if err := s.Revoke(context.WithoutCancel(ctx), sess.ID); err != nil {
		return Issued{}, fmt.Errorf("refresh: revoking reused family: %w", err)
	}
	return Issued{}, ErrRefreshReused
}

// replay returns the successors sealed on old's row, after checking that
// the store holds them for this session, with the expiries it holds.
func (s *Sessions) replay(ctx context.Context, oldHash [32]byte, old storage.RefreshToken, sess storage.Session) (Issued, error) {
	refresh, access, err := s.openSuccessor(oldHash, sess.ID, old.SealedSuccessor)
	if err != nil {
		return Issued{}, err
	}
	rh, ah := HashToken(refresh), HashToken(access)
	next, err := s.store.GetRefreshToken(ctx, rh[:])
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: successor: %w", successorErr(err))
	}
	grant, err := s.store.GetAccessGrant(ctx, ah[:])
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: successor access token: %w", successorErr(err))
	}
	if next.SessionID != sess.ID || grant.Session.ID != sess.ID {
		return Issued{}, fmt.Errorf("refresh: successor belongs to another session: %w", ErrNoSuccessor)
	}
	return Issued{Session: sess, AccessToken: access, AccessExpiresAt: grant.ExpiresAt,
		RefreshToken: refresh, RefreshExpiresAt: next.ExpiresAt}, nil
}

// successorErr marks a sealed successor the store does not hold as
// ErrNoSuccessor; other store errors pass unchanged.
func successorErr(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNoSuccessor, err)
	}
	return err
}
