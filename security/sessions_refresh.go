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
// The successors are derived from the old token with the secret (HMAC), so
// concurrent requests presenting the same token (several tabs) all receive
// the same pair: the store's compare-and-swap lets one rotation win, and the
// others, finding the token rotated less than RefreshGrace ago into the
// session's current generation, return that pair. Presenting a rotated
// token later, or one from an older generation, is replay: the whole family
// is revoked (store, cache, OnRevoke) and the result is ErrRefreshReused.
//
// The new refresh token lives RefreshTTL (RememberMeTTL for remember-me
// sessions) from the rotation, so an active session slides forward and an
// idle one ends; the new access token lives AccessTTL.
//
// Other errors: ErrInvalidToken (malformed or unknown), ErrTokenExpired,
// ErrSessionRevoked, or ErrUnavailable wrapping a store error: then nothing
// was revoked and the old token still works once the store answers.
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
		return s.reused(ctx, refreshToken, old, sess, now)
	}
	iss, err := s.rotate(ctx, refreshToken, old, sess, now)
	if !errors.Is(err, storage.ErrConflict) {
		return iss, err
	}
	// Lost the compare-and-swap: someone rotated (or revoked) first.
	if old, sess, err = s.lookupRefresh(ctx, hash); err != nil {
		return Issued{}, err
	}
	return s.reused(ctx, refreshToken, old, sess, now)
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

// successors derives the refresh and access tokens that replace old.
func (s *Sessions) successors(old string) (refresh, access string) {
	return deriveToken(s.secret, RefreshPrefix, "refresh", old),
		deriveToken(s.secret, AccessPrefix, "access", old)
}

// rotate performs the compare-and-swap from old to its successors.
func (s *Sessions) rotate(ctx context.Context, oldToken string, old storage.RefreshToken, sess storage.Session, now time.Time) (Issued, error) {
	refresh, access := s.successors(oldToken)
	rh, ah := HashToken(refresh), HashToken(access)
	oh := HashToken(oldToken)
	r := storage.Rotation{
		OldHash: oh[:],
		At:      now,
		Next: storage.RefreshToken{Hash: rh[:], SessionID: sess.ID, Generation: old.Generation + 1,
			ExpiresAt: now.Add(s.refreshTTL(sess))},
		Access: storage.AccessToken{Hash: ah[:], SessionID: sess.ID, ExpiresAt: now.Add(s.ttl.access)},
	}
	epoch := s.cache.epoch.Load()
	err := s.store.RotateRefresh(ctx, r)
	if errors.Is(err, storage.ErrNotFound) {
		return Issued{}, ErrInvalidToken // deleted underneath us
	}
	if err != nil {
		return Issued{}, unavailable("refresh: rotate", err)
	}
	sess.Generation = r.Next.Generation
	s.cache.put(ah, principalOf(sess, r.Access.ExpiresAt), epoch, now)
	return Issued{Session: sess, AccessToken: access, AccessExpiresAt: r.Access.ExpiresAt,
		RefreshToken: refresh, RefreshExpiresAt: r.Next.ExpiresAt}, nil
}

// reused handles a refresh token that is already rotated: within the grace
// window and one generation behind, it returns the successors the winner
// got; otherwise it revokes the family.
func (s *Sessions) reused(ctx context.Context, oldToken string, old storage.RefreshToken, sess storage.Session, now time.Time) (Issued, error) {
	if sess.Revoked() {
		return Issued{}, ErrSessionRevoked
	}
	if !old.Rotated() {
		return Issued{}, fmt.Errorf("refresh: store reported a conflict on an unrotated token: %w", storage.ErrConflict)
	}
	if old.Generation == sess.Generation-1 && now.Sub(old.RotatedAt) <= s.ttl.grace {
		return s.replay(ctx, oldToken, sess)
	}
	// Replay: revoke even if the caller has gone away.
	if err := s.Revoke(context.WithoutCancel(ctx), sess.ID); err != nil {
		return Issued{}, fmt.Errorf("refresh: revoking reused family: %w", err)
	}
	return Issued{}, ErrRefreshReused
}

// replay returns the successors of oldToken, which another request has
// already stored, with the expiries the store holds for them.
func (s *Sessions) replay(ctx context.Context, oldToken string, sess storage.Session) (Issued, error) {
	refresh, access := s.successors(oldToken)
	rh, ah := HashToken(refresh), HashToken(access)
	next, err := s.store.GetRefreshToken(ctx, rh[:])
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: successor (is Secret the same on every node?): %w", err)
	}
	grant, err := s.store.GetAccessGrant(ctx, ah[:])
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: successor access token: %w", err)
	}
	if next.SessionID != sess.ID || grant.Session.ID != sess.ID {
		return Issued{}, fmt.Errorf("refresh: successor belongs to another session: %w", ErrInvalidToken)
	}
	return Issued{Session: sess, AccessToken: access, AccessExpiresAt: grant.ExpiresAt,
		RefreshToken: refresh, RefreshExpiresAt: next.ExpiresAt}, nil
}
