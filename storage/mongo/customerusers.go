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

var _ storage.CustomerUserStore = (*Store)(nil)

// collCustomerUsers holds storage.CustomerUserStore's users.
const collCustomerUsers = "customer_users"

// customerUserDoc is one customer user; ExternalID, Name and Email arrive
// sealed. external_index is absent once erased (the unique index is
// sparse, so erased users never collide).
type customerUserDoc struct {
	ID            string    `bson:"_id"`
	OrgID         string    `bson:"org_id"`
	ExternalID    string    `bson:"external_id"`
	ExternalIndex []byte    `bson:"external_index,omitempty"`
	Name          string    `bson:"name"`
	Email         string    `bson:"email"`
	VisitorID     string    `bson:"visitor_id"`
	TokenVersion  int64     `bson:"token_version"`
	CreatedAt     time.Time `bson:"created_at,omitempty"`
	LastSeenAt    time.Time `bson:"last_seen_at,omitempty"`
	DeletedAt     time.Time `bson:"deleted_at,omitempty"`
}

func (d customerUserDoc) org() string { return d.OrgID }

func (d customerUserDoc) user() storage.CustomerUser {
	u := storage.CustomerUser{ID: d.ID, OrgID: d.OrgID, ExternalID: d.ExternalID, Name: d.Name, Email: d.Email,
		VisitorID: d.VisitorID, TokenVersion: d.TokenVersion, CreatedAt: utc(d.CreatedAt),
		LastSeenAt: utc(d.LastSeenAt), DeletedAt: utc(d.DeletedAt)}
	if len(d.ExternalIndex) > 0 {
		u.ExternalIndex = d.ExternalIndex
	}
	return u
}

// CreateCustomerUser stores a new customer user (its sealed fields as
// given). ErrConflict for a taken id or external index.
func (s *Store) CreateCustomerUser(ctx context.Context, u storage.CustomerUser) error {
	if u.ID == "" || u.OrgID == "" || len(u.ExternalIndex) == 0 {
		return errors.New("create customer user: need an id, an organisation and an external index")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	doc := customerUserDoc{ID: u.ID, OrgID: u.OrgID, ExternalID: u.ExternalID, ExternalIndex: u.ExternalIndex,
		Name: u.Name, Email: u.Email, VisitorID: u.VisitorID, TokenVersion: u.TokenVersion,
		CreatedAt: u.CreatedAt, LastSeenAt: u.LastSeenAt, DeletedAt: u.DeletedAt}
	if _, err := s.coll(collCustomerUsers).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create customer user %s: %w", u.ID, translate(err))
	}
	return nil
}

// GetCustomerUser returns customer user id of orgID, erased or not.
func (s *Store) GetCustomerUser(ctx context.Context, orgID, id string) (storage.CustomerUser, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOwned[customerUserDoc](ctx, s.coll(collCustomerUsers), orgID, id)
	if err != nil {
		return storage.CustomerUser{}, fmt.Errorf("get customer user %s: %w", id, err)
	}
	return d.user(), nil
}

// FindCustomerUser returns the organisation's non-erased user whose
// external index is one of indexes.
func (s *Store) FindCustomerUser(ctx context.Context, orgID string, indexes [][]byte) (storage.CustomerUser, error) {
	var in bson.A
	for _, ix := range indexes {
		if len(ix) > 0 {
			in = append(in, ix)
		}
	}
	if len(in) == 0 {
		return storage.CustomerUser{}, fmt.Errorf("find customer user: %w", storage.ErrNotFound)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "external_index", Value: bson.D{{Key: "$in", Value: in}}},
		{Key: "deleted_at", Value: nil}}
	list, err := findAll[customerUserDoc](ctx, s.coll(collCustomerUsers), filter, sorted(1, asc("created_at"), asc("_id")))
	if err == nil && len(list) == 0 {
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.CustomerUser{}, fmt.Errorf("find customer user: %w", err)
	}
	return list[0].user(), nil
}

// UpdateCustomerUser replaces the user's external id and index, name,
// email and last-seen time. An erased user is ErrNotFound.
func (s *Store) UpdateCustomerUser(ctx context.Context, u storage.CustomerUser) error {
	if len(u.ExternalIndex) == 0 {
		return errors.New("update customer user: empty external index")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	set := bson.D{{Key: "external_id", Value: u.ExternalID}, {Key: "external_index", Value: u.ExternalIndex},
		{Key: "name", Value: u.Name}, {Key: "email", Value: u.Email}}
	if !u.LastSeenAt.IsZero() {
		set = append(set, bson.E{Key: "last_seen_at", Value: u.LastSeenAt})
	}
	return wrap(updateOne(ctx, s.coll(collCustomerUsers), s.activeUser(u.OrgID, u.ID), bson.D{{Key: "$set", Value: set}}),
		"update customer user %s", u.ID)
}

// activeUser filters one non-erased user of orgID.
func (s *Store) activeUser(orgID, id string) bson.D {
	return bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}, {Key: "deleted_at", Value: nil}}
}

