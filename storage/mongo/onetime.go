package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// collOneTime holds one-time tokens (storage.OneTimeStore), one document
// per (purpose, id): its _id is purpose + ":" + id, a lone string _id
// (FerretDB v1 answers it from an index), and the unique index
// purpose_id_unique states the same key on the separate fields.
const collOneTime = "onetime_tokens"

// maxOneTimeList is the most tokens ListOneTime returns.
const maxOneTimeList = 500

// oneTimeDoc is a stored one-time token. Left is what the conditional
// updates compare instead of two fields (FerretDB v1 has no $expr):
// MaxAttempts - Attempts for a token with attempt counting, 1 for one
// without (which no charge touches). A token is valid while Left >= 0.
type oneTimeDoc struct {
	ID          string    `bson:"_id"`
	Purpose     string    `bson:"purpose"`
	TokenID     string    `bson:"token_id"`
	OrgID       string    `bson:"org_id"`
	SubjectID   string    `bson:"subject_id"`
	CodeHash    []byte    `bson:"code_hash,omitempty"`
	Data        string    `bson:"data"`
	Attempts    int       `bson:"attempts"`
	MaxAttempts int       `bson:"max_attempts"`
	Left        int       `bson:"left"`
	CreatedAt   time.Time `bson:"created_at,omitempty"`
	ExpiresAt   time.Time `bson:"expires_at"`
	ConsumedAt  time.Time `bson:"consumed_at,omitempty"`
	Ins         int64     `bson:"ins"`
}

func oneTimeKey(purpose storage.OneTimePurpose, id string) string { return string(purpose) + ":" + id }

func newOneTimeDoc(t storage.OneTime) oneTimeDoc {
	left := 1
	if t.MaxAttempts > 0 {
		left = t.MaxAttempts - t.Attempts
	}
	return oneTimeDoc{ID: oneTimeKey(t.Purpose, t.ID), Purpose: string(t.Purpose), TokenID: t.ID,
		OrgID: t.OrgID, SubjectID: t.SubjectID, CodeHash: t.CodeHash, Data: t.Data,
		Attempts: t.Attempts, MaxAttempts: t.MaxAttempts, Left: left, CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, ConsumedAt: t.ConsumedAt, Ins: nextIns()}
}

func (d oneTimeDoc) oneTime() storage.OneTime {
	return storage.OneTime{ID: d.TokenID, Purpose: storage.OneTimePurpose(d.Purpose), OrgID: d.OrgID,
		SubjectID: d.SubjectID, CodeHash: d.CodeHash, Data: d.Data, Attempts: d.Attempts,
		MaxAttempts: d.MaxAttempts, CreatedAt: utc(d.CreatedAt), ExpiresAt: utc(d.ExpiresAt),
		ConsumedAt: utc(d.ConsumedAt)}
}

// validAt is the filter form of storage.OneTime.ValidAt.
func validAt(now time.Time) bson.D {
	return bson.D{{Key: "consumed_at", Value: nil}, {Key: "expires_at", Value: bson.D{{Key: "$gt", Value: now}}},
		{Key: "left", Value: bson.D{{Key: "$gte", Value: 0}}}}
}

// PutOneTime stores t, replacing any token with the same purpose and id
// (a replace-with-upsert on _id).
func (s *Store) PutOneTime(ctx context.Context, t storage.OneTime) error {
	switch {
	case t.Purpose == "" || t.ID == "":
		return errors.New("put one-time: empty purpose or id")
	case t.ExpiresAt.IsZero():
		return errors.New("put one-time: zero expiry")
	case t.Attempts < 0 || t.MaxAttempts < 0:
		return errors.New("put one-time: negative attempts")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	d := newOneTimeDoc(t)
	_, err := s.coll(collOneTime).ReplaceOne(ctx, byID(d.ID), d, options.Replace().SetUpsert(true))
	return wrap(translate(err), "put one-time %s", t.Purpose)
}

// GetOneTime returns the token of purpose with id as stored.
func (s *Store) GetOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string) (storage.OneTime, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOne[oneTimeDoc](ctx, s.coll(collOneTime), byID(oneTimeKey(purpose, id)))
	if err != nil {
		return storage.OneTime{}, fmt.Errorf("get one-time %s: %w", purpose, err)
	}
	return d.oneTime(), nil
}

// ChargeOneTimeAttempt increments Attempts with one FindOneAndUpdate
// filtered on the token being valid at now with attempts left, and
// returns the token as updated. A token without attempt counting
// (MaxAttempts 0) cannot be charged: ErrConflict.
func (s *Store) ChargeOneTimeAttempt(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error) {
	filter := append(validAt(now), bson.E{Key: "max_attempts", Value: bson.D{{Key: "$gt", Value: 0}}},
		bson.E{Key: "left", Value: bson.D{{Key: "$gt", Value: 0}}})
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}, {Key: "left", Value: -1}}}}
	t, err := s.changeOneTime(ctx, oneTimeKey(purpose, id), filter, update, options.After)
	return t, wrap(err, "charge one-time %s", purpose)
}

