package api

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// webhookStore is what the /webhooks routes use (webhooks*.go): endpoint
// secrets in and out in plaintext, sealed below.
type webhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, e storage.WebhookEndpoint) error
	GetWebhookEndpoint(ctx context.Context, orgID, id string) (storage.WebhookEndpoint, error)
	ListWebhookEndpoints(ctx context.Context, orgID string) ([]storage.WebhookEndpoint, error)
	UpdateWebhookEndpoint(ctx context.Context, e storage.WebhookEndpoint) error
	DeleteWebhookEndpoint(ctx context.Context, orgID, id string) error
	ListWebhookDeliveries(ctx context.Context, orgID, endpointID string, cursor *storage.WebhookDeliveryCursor, limit int) ([]storage.WebhookDelivery, error)
	GetWebhookDelivery(ctx context.Context, orgID, id string) (storage.WebhookDelivery, error)
}
