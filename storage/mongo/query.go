package mongo

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// owned is a document that belongs to an organisation.
type owned interface{ org() string }

// findOwned loads document id of coll into a T and checks that it belongs
// to orgID; a document of another organisation is ErrNotFound. It filters
// on _id alone, the one filter FerretDB v1 answers from an index.
func findOwned[T owned](ctx context.Context, coll *mongo.Collection, orgID, id string) (T, error) {
	v, err := findOne[T](ctx, coll, bson.D{{Key: "_id", Value: id}})
	if err == nil && v.org() != orgID {
		var zero T
		return zero, storage.ErrNotFound
	}
	return v, err
}

// findOne decodes the first document matching filter.
func findOne[T any](ctx context.Context, coll *mongo.Collection, filter bson.D, opts ...options.Lister[options.FindOneOptions]) (T, error) {
	var v T
	err := coll.FindOne(ctx, filter, opts...).Decode(&v)
	return v, translate(err)
}

// findAll decodes every document matching filter.
func findAll[T any](ctx context.Context, coll *mongo.Collection, filter bson.D, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := coll.Find(ctx, filter, opts...)
	if err != nil {
		return nil, translate(err)
	}
	var list []T
	if err := cur.All(ctx, &list); err != nil {
		return nil, translate(err)
	}
	return list, nil
}

// convert maps each element of list with fn.
func convert[D, T any](list []D, fn func(D) T) []T {
	if len(list) == 0 {
		return nil
	}
	out := make([]T, len(list))
	for i, d := range list {
		out[i] = fn(d)
	}
	return out
}

// updateOne runs an update and reports ErrNotFound when it matched no
// document.
func updateOne(ctx context.Context, coll *mongo.Collection, filter, update bson.D) error {
	res, err := coll.UpdateOne(ctx, filter, update)
	if err != nil {
		return translate(err)
	}
	if res.MatchedCount == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// sorted returns find options sorting by keys and returning at most limit
// documents.
func sorted(limit int, keys ...bson.E) *options.FindOptionsBuilder {
	return options.Find().SetSort(bson.D(keys)).SetLimit(int64(limit))
}

// asc and desc name a sort key.
func asc(field string) bson.E  { return bson.E{Key: field, Value: 1} }
func desc(field string) bson.E { return bson.E{Key: field, Value: -1} }

// clamp returns def for n <= 0 and at most max.
func clamp(n, def, max int) int {
	if n <= 0 {
		return def
	}
	return min(n, max)
}

// utc returns t in UTC, leaving the zero time as it is.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// lastIns is the most recent insertion stamp handed out by this process.
var lastIns atomic.Int64

// nextIns returns an insertion stamp: the wall clock in nanoseconds, kept
// strictly increasing within the process. It breaks ties between records
// created in the same millisecond (the role SQLite's rowid plays); across
// nodes it is as good as their clocks, which is all a tie-break needs.
func nextIns() int64 {
	for {
		last, now := lastIns.Load(), time.Now().UnixNano()
		if now <= last {
			now = last + 1
		}
		if lastIns.CompareAndSwap(last, now) {
			return now
		}
	}
}

// wrap adds context to a store error, or returns nil.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
