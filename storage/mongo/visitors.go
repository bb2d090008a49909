package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// Visitor scan limits (ScanVisitors).
const (
	defaultScanLimit = 500
	maxScanLimit     = 5000
)

// visitorDoc holds a visitor; Name, Email and Phone arrive sealed.
type visitorDoc struct {
	ID         string    `bson:"_id"`
	OrgID      string    `bson:"org_id"`
	WidgetID   string    `bson:"widget_id"`
	Name       string    `bson:"name"`
	Email      string    `bson:"email"`
	Phone      string    `bson:"phone"`
	EmailIndex []byte    `bson:"email_index,omitempty"` // absent without an email
	CreatedAt  time.Time `bson:"created_at,omitempty"`
	LastSeenAt time.Time `bson:"last_seen_at,omitempty"`
	DeletedAt  time.Time `bson:"deleted_at,omitempty"`
}

func (d visitorDoc) org() string { return d.OrgID }

func (d visitorDoc) visitor() storage.Visitor {
	v := storage.Visitor{ID: d.ID, OrgID: d.OrgID, WidgetID: d.WidgetID, Name: d.Name,
		Email: d.Email, Phone: d.Phone, CreatedAt: utc(d.CreatedAt),
		LastSeenAt: utc(d.LastSeenAt), DeletedAt: utc(d.DeletedAt)}
	if len(d.EmailIndex) > 0 {
		v.EmailIndex = d.EmailIndex
	}
	return v
}

// CreateVisitor stores a new visitor as given (the caller seals its PII).
func (s *Store) CreateVisitor(ctx context.Context, v storage.Visitor) error {
	if v.ID == "" {
		return fmt.Errorf("create visitor: empty id")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	doc := visitorDoc{ID: v.ID, OrgID: v.OrgID, WidgetID: v.WidgetID, Name: v.Name, Email: v.Email,
		Phone: v.Phone, EmailIndex: v.EmailIndex, CreatedAt: v.CreatedAt, LastSeenAt: v.LastSeenAt,
		DeletedAt: v.DeletedAt}
	if _, err := s.coll(collVisitors).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create visitor %s: %w", v.ID, translate(err))
	}
	return nil
}

// GetVisitor returns visitor id of organisation orgID, erased or not.
func (s *Store) GetVisitor(ctx context.Context, orgID, id string) (storage.Visitor, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOwned[visitorDoc](ctx, s.coll(collVisitors), orgID, id)
	if err != nil {
		return storage.Visitor{}, fmt.Errorf("get visitor %s: %w", id, err)
	}
	return d.visitor(), nil
}

// UpdateVisitor replaces the visitor's name, email, phone, email index and
// last-seen time, matched by OrgID and ID. An erased visitor is ErrNotFound.
func (s *Store) UpdateVisitor(ctx context.Context, v storage.Visitor) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	set := bson.D{{Key: "name", Value: v.Name}, {Key: "email", Value: v.Email}, {Key: "phone", Value: v.Phone}}
	var unset bson.D
	optional := func(field string, value any, empty bool) {
		if empty {
			unset = append(unset, bson.E{Key: field, Value: ""})
		} else {
			set = append(set, bson.E{Key: field, Value: value})
		}
	}
	optional("email_index", v.EmailIndex, len(v.EmailIndex) == 0)
	optional("last_seen_at", v.LastSeenAt, v.LastSeenAt.IsZero())
	update := bson.D{{Key: "$set", Value: set}}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	filter := bson.D{{Key: "_id", Value: v.ID}, {Key: "org_id", Value: v.OrgID}, {Key: "deleted_at", Value: nil}}
	return wrap(updateOne(ctx, s.coll(collVisitors), filter, update), "update visitor %s", v.ID)
}

// FindVisitorByEmailIndex returns the organisation's non-erased visitor
// whose email index equals one of indexes, the most recently seen first
// (then the most recently created). Empty indexes never match.
func (s *Store) FindVisitorByEmailIndex(ctx context.Context, orgID string, indexes [][]byte) (storage.Visitor, error) {
	var in bson.A
	for _, ix := range indexes {
		if len(ix) > 0 {
			in = append(in, ix)
		}
	}
	if len(in) == 0 {
		return storage.Visitor{}, fmt.Errorf("find visitor by email index: %w", storage.ErrNotFound)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "email_index", Value: bson.D{{Key: "$in", Value: in}}},
		{Key: "deleted_at", Value: nil}}
	list, err := findAll[visitorDoc](ctx, s.coll(collVisitors), filter,
		sorted(1, desc("last_seen_at"), desc("created_at"), desc("_id")))
	if err == nil && len(list) == 0 {
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.Visitor{}, fmt.Errorf("find visitor by email index: %w", err)
	}
	return list[0].visitor(), nil
}

// ScanVisitors returns up to limit visitors of every organisation with ID >
// afterID, ordered by ID, erased ones included. limit <= 0 means 500; it is
// capped at 5000. For maintenance only.
func (s *Store) ScanVisitors(ctx context.Context, afterID string, limit int) ([]storage.Visitor, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: afterID}}}}
	n := clamp(limit, defaultScanLimit, maxScanLimit)
	list, err := findAll[visitorDoc](ctx, s.coll(collVisitors), filter, sorted(n, asc("_id")))
	if err != nil {
		return nil, fmt.Errorf("scan visitors after %q: %w", afterID, err)
	}
	return convert(list, visitorDoc.visitor), nil
}
