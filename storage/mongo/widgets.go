package mongo

import (
	"context"
	"fmt"
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
	CreatedAt      time.Time `bson:"created_at,omitempty"`
	Ins            int64     `bson:"ins"`
}

func (d widgetDoc) org() string { return d.OrgID }

func (d widgetDoc) widget() storage.Widget {
	return storage.Widget{ID: d.ID, OrgID: d.OrgID, Name: d.Name, PublishableKey: d.PublishableKey,
		AllowedOrigins: d.AllowedOrigins, CreatedAt: utc(d.CreatedAt)}
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
		AllowedOrigins: w.AllowedOrigins, CreatedAt: w.CreatedAt, Ins: nextIns()}
	if _, err := s.coll(collWidgets).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create widget %s: %w", w.ID, translate(err))
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
// organisations.
func (s *Store) GetWidgetByKey(ctx context.Context, publishableKey string) (storage.Widget, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "publishable_key", Value: publishableKey}}
	d, err := findOne[widgetDoc](ctx, s.coll(collWidgets), filter)
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
