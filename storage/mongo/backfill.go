package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// Search-words backfill (backfillWords).
const (
	// backfillID is the store_meta document recording its progress.
	backfillID = "search_words"
	// defaultBackfillBatch messages are read and updated per round.
	defaultBackfillBatch = 500
	// defaultBackfillBudget bounds the backfill of one Open (of the two
	// minutes Open has): a large collection is completed over several.
	defaultBackfillBudget = time.Minute
)

// backfillDoc is the backfill's progress: every message with an id up to
// AfterID has words, Updated messages were given them, and DoneAt is set
// once none was left.
type backfillDoc struct {
	ID      string    `bson:"_id"`
	AfterID string    `bson:"after_id"`
	Updated int64     `bson:"updated"`
	DoneAt  time.Time `bson:"done_at,omitempty"`
}

// backfillWords gives words to the messages stored before messages had
// them, in rounds of at most s.backfill.batch messages in _id order, each
// round recorded in store_meta, until none is left; then it marks the
// backfill done, and later Opens only read that mark. A round reads the
// next messages without words after the recorded id and sets each one's
// words from its text (messages never change, so a repeated or concurrent
// round writes the same words: several nodes may run it together). Once
// the round that exceeds s.backfill.budget is recorded, the backfill
// pauses until the next Open; a failure fails Open, with the progress
// kept. An empty or migrated database costs one or two queries.
func (s *Store) backfillWords(ctx context.Context) error {
	state, err := findOne[backfillDoc](ctx, s.coll(collMeta), bson.D{{Key: "_id", Value: backfillID}})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("read search words backfill: %w", err)
	}
	if !state.DoneAt.IsZero() {
		return nil
	}
	start, after, updated := time.Now(), state.AfterID, int64(0)
	for {
		last, n, err := s.backfillRound(ctx, after)
		if err != nil {
			return fmt.Errorf("backfill search words after %q: %w", after, err)
		}
		if n == 0 {
			break
		}
		after, updated = last, updated+n
		progress := bson.D{{Key: "$max", Value: bson.D{{Key: "after_id", Value: after}}},
			{Key: "$inc", Value: bson.D{{Key: "updated", Value: n}}}}
		if err := s.saveBackfill(ctx, progress); err != nil {
			return err
		}
		s.log.Debug().Int64("updated", updated).Str("after_id", after).Msg("mongodb: search words backfill")
		if time.Since(start) >= s.backfill.budget {
			s.log.Warn().Int64("updated", updated).Dur("took", time.Since(start)).
				Msg("mongodb: search words backfill paused, resumes at the next Open; older messages not yet searchable")
			return nil
		}
	}
	done := bson.D{{Key: "$set", Value: bson.D{{Key: "done_at", Value: time.Now()}}}}
	if err := s.saveBackfill(ctx, done); err != nil {
		return err
	}
	if updated > 0 || state.Updated > 0 {
		s.log.Info().Int64("updated", state.Updated+updated).Dur("took", time.Since(start)).
			Msg("mongodb: search words backfill finished")
	}
	return nil
}

// backfillRound sets the words of the next messages without words after
// id after, at most s.backfill.batch of them, and returns the last one's
// id and their number (0 when none is left). Each update filters on _id
// alone, which FerretDB v1 answers from its index.
func (s *Store) backfillRound(ctx context.Context, after string) (string, int64, error) {
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}},
		{Key: "words", Value: bson.D{{Key: "$exists", Value: false}}}}
	opts := sorted(s.backfill.batch, asc("_id")).SetProjection(bson.D{{Key: "text", Value: 1}})
	list, err := findAll[messageDoc](ctx, s.coll(collMessages), filter, opts)
	if err != nil || len(list) == 0 {
		return "", 0, err
	}
	models := make([]mongo.WriteModel, len(list))
	for i, d := range list {
		set := bson.D{{Key: "$set", Value: bson.D{{Key: "words", Value: messageWords(d.Text)}}}}
		models[i] = mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: d.ID}}).SetUpdate(set)
	}
	if _, err := s.coll(collMessages).BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return "", 0, translate(err)
	}
	return list[len(list)-1].ID, int64(len(list)), nil
}

// saveBackfill applies update to the backfill's store_meta document,
// creating it if needed. Two nodes creating it at once collide on its _id:
// the loser's retry then updates the winner's.
func (s *Store) saveBackfill(ctx context.Context, update bson.D) error {
	return s.saveMeta(ctx, backfillID, update)
}

// saveMeta applies update to store_meta document id, creating it if
// needed (see saveBackfill).
func (s *Store) saveMeta(ctx context.Context, id string, update bson.D) error {
	filter := bson.D{{Key: "_id", Value: id}}
	opts := options.UpdateOne().SetUpsert(true)
	_, err := s.coll(collMeta).UpdateOne(ctx, filter, update, opts)
	if isDuplicate(err) {
		_, err = s.coll(collMeta).UpdateOne(ctx, filter, update, opts)
	}
	if err != nil {
		return fmt.Errorf("record %s: %w", id, translate(err))
	}
	return nil
}
