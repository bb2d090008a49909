package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// settleLimit bounds how long a rotation that lost the claim waits for the
// winner to finish (see awaitRotated); a deadlock guard, reached only when
// the winner died half-way.
const settleLimit = 2 * time.Second

// staleClaimAfter is when a claim whose token is still not rotated counts
// as abandoned: its rotation was interrupted (the store went away between
// the claim and the marking, so the undo could not delete the claim). It
// is twice the store's default call timeout, past which the claimant has
// stopped writing, and it is judged on the callers' clocks (r.At), so the
// nodes' clocks must agree to well within it (docs/reliability.md).
const staleClaimAfter = 10 * time.Second

// claimDoc is a rotation claim: its _id is the hex of the rotated token's
// hash, so the unique _id index lets exactly one rotation of a token
// proceed — on MongoDB and on FerretDB v1 alike, whose conditional updates
// are not atomic but whose unique indexes are.
type claimDoc struct {
	ID        string    `bson:"_id"`
	SessionID string    `bson:"session_id"`
	At        time.Time `bson:"at"`
	ExpiresAt time.Time `bson:"expires_at,omitempty"` // the rotated token's, for the sweep
}

// RotateRefresh exchanges r.OldHash for r.Next and r.Access without a
// transaction. After checking that the old token exists (else ErrNotFound),
// is not rotated and that its session is not revoked (else ErrConflict),
// it inserts a claim keyed by the old hash: the one insert that succeeds
// wins; the others wait until the winner's rotation is visible and return
// ErrConflict (or ErrUnavailable while it is not, and take over a claim
// abandoned by an interrupted rotation: see claim). The winner then inserts the successor and the access token,
// raises the session's generation with $max, and last marks the old token
// rotated, storing r.SealedSuccessor and r.SuccessorUntil in the same
// conditional update — so whoever sees the old token rotated also sees its
// sealed successor, the successors and the new generation. A marking
// update that fails but is found applied when read again succeeds. A failure after
// the claim deletes what the call inserted. A revocation racing the
// rotation may let one successor into a revoked session, where it
// authorises nothing. Token SessionIDs may be empty but must not name
// another session.
func (s *Store) RotateRefresh(ctx context.Context, r storage.Rotation) error {
	if r.At.IsZero() {
		return fmt.Errorf("rotate refresh: zero time")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	old, err := s.rotatable(ctx, r)
	if err != nil {
		return fmt.Errorf("rotate refresh: %w", err)
	}
	var undo undoList
	claim := claimDoc{ID: old.ID, SessionID: old.SessionID, At: r.At, ExpiresAt: old.ExpiresAt}
	if err := s.claim(ctx, &undo, claim); err != nil {
		return fmt.Errorf("rotate refresh: %w", err)
	}
	if err := s.completeRotation(ctx, &undo, old, r); err != nil {
		cctx, ccancel := s.cleanup(ctx)
		defer ccancel()
		return fmt.Errorf("rotate refresh: %w", errors.Join(err, undo.run(cctx)))
	}
	return nil
}

// claim inserts the rotation's claim, remembering in undo how to take it
// back (only this claim: the delete matches its time too). A claim already
// there means another rotation of the token: when it completes (awaited up
// to settleLimit) the answer is ErrConflict; when it was abandoned (older
// than staleClaimAfter, the token still unrotated) it is replaced once;
// otherwise the answer is ErrUnavailable — retry — never a conflict, which
// would tell the caller the token is spent while nobody rotated it.
func (s *Store) claim(ctx context.Context, undo *undoList, c claimDoc) error {
	err := s.insertClaim(ctx, undo, c)
	if !isDuplicate(err) {
		return err
	}
	rotated, err := s.awaitRotated(ctx, c.ID)
	switch {
	case err != nil:
		return err
	case rotated:
		return fmt.Errorf("%w: token already rotated", storage.ErrConflict)
	}
	if took, err := s.dropStaleClaim(ctx, c); err != nil || !took {
		return errors.Join(err, fmt.Errorf("%w: another rotation of this token is in progress or was interrupted; retry", storage.ErrUnavailable))
	}
	if err := s.insertClaim(ctx, undo, c); err != nil {
		if isDuplicate(err) { // another caller replaced it first
			return fmt.Errorf("%w: another rotation of this token is in progress; retry", storage.ErrUnavailable)
		}
		return err
	}
	return nil
}

// insertClaim inserts c and remembers in undo a delete of exactly c.
func (s *Store) insertClaim(ctx context.Context, undo *undoList, c claimDoc) error {
	coll := s.coll(collClaims)
	if _, err := coll.InsertOne(ctx, c); err != nil {
		return translate(err)
	}
	*undo = append(*undo, func(ctx context.Context) error {
		_, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: c.ID}, {Key: "at", Value: c.At}})
		return err
	})
	return nil
}

