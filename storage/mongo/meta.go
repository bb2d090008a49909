package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// metaPrefix prefixes the store_meta _id of a storage.MetaStore value, apart
// from the data migrations' documents.
const metaPrefix = "meta:"

// metaDoc is one named value in store_meta.
type metaDoc struct {
	ID    string `bson:"_id"`
	Value string `bson:"value"`
}

// Meta returns the value stored under name, storage.ErrNotFound if none is.
func (s *Store) Meta(ctx context.Context, name string) (string, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOne[metaDoc](ctx, s.coll(collMeta), bson.D{{Key: "_id", Value: metaPrefix + name}})
	if err != nil {
		return "", fmt.Errorf("meta %s: %w", name, err)
	}
	return d.Value, nil
}

// SwapMeta sets name to value if its current value is old ("" for none) and
// reports whether it wrote: an insert that a duplicate _id refuses, or an
// update filtered on the old value, so concurrent callers agree on one
// winner.
func (s *Store) SwapMeta(ctx context.Context, name, old, value string) (bool, error) {
	if value == "" {
		return false, fmt.Errorf("swap meta %s: empty value", name)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	id := metaPrefix + name
	if old == "" {
		_, err := s.coll(collMeta).InsertOne(ctx, metaDoc{ID: id, Value: value})
		if isDuplicate(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("swap meta %s: %w", name, translate(err))
		}
		return true, nil
	}
	res, err := s.coll(collMeta).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "value", Value: old}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "value", Value: value}}}})
	if err != nil {
		return false, fmt.Errorf("swap meta %s: %w", name, translate(err))
	}
	return res.MatchedCount == 1, nil
}