// ConsumeOneTime sets ConsumedAt to now with one FindOneAndUpdate filtered
// on the token being valid at now, and returns it as it was before.
func (s *Store) ConsumeOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error) {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "consumed_at", Value: now}}}}
	t, err := s.changeOneTime(ctx, oneTimeKey(purpose, id), validAt(now), update, options.Before)
	return t, wrap(err, "consume one-time %s", purpose)
}

// changeOneTime runs one conditional FindOneAndUpdate of the token with
// _id key (filter adds the condition) and returns the document as ret
// says. When nothing matched, a read tells a missing token (ErrNotFound)
// from one the condition refused (ErrConflict). The update is atomic on
// MongoDB; FerretDB v1 runs it as read-then-write, so this Store also
// queues its own changes of one token on a lock (see doc.go): there only
// calls through one Store exclude each other.
func (s *Store) changeOneTime(ctx context.Context, key string, filter, update bson.D, ret options.ReturnDocument) (storage.OneTime, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockOneTime(ctx, key)
	if err != nil {
		return storage.OneTime{}, err
	}
	defer unlock()
	filter = append(bson.D{{Key: "_id", Value: key}}, filter...)
	var d oneTimeDoc
	err = translate(s.coll(collOneTime).FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(ret)).Decode(&d))
	if errors.Is(err, storage.ErrNotFound) {
		if _, err = findOne[oneTimeDoc](ctx, s.coll(collOneTime), byID(key)); err == nil {
			err = fmt.Errorf("%w: token used up, consumed or expired", storage.ErrConflict)
		}
	}
	if err != nil {
		return storage.OneTime{}, err
	}
	return d.oneTime(), nil
}

// lockOneTime takes this Store's lock stripe of one token (shared with the
// conversation locks: stripes only queue) or fails when ctx ends first.
func (s *Store) lockOneTime(ctx context.Context, key string) (unlock func(), err error) {
	return s.lockStripe(ctx, "onetime:"+key, "one-time token")
}

// ListOneTime returns the organisation's tokens of purpose valid at now,
// newest first, at most 500.
func (s *Store) ListOneTime(ctx context.Context, orgID string, purpose storage.OneTimePurpose, now time.Time) ([]storage.OneTime, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := append(bson.D{{Key: "org_id", Value: orgID}, {Key: "purpose", Value: string(purpose)}}, validAt(now)...)
	list, err := findAll[oneTimeDoc](ctx, s.coll(collOneTime), filter,
		sorted(maxOneTimeList, desc("created_at"), desc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list one-time %s: %w", purpose, err)
	}
	return convert(list, oneTimeDoc.oneTime), nil
}

// RevokeOneTime consumes the organisation's unconsumed token with one
// conditional update; ErrNotFound if it matched none.
func (s *Store) RevokeOneTime(ctx context.Context, orgID string, purpose storage.OneTimePurpose, id string, now time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: oneTimeKey(purpose, id)}, {Key: "org_id", Value: orgID},
		{Key: "consumed_at", Value: nil}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "consumed_at", Value: now}}}}
	return wrap(updateOne(ctx, s.coll(collOneTime), filter, update), "revoke one-time %s", purpose)
}

// RevokeOneTimeForSubject consumes, with one UpdateMany, every unconsumed
// token of purposes whose org_id and subject_id match. An empty subject id
// is refused (it would name every token bound to nobody); no purposes
// revoke nothing.
func (s *Store) RevokeOneTimeForSubject(ctx context.Context, orgID, subjectID string, purposes []storage.OneTimePurpose, now time.Time) (int, error) {
	if subjectID == "" {
		return 0, errors.New("revoke one-time for subject: empty subject id")
	}
	if len(purposes) == 0 {
		return 0, nil
	}
	names := make(bson.A, len(purposes))
	for i, p := range purposes {
		names[i] = string(p)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "subject_id", Value: subjectID},
		{Key: "purpose", Value: bson.D{{Key: "$in", Value: names}}}, {Key: "consumed_at", Value: nil}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "consumed_at", Value: now}}}}
	res, err := s.coll(collOneTime).UpdateMany(ctx, filter, update)
	if err != nil {
		return 0, fmt.Errorf("revoke one-time for subject: %w", translate(err))
	}
	return int(res.ModifiedCount), nil
}

// DeleteExpiredOneTime removes tokens that expired strictly before
// `before` and returns how many. Nothing expires by itself (FerretDB v1
// has no TTL indexes): the server calls this periodically.
func (s *Store) DeleteExpiredOneTime(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	expired := bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: before}}}}
	res, err := s.coll(collOneTime).DeleteMany(ctx, expired)
	if err != nil {
		return 0, fmt.Errorf("delete expired one-time: %w", translate(err))
	}
	return int(res.DeletedCount), nil
}
