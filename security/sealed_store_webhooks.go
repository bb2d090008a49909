package security

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.WebhookStore methods of SealedStore: an endpoint's Secret
// and PreviousSecret (the HMAC keys receivers verify with) and a
// delivery's Body (the event, which may hold a visitor's PII) are sealed
// on the way in and opened on the way out, each bound to its record id
// and field. Every other field is bookkeeping and passes through.

// Field names bound into the associated data of sealed webhook fields.
const (
	fieldWebhookSecret         = "webhook.secret"
	fieldWebhookPreviousSecret = "webhook.previous_secret"
	fieldWebhookBody           = "webhook_delivery.body"
)

// sealEndpoint returns e with its secrets sealed.
func sealEndpoint(c *FieldCipher, e storage.WebhookEndpoint) (storage.WebhookEndpoint, error) {
	if e.ID == "" {
		return storage.WebhookEndpoint{}, errors.New("seal webhook endpoint: empty id")
	}
	var err error
	if e.Secret, err = c.Seal(e.Secret, e.ID, fieldWebhookSecret); err != nil {
		return storage.WebhookEndpoint{}, err
	}
	if e.PreviousSecret, err = c.Seal(e.PreviousSecret, e.ID, fieldWebhookPreviousSecret); err != nil {
		return storage.WebhookEndpoint{}, err
	}
	return e, nil
}

// openEndpoint returns e with its secrets opened.
func openEndpoint(c *FieldCipher, e storage.WebhookEndpoint) (storage.WebhookEndpoint, error) {
	var err error
	if e.Secret, err = c.Open(e.Secret, e.ID, fieldWebhookSecret); err != nil {
		return storage.WebhookEndpoint{}, err
	}
	if e.PreviousSecret, err = c.Open(e.PreviousSecret, e.ID, fieldWebhookPreviousSecret); err != nil {
		return storage.WebhookEndpoint{}, err
	}
	return e, nil
}

// openEndpoints opens every endpoint of list.
func openEndpoints(c *FieldCipher, list []storage.WebhookEndpoint) ([]storage.WebhookEndpoint, error) {
	for i, e := range list {
		opened, err := openEndpoint(c, e)
		if err != nil {
			return nil, err
		}
		list[i] = opened
	}
	return list, nil
}

// openDelivery returns d with its body opened.
func openDelivery(c *FieldCipher, d storage.WebhookDelivery) (storage.WebhookDelivery, error) {
	body, err := c.Open(d.Body, d.ID, fieldWebhookBody)
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	d.Body = body
	return d, nil
}

// CreateWebhookEndpoint seals the secrets and stores the endpoint.
func (s *SealedStore) CreateWebhookEndpoint(ctx context.Context, e storage.WebhookEndpoint) error {
	sealed, err := sealEndpoint(s.c, e)
	if err != nil {
		return fmt.Errorf("create webhook endpoint: %w", err)
	}
	return s.inner.CreateWebhookEndpoint(ctx, sealed)
}

// GetWebhookEndpoint returns the endpoint with its secrets opened.
func (s *SealedStore) GetWebhookEndpoint(ctx context.Context, orgID, id string) (storage.WebhookEndpoint, error) {
	e, err := s.inner.GetWebhookEndpoint(ctx, orgID, id)
	if err != nil {
		return storage.WebhookEndpoint{}, err
	}
	return openEndpoint(s.c, e)
}

