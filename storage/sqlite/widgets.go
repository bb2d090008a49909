package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

const widgetCols = "id, org_id, name, publishable_key, allowed_origins, " +
	"prechat_name, prechat_email, prechat_phone, offline_message, created_at, previous_key, previous_key_until"

func scanWidget(sc scanner) (storage.Widget, error) {
	var w storage.Widget
	var prev sql.NullString
	p := &w.Prechat
	err := sc.Scan(&w.ID, &w.OrgID, &w.Name, &w.PublishableKey, origins{&w.AllowedOrigins},
		&p.Name, &p.Email, &p.Phone, &w.OfflineMessage, at(&w.CreatedAt), &prev, at(&w.PreviousKeyUntil))
	w.PreviousKey = prev.String
	return w, translate(err)
}

// CreateWidget stores a widget. ErrConflict on a duplicate publishable key
// or id.
func (s *Store) CreateWidget(ctx context.Context, w storage.Widget) error {
	if w.ID == "" || w.PublishableKey == "" {
		return fmt.Errorf("create widget: need an id and a publishable key")
	}
	enc, err := encodeOrigins(w.AllowedOrigins)
	if err != nil {
		return fmt.Errorf("create widget %s: %w", w.ID, err)
	}
	const q = "INSERT INTO widgets (" + widgetCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	p := w.Prechat
	_, err = s.w.ExecContext(ctx, q, w.ID, w.OrgID, w.Name, w.PublishableKey, enc,
		string(p.Name), string(p.Email), string(p.Phone), w.OfflineMessage, ms(w.CreatedAt),
		nullIfEmpty(w.PreviousKey), ms(w.PreviousKeyUntil))
	if err != nil {
		return fmt.Errorf("create widget %s: %w", w.ID, translate(err))
	}
	return nil
}

// UpdateWidget replaces the widget's name, allowed origins, pre-chat modes
// and offline message. ErrNotFound when w.OrgID has no widget w.ID.
func (s *Store) UpdateWidget(ctx context.Context, w storage.Widget) error {
	enc, err := encodeOrigins(w.AllowedOrigins)
	if err != nil {
		return fmt.Errorf("update widget %s: %w", w.ID, err)
	}
	const q = "UPDATE widgets SET name = ?, allowed_origins = ?, prechat_name = ?, prechat_email = ?, " +
		"prechat_phone = ?, offline_message = ? WHERE id = ? AND org_id = ?"
	p := w.Prechat
	err = s.execOne(ctx, q, w.Name, enc, string(p.Name), string(p.Email), string(p.Phone),
		w.OfflineMessage, w.ID, w.OrgID)
	if err != nil {
		return fmt.Errorf("update widget %s: %w", w.ID, err)
	}
	return nil
}

// GetWidget returns widget id of organisation orgID.
func (s *Store) GetWidget(ctx context.Context, orgID, id string) (storage.Widget, error) {
	const q = "SELECT " + widgetCols + " FROM widgets WHERE id = ? AND org_id = ?"
	w, err := scanWidget(s.r.QueryRowContext(ctx, q, id, orgID))
	if err != nil {
		return storage.Widget{}, fmt.Errorf("get widget %s: %w", id, err)
	}
	return w, nil
}

// GetWidgetByKey finds a widget by its publishable key across
// organisations, or by its previous key (the caller checks the time).
func (s *Store) GetWidgetByKey(ctx context.Context, publishableKey string) (storage.Widget, error) {
	if publishableKey == "" {
		return storage.Widget{}, fmt.Errorf("get widget by key: %w", storage.ErrNotFound)
	}
	const q = "SELECT " + widgetCols + " FROM widgets WHERE publishable_key = ? OR previous_key = ? LIMIT 1"
	w, err := scanWidget(s.r.QueryRowContext(ctx, q, publishableKey, publishableKey))
	if err != nil {
		return storage.Widget{}, fmt.Errorf("get widget by key: %w", err)
	}
	return w, nil
}

// ListWidgets returns the organisation's widgets ordered by creation.
func (s *Store) ListWidgets(ctx context.Context, orgID string) ([]storage.Widget, error) {
	const q = "SELECT " + widgetCols + " FROM widgets WHERE org_id = ? ORDER BY created_at, rowid"
	list, err := queryList(ctx, s.r, scanWidget, q, orgID)
	if err != nil {
		return nil, fmt.Errorf("list widgets of %s: %w", orgID, err)
	}
	return list, nil
}

// RotateWidgetKey moves the widget's key to previous_key (until
// previousUntil) and stores newKey, in one UPDATE.
func (s *Store) RotateWidgetKey(ctx context.Context, orgID, id, newKey string, previousUntil time.Time) error {
	if newKey == "" || previousUntil.IsZero() {
		return fmt.Errorf("rotate widget key: need a new key and an end of the overlap")
	}
	const q = "UPDATE widgets SET previous_key = publishable_key, previous_key_until = ?, publishable_key = ? " +
		"WHERE id = ? AND org_id = ?"
	if err := s.execOne(ctx, q, ms(previousUntil), newKey, id, orgID); err != nil {
		return fmt.Errorf("rotate widget key %s: %w", id, err)
	}
	return nil
}
