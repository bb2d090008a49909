package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

func byID(id string) bson.D { return bson.D{{Key: "_id", Value: id}} }

// GetSession returns session id (any organisation).
func (s *Store) GetSession(ctx context.Context, id string) (storage.Session, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOne[sessionDoc](ctx, s.coll(collSessions), byID(id))
	if err != nil {
		return storage.Session{}, fmt.Errorf("get session %s: %w", id, err)
	}
	return d.session(), nil
}

// GetAccessGrant looks up an access token by hash with its session (two
// reads: FerretDB v1 has no $lookup). Expired or revoked grants are
// returned as they are; a token whose session is gone is ErrNotFound.
func (s *Store) GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	a, err := findOne[accessDoc](ctx, s.coll(collAccess), byID(tokenID(hash)))
	if err != nil {
		return storage.AccessGrant{}, fmt.Errorf("get access grant: %w", err)
	}
	d, err := findOne[sessionDoc](ctx, s.coll(collSessions), byID(a.SessionID))
	if err != nil {
		return storage.AccessGrant{}, fmt.Errorf("get access grant: session: %w", err)
	}
	return storage.AccessGrant{TokenHash: unhex(a.ID), ExpiresAt: utc(a.ExpiresAt), Session: d.session()}, nil
}

// GetRefreshToken looks up a refresh token by hash.
func (s *Store) GetRefreshToken(ctx context.Context, hash []byte) (storage.RefreshToken, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOne[refreshDoc](ctx, s.coll(collRefresh), byID(tokenID(hash)))
	if err != nil {
		return storage.RefreshToken{}, fmt.Errorf("get refresh token: %w", err)
	}
	return d.token(), nil
}

// RevokeSession marks the session revoked at `at`, then removes the sealed
// successors of its refresh tokens (also when it was revoked already, so a
// repeated revocation finishes an interrupted one); revoking a revoked
// session keeps the first time. at must not be zero.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("revoke session %s: zero time", id)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: id}, {Key: "revoked_at", Value: nil}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: at}}}}
	err := updateOne(ctx, s.coll(collSessions), filter, update)
	if errors.Is(err, storage.ErrNotFound) { // already revoked, or unknown
		_, err = findOne[sessionDoc](ctx, s.coll(collSessions), byID(id))
	}
	if err == nil {
		sealed := bson.D{{Key: "session_id", Value: id}, {Key: "successor", Value: bson.D{{Key: "$exists", Value: true}}}}
		_, err = s.coll(collRefresh).UpdateMany(ctx, sealed, unsetSuccessor)
		err = translate(err)
	}
	return wrap(err, "revoke session %s", id)
}

// ListSessions returns a subject's sessions, revoked ones included, newest
// first.
func (s *Store) ListSessions(ctx context.Context, orgID string, kind storage.SubjectKind, subjectID string) ([]storage.Session, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "subject_kind", Value: string(kind)},
		{Key: "subject_id", Value: subjectID}}
	list, err := findAll[sessionDoc](ctx, s.coll(collSessions), filter, sorted(0, desc("created_at"), desc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return convert(list, sessionDoc.session), nil
}

// TouchSession records activity at `at`; LastSeenAt never moves backwards.
// at must not be zero.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("touch session %s: zero time", id)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	update := bson.D{{Key: "$max", Value: bson.D{{Key: "last_seen_at", Value: at}}}}
	return wrap(updateOne(ctx, s.coll(collSessions), byID(id), update), "touch session %s", id)
}

// DeleteExpiredTokens removes access and refresh token hashes that expired
// strictly before `before` and returns how many were removed; the
// rotation claims of expired refresh tokens go with them, and the sealed
// successors whose grace ended strictly before `before` are unset (both
// uncounted). Sessions are kept. Nothing expires by itself (FerretDB v1 has
// no TTL indexes): the server calls this periodically.
func (s *Store) DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	expired := bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: before}}}}
	var total int64
	for _, name := range []string{collAccess, collRefresh, collClaims} {
		res, err := s.coll(name).DeleteMany(ctx, expired)
		if err != nil {
			return int(total), fmt.Errorf("delete expired tokens from %s: %w", name, translate(err))
		}
		if name != collClaims {
			total += res.DeletedCount
		}
	}
	graceOver := bson.D{{Key: "successor_until", Value: bson.D{{Key: "$lt", Value: before}}}}
	if _, err := s.coll(collRefresh).UpdateMany(ctx, graceOver, unsetSuccessor); err != nil {
		return int(total), fmt.Errorf("delete expired sealed successors: %w", translate(err))
	}
	return int(total), nil
}