// ListWebhookEndpoints returns the endpoints with their secrets opened.
func (s *SealedStore) ListWebhookEndpoints(ctx context.Context, orgID string) ([]storage.WebhookEndpoint, error) {
	list, err := s.inner.ListWebhookEndpoints(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return openEndpoints(s.c, list)
}

// ListWebhookEndpointsForEvent returns the endpoints with their secrets
// opened.
func (s *SealedStore) ListWebhookEndpointsForEvent(ctx context.Context, orgID, event string) ([]storage.WebhookEndpoint, error) {
	list, err := s.inner.ListWebhookEndpointsForEvent(ctx, orgID, event)
	if err != nil {
		return nil, err
	}
	return openEndpoints(s.c, list)
}

// UpdateWebhookEndpoint seals the secrets and stores the endpoint.
func (s *SealedStore) UpdateWebhookEndpoint(ctx context.Context, e storage.WebhookEndpoint) error {
	sealed, err := sealEndpoint(s.c, e)
	if err != nil {
		return fmt.Errorf("update webhook endpoint: %w", err)
	}
	return s.inner.UpdateWebhookEndpoint(ctx, sealed)
}

// DeleteWebhookEndpoint passes through: it carries no secret.
func (s *SealedStore) DeleteWebhookEndpoint(ctx context.Context, orgID, id string) error {
	return s.inner.DeleteWebhookEndpoint(ctx, orgID, id)
}

// EnqueueWebhookDeliveries seals every body and stores the deliveries.
func (s *SealedStore) EnqueueWebhookDeliveries(ctx context.Context, ds []storage.WebhookDelivery) error {
	sealed := make([]storage.WebhookDelivery, len(ds))
	for i, d := range ds {
		if d.ID == "" {
			return errors.New("enqueue webhook deliveries: empty id")
		}
		body, err := s.c.Seal(d.Body, d.ID, fieldWebhookBody)
		if err != nil {
			return fmt.Errorf("enqueue webhook deliveries: %w", err)
		}
		d.Body = body
		sealed[i] = d
	}
	return s.inner.EnqueueWebhookDeliveries(ctx, sealed)
}

// ClaimWebhookDeliveries returns the claimed deliveries opened. One that
// does not open (tampered, or sealed under a retired key) can never be
// sent: it is recorded dead at now and left out, and the error names it;
// the deliveries returned alongside that error are claimed and opened.
func (s *SealedStore) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]storage.WebhookDelivery, error) {
	list, err := s.inner.ClaimWebhookDeliveries(ctx, now, lease, limit)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	var errs []error
	for _, d := range list {
		opened, err := openDelivery(s.c, d)
		if err != nil {
			_, gerr := s.inner.RecordWebhookAttempt(ctx, storage.WebhookAttempt{OrgID: d.OrgID, DeliveryID: d.ID,
				Attempt: d.Attempts, At: now, Status: storage.WebhookDead, Error: "body does not open"})
			errs = append(errs, fmt.Errorf("claim webhook delivery %s: %w", d.ID, err), gerr)
			continue
		}
		out = append(out, opened)
	}
	return out, errors.Join(errs...)
}

// RecordWebhookAttempt returns the result with the body and secrets
// opened.
func (s *SealedStore) RecordWebhookAttempt(ctx context.Context, a storage.WebhookAttempt) (storage.WebhookAttemptResult, error) {
	res, err := s.inner.RecordWebhookAttempt(ctx, a)
	if err != nil {
		return storage.WebhookAttemptResult{}, err
	}
	if res.Delivery, err = openDelivery(s.c, res.Delivery); err != nil {
		return storage.WebhookAttemptResult{}, err
	}
	if res.Endpoint.ID != "" {
		if res.Endpoint, err = openEndpoint(s.c, res.Endpoint); err != nil {
			return storage.WebhookAttemptResult{}, err
		}
	}
	return res, nil
}

// ListWebhookDeliveries returns the deliveries with their bodies opened.
func (s *SealedStore) ListWebhookDeliveries(ctx context.Context, orgID, endpointID string, cursor *storage.WebhookDeliveryCursor, limit int) ([]storage.WebhookDelivery, error) {
	list, err := s.inner.ListWebhookDeliveries(ctx, orgID, endpointID, cursor, limit)
	if err != nil {
		return nil, err
	}
	for i, d := range list {
		if list[i], err = openDelivery(s.c, d); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// GetWebhookDelivery returns the delivery with its body opened.
func (s *SealedStore) GetWebhookDelivery(ctx context.Context, orgID, id string) (storage.WebhookDelivery, error) {
	d, err := s.inner.GetWebhookDelivery(ctx, orgID, id)
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	return openDelivery(s.c, d)
}

// ForgetWebhookVisitor passes through: it carries no sealed value.
func (s *SealedStore) ForgetWebhookVisitor(ctx context.Context, orgID, visitorID string) (int, error) {
	return s.inner.ForgetWebhookVisitor(ctx, orgID, visitorID)
}

// DeleteOldWebhookDeliveries passes through: it carries no sealed value.
func (s *SealedStore) DeleteOldWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	return s.inner.DeleteOldWebhookDeliveries(ctx, before)
}
