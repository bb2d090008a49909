package mongo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

type widgetDoc struct {
	ID             string    `bson:"_id"`
	OrgID          string    `bson:"org_id"`
	Name           string    `bson:"name"`
	PublishableKey string    `bson:"publishable_key"` // unique
	AllowedOrigins []string  `bson:"allowed_origins,omitempty"`
	PrechatName    string    `bson:"prechat_name,omitempty"` // a storage.FieldMode; "" = default
	PrechatEmail   string    `bson:"prechat_email,omitempty"`
	PrechatPhone   string    `bson:"prechat_phone,omitempty"`
	OfflineMessage string    `bson:"offline_message,omitempty"`
	CreatedAt      time.Time `bson:"created_at,omitempty"`
	PreviousKey    string    `bson:"previous_key,omitempty"` // unique where set
	PreviousUntil  time.Time `bson:"previous_key_until,omitempty"`
	Ins            int64     `bson:"ins"`
}

func (d widgetDoc) org() string { return d.OrgID }

func (d widgetDoc) widget() storage.Widget {
	origins := d.AllowedOrigins
	if len(origins) == 0 {
		origins = nil // an update stores an empty array; a created widget none
	}
	return storage.Widget{ID: d.ID, OrgID: d.OrgID, Name: d.Name, PublishableKey: d.PublishableKey,
		AllowedOrigins: origins, OfflineMessage: d.OfflineMessage, CreatedAt: utc(d.CreatedAt),
		PreviousKey: d.PreviousKey, PreviousKeyUntil: utc(d.PreviousUntil),
		Prechat: storage.PrechatFields{Name: storage.FieldMode(d.PrechatName),
			Email: storage.FieldMode(d.PrechatEmail), Phone: storage.FieldMode(d.PrechatPhone)}}
}

// CreateWidget stores a widget. ErrConflict on a duplicate publishable key
// or id.
func (s *Store) CreateWidget(ctx context.Context, w storage.Widget) error {
	if w.ID == "" || w.PublishableKey == "" {
		return fmt.Errorf("create widget: need an id and a publishable key")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	doc := widgetDoc{ID: w.ID, OrgID: w.OrgID, Name: w.Name, PublishableKey: w.PublishableKey,
		AllowedOrigins: w.AllowedOrigins, PrechatName: string(w.Prechat.Name),
		PrechatEmail: string(w.Prechat.Email), PrechatPhone: string(w.Prechat.Phone),
		OfflineMessage: w.OfflineMessage, CreatedAt: w.CreatedAt, PreviousKey: w.PreviousKey,
		PreviousUntil: w.PreviousKeyUntil, Ins: nextIns()}
	if _, err := s.coll(collWidgets).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create widget %s: %w", w.ID, translate(err))
	}
	return nil
}

// UpdateWidget replaces the widget's name, allowed origins, pre-chat modes
// and offline message. ErrNotFound when w.OrgID has no widget w.ID.
func (s *Store) UpdateWidget(ctx context.Context, w storage.Widget) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	origins := w.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	filter := bson.D{{Key: "_id", Value: w.ID}, {Key: "org_id", Value: w.OrgID}}
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "name", Value: w.Name},
		{Key: "allowed_origins", Value: origins},
		{Key: "prechat_name", Value: string(w.Prechat.Name)},
		{Key: "prechat_email", Value: string(w.Prechat.Email)},
		{Key: "prechat_phone", Value: string(w.Prechat.Phone)},
		{Key: "offline_message", Value: w.OfflineMessage},
	}}}
	if err := updateOne(ctx, s.coll(collWidgets), filter, update); err != nil {
		return fmt.Errorf("update widget %s: %w", w.ID, err)
	}
	return nil
}

// GetWidget returns widget id of organisation orgID.
func (s *Store) GetWidget(ctx context.Context, orgID, id string) (storage.Widget, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOwned[widgetDoc](ctx, s.coll(collWidgets), orgID, id)
	if err != nil {
		return storage.Widget{}, fmt.Errorf("get widget %s: %w", id, err)
	}
	return d.widget(), nil
}

// GetWidgetByKey finds a widget by its publishable key across
// organisations, or by its previous key.
func (s *Store) GetWidgetByKey(ctx context.Context, publishableKey string) (storage.Widget, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if publishableKey == "" {
		return storage.Widget{}, fmt.Errorf("get widget by key: %w", storage.ErrNotFound)
	}
	filter := bson.D{{Key: "publishable_key", Value: publishableKey}}
	d, err := findOne[widgetDoc](ctx, s.coll(collWidgets), filter)
	if errors.Is(err, storage.ErrNotFound) { // a rotated widget's previous key (the caller checks the time)
		filter = bson.D{{Key: "previous_key", Value: publishableKey}}
		d, err = findOne[widgetDoc](ctx, s.coll(collWidgets), filter)
	}
	if err != nil {
		return storage.Widget{}, fmt.Errorf("get widget by key: %w", err)
	}
	return d.widget(), nil
}

// ListWidgets returns the organisation's widgets ordered by creation.
func (s *Store) ListWidgets(ctx context.Context, orgID string) ([]storage.Widget, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}}
	list, err := findAll[widgetDoc](ctx, s.coll(collWidgets), filter, sorted(0, asc("created_at"), asc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list widgets of %s: %w", orgID, err)
	}
	return convert(list, widgetDoc.widget), nil
}

// RotateWidgetKey stores newKey and moves the old key to previous_key,
// in one update of the widget. The update is conditional on the key read
// first, so two racing rotations do not both keep the same previous key:
// the loser is ErrConflict.
func (s *Store) RotateWidgetKey(ctx context.Context, orgID, id, newKey string, previousUntil time.Time) error {
	if newKey == "" || previousUntil.IsZero() {
		return fmt.Errorf("rotate widget key: need a new key and an end of the overlap")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOwned[widgetDoc](ctx, s.coll(collWidgets), orgID, id)
	if err != nil {
		return fmt.Errorf("rotate widget key %s: %w", id, err)
	}
	filter := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}, {Key: "publishable_key", Value: d.PublishableKey}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "publishable_key", Value: newKey},
		{Key: "previous_key", Value: d.PublishableKey}, {Key: "previous_key_until", Value: previousUntil}}}}
	err = updateOne(ctx, s.coll(collWidgets), filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		err = fmt.Errorf("%w: widget key rotated concurrently", storage.ErrConflict)
	}
	if uniqueViolation(err) {
		err = fmt.Errorf("%w: publishable key in use", storage.ErrConflict)
	}
	return wrap(err, "rotate widget key %s", id)
}

// uniqueViolation reports a unique-index violation of an update: a
// duplicate-key error, or FerretDB v1's internal error for it (which
// updates report instead of code 11000).
func uniqueViolation(err error) bool {
	return err != nil && !errors.Is(err, storage.ErrConflict) &&
		(isDuplicate(err) || strings.Contains(err.Error(), "UNIQUE constraint failed") ||
			strings.Contains(err.Error(), "(SQLSTATE 23505)"))
}