// GetCustomerUserByVisitor returns the active user linked to visitorID.
func (s *Store) GetCustomerUserByVisitor(ctx context.Context, orgID, visitorID string) (storage.CustomerUser, error) {
	if visitorID == "" {
		return storage.CustomerUser{}, fmt.Errorf("customer user of visitor: %w", storage.ErrNotFound)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "visitor_id", Value: visitorID}, {Key: "deleted_at", Value: nil}}
	list, err := findAll[customerUserDoc](ctx, s.coll(collCustomerUsers), filter, sorted(1, asc("created_at"), asc("_id")))
	if err == nil && len(list) == 0 {
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.CustomerUser{}, fmt.Errorf("customer user of visitor %s: %w", visitorID, err)
	}
	return list[0].user(), nil
}

// ScanCustomerUsers returns users of every organisation after afterID, by
// id. For maintenance only.
func (s *Store) ScanCustomerUsers(ctx context.Context, afterID string, limit int) ([]storage.CustomerUser, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: afterID}}}}
	list, err := findAll[customerUserDoc](ctx, s.coll(collCustomerUsers), filter, sorted(clamp(limit, defaultScanLimit, maxScanLimit), asc("_id")))
	if err != nil {
		return nil, fmt.Errorf("scan customer users after %q: %w", afterID, err)
	}
	return convert(list, customerUserDoc.user), nil
}

// SetCustomerUserVisitor links a visitor-less user to visitorID; the
// condition is part of the filter (and the Store's lock stripe queues its
// own writers, for FerretDB's read-then-write updates).
func (s *Store) SetCustomerUserVisitor(ctx context.Context, orgID, id, visitorID string) error {
	if visitorID == "" {
		return errors.New("set customer user visitor: empty visitor id")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockStripe(ctx, "customer_user:"+orgID+":"+id, "customer user")
	if err != nil {
		return err
	}
	defer unlock()
	filter := append(s.activeUser(orgID, id), bson.E{Key: "visitor_id", Value: ""})
	err = updateOne(ctx, s.coll(collCustomerUsers), filter, bson.D{{Key: "$set", Value: bson.D{{Key: "visitor_id", Value: visitorID}}}})
	if errors.Is(err, storage.ErrNotFound) {
		d, ferr := findOwned[customerUserDoc](ctx, s.coll(collCustomerUsers), orgID, id)
		switch {
		case ferr != nil:
			err = ferr
		case d.DeletedAt.IsZero():
			err = storage.ErrConflict
		}
	}
	return wrap(err, "set visitor of customer user %s", id)
}

// BumpCustomerUserTokenVersion adds one to the user's token version ($inc,
// returning the new document).
func (s *Store) BumpCustomerUserTokenVersion(ctx context.Context, orgID, id string) (int64, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockStripe(ctx, "customer_user:"+orgID+":"+id, "customer user")
	if err != nil {
		return 0, err
	}
	defer unlock()
	var d customerUserDoc
	err = s.coll(collCustomerUsers).FindOneAndUpdate(ctx, s.activeUser(orgID, id),
		bson.D{{Key: "$inc", Value: bson.D{{Key: "token_version", Value: int64(1)}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return 0, fmt.Errorf("bump token version of customer user %s: %w", id, translate(err))
	}
	return d.TokenVersion, nil
}

// ListCustomerUsers returns a page of the organisation's active users,
// newest first.
func (s *Store) ListCustomerUsers(ctx context.Context, orgID string, cursor *storage.CustomerUserCursor, limit int) ([]storage.CustomerUser, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "deleted_at", Value: nil}}
	if cursor != nil {
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: cursor.CreatedAt}}}},
			bson.D{{Key: "created_at", Value: cursor.CreatedAt}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: cursor.ID}}}},
		}})
	}
	n := clamp(limit, 50, storage.MaxCustomerUserList)
	list, err := findAll[customerUserDoc](ctx, s.coll(collCustomerUsers), filter, sorted(n, desc("created_at"), desc("_id")))
	if err != nil {
		return nil, fmt.Errorf("list customer users: %w", err)
	}
	return convert(list, customerUserDoc.user), nil
}

// eraseCustomerUser erases the customer user linked to an erased visitor.
func (s *Store) eraseCustomerUser(ctx context.Context, e storage.Erasure) error {
	if e.Kind != storage.SubjectVisitor {
		return nil
	}
	filter := bson.D{{Key: "org_id", Value: e.OrgID}, {Key: "visitor_id", Value: e.SubjectID}, {Key: "deleted_at", Value: nil}}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "external_id", Value: ""}, {Key: "name", Value: ""}, {Key: "email", Value: ""},
			{Key: "deleted_at", Value: e.At}}},
		{Key: "$unset", Value: bson.D{{Key: "external_index", Value: ""}}},
	}
	if _, err := s.coll(collCustomerUsers).UpdateMany(ctx, filter, update); err != nil {
		return fmt.Errorf("erase customer user: %w", translate(err))
	}
	return nil
}
