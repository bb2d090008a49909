package security

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.WidgetStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// CreateWidget passes through: it carries no visitor PII.
func (s *SealedStore) CreateWidget(ctx context.Context, w storage.Widget) error {
	return s.inner.CreateWidget(ctx, w)
}

// GetWidget passes through: it carries no visitor PII.
func (s *SealedStore) GetWidget(ctx context.Context, orgID, id string) (storage.Widget, error) {
	return s.inner.GetWidget(ctx, orgID, id)
}

// GetWidgetByKey passes through: it carries no visitor PII.
func (s *SealedStore) GetWidgetByKey(ctx context.Context, publishableKey string) (storage.Widget, error) {
	return s.inner.GetWidgetByKey(ctx, publishableKey)
}

// ListWidgets passes through: it carries no visitor PII.
func (s *SealedStore) ListWidgets(ctx context.Context, orgID string) ([]storage.Widget, error) {
	return s.inner.ListWidgets(ctx, orgID)
}

// UpdateWidget passes through: it carries no visitor PII.
func (s *SealedStore) UpdateWidget(ctx context.Context, w storage.Widget) error {
	return s.inner.UpdateWidget(ctx, w)
}

// RotateWidgetKey passes through: it carries no visitor PII.
func (s *SealedStore) RotateWidgetKey(ctx context.Context, orgID, id, newKey string, previousUntil time.Time) error {
	return s.inner.RotateWidgetKey(ctx, orgID, id, newKey, previousUntil)
}