// dropStaleClaim deletes the claim on c's token if it is older than
// staleClaimAfter at c.At, reporting whether this call deleted it.
func (s *Store) dropStaleClaim(ctx context.Context, c claimDoc) (bool, error) {
	held, err := findOne[claimDoc](ctx, s.coll(collClaims), byID(c.ID))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return true, nil // its claimant took it back meanwhile
	case err != nil:
		return false, err
	case c.At.Sub(held.At) < staleClaimAfter:
		return false, nil
	}
	res, err := s.coll(collClaims).DeleteOne(ctx, bson.D{{Key: "_id", Value: c.ID}, {Key: "at", Value: held.At}})
	if err != nil {
		return false, translate(err)
	}
	return res.DeletedCount == 1, nil
}

// rotatable loads the old token and checks it may be rotated.
func (s *Store) rotatable(ctx context.Context, r storage.Rotation) (refreshDoc, error) {
	old, err := findOne[refreshDoc](ctx, s.coll(collRefresh), byID(tokenID(r.OldHash)))
	if err != nil {
		return refreshDoc{}, err
	}
	if !old.RotatedAt.IsZero() {
		return refreshDoc{}, fmt.Errorf("%w: token already rotated", storage.ErrConflict)
	}
	for _, other := range []string{r.Next.SessionID, r.Access.SessionID} {
		if other != "" && other != old.SessionID {
			return refreshDoc{}, fmt.Errorf("new token belongs to session %q, not %q", other, old.SessionID)
		}
	}
	sess, err := findOne[sessionDoc](ctx, s.coll(collSessions), byID(old.SessionID))
	switch {
	case errors.Is(err, storage.ErrNotFound) || (err == nil && !sess.RevokedAt.IsZero()):
		return refreshDoc{}, fmt.Errorf("%w: session revoked", storage.ErrConflict)
	case err != nil:
		return refreshDoc{}, err
	}
	return old, nil
}

// completeRotation is the winner's part: successors, generation, and the
// old token marked rotated last.
func (s *Store) completeRotation(ctx context.Context, undo *undoList, old refreshDoc, r storage.Rotation) error {
	next := r.Next
	next.RotatedAt = time.Time{}
	if err := s.insertTokens(ctx, undo, old.SessionID, r.Access, &next); err != nil {
		return err
	}
	raise := bson.D{{Key: "$max", Value: bson.D{{Key: "generation", Value: next.Generation}}}}
	if err := updateOne(ctx, s.coll(collSessions), byID(old.SessionID), raise); err != nil {
		return fmt.Errorf("raise generation: %w", err)
	}
	filter := bson.D{{Key: "_id", Value: old.ID}, {Key: "rotated_at", Value: nil}}
	set := bson.D{{Key: "rotated_at", Value: r.At}}
	if r.SealedSuccessor != "" {
		set = append(set, bson.E{Key: "successor", Value: r.SealedSuccessor},
			bson.E{Key: "successor_until", Value: r.SuccessorUntil})
	}
	mark := bson.D{{Key: "$set", Value: set}}
	if err := updateOne(ctx, s.coll(collRefresh), filter, mark); err != nil {
		if s.markLanded(ctx, old.ID, r) {
			return nil // the write was applied but its reply lost: undoing would kill both tokens
		}
		return fmt.Errorf("mark rotated: %w", err)
	}
	return nil
}

// markLanded reports whether the old token (_id id) is marked rotated by r
// itself, read again after the marking update failed.
func (s *Store) markLanded(ctx context.Context, id string, r storage.Rotation) bool {
	ctx, cancel := s.cleanup(ctx)
	defer cancel()
	d, err := findOne[refreshDoc](ctx, s.coll(collRefresh), byID(id))
	return err == nil && d.RotatedAt.Equal(r.At) && d.Successor == r.SealedSuccessor
}

// awaitRotated waits, up to settleLimit or the call's deadline, until the
// token with _id id is marked rotated, so that a caller told ErrConflict
// reads the winner's complete rotation (the security layer then hands out
// the same successors within its grace window). It reports whether the
// token was seen rotated; an error only when the store did not answer.
func (s *Store) awaitRotated(ctx context.Context, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, settleLimit)
	defer cancel()
	for pause := time.Millisecond; ; pause = min(2*pause, 20*time.Millisecond) {
		d, err := findOne[refreshDoc](ctx, s.coll(collRefresh), byID(id))
		switch {
		case err == nil && !d.RotatedAt.IsZero():
			return true, nil
		case err != nil && ctx.Err() == nil:
			return false, err
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(pause):
		}
	}
}
