package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// DeactivateAgent sets deactivated_at with one conditional update (only
// while it is absent and the agent is not erased). When it matches
// nothing, a read tells a deactivated agent (ErrConflict) from a missing or
// erased one (ErrNotFound). The update is atomic on MongoDB; FerretDB v1
// runs it as read-then-write, so calls through one Store also queue on a
// lock stripe of the agent (see doc.go).
func (s *Store) DeactivateAgent(ctx context.Context, orgID, id string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("deactivate agent %s: zero time", id)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockStripe(ctx, "agent:"+orgID+":"+id, "agent")
	if err != nil {
		return err
	}
	defer unlock()
	filter := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID},
		{Key: "deleted_at", Value: nil}, {Key: "deactivated_at", Value: nil}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "deactivated_at", Value: at}}}}
	err = updateOne(ctx, s.coll(collAgents), filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		err = s.whyNotDeactivated(ctx, orgID, id)
	}
	return wrap(err, "deactivate agent %s", id)
}

// whyNotDeactivated explains an update that matched no document.
func (s *Store) whyNotDeactivated(ctx context.Context, orgID, id string) error {
	d, err := findOwned[agentDoc](ctx, s.coll(collAgents), orgID, id)
	switch {
	case err != nil:
		return err
	case !d.DeletedAt.IsZero():
		return storage.ErrNotFound
	case !d.DeactivatedAt.IsZero():
		return fmt.Errorf("%w: already deactivated", storage.ErrConflict)
	}
	return errors.New("agent changed during deactivation; retry")
}
