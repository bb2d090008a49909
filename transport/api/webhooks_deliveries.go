package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/webhook"
)

// Delivery log page sizes.
const (
	defaultDeliveryPage = 50
	maxDeliveryPage     = storage.MaxWebhookDeliveryList
)

type deliveriesResponse struct {
	Deliveries []deliveryView `json:"deliveries"`
	NextCursor *string        `json:"next_cursor"` // null on the last page
}

// handleListDeliveries pages the endpoint's delivery log, newest first:
// query cursor (opaque, from next_cursor) and limit (1..200, default 50).
func (a *API) handleListDeliveries(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, _, err := a.hooks()
	if err != nil {
		return err
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	limit, err := q.limit(defaultDeliveryPage, maxDeliveryPage)
	if err != nil {
		return err
	}
	cur, err := parseDeliveryCursor(q)
	if err != nil {
		return err
	}
	e, err := a.pathWebhook(r, s, c)
	if err != nil {
		return err
	}
	fetch := min(limit+1, maxDeliveryPage) // one more tells whether a next page exists
	ds, err := s.ListWebhookDeliveries(r.Context(), c.OrgID, e.ID, cur, fetch)
	if err != nil {
		return fmt.Errorf("list webhook deliveries: %w", err)
	}
	out := deliveriesResponse{}
	if len(ds) > limit || fetch == limit && len(ds) == limit {
		ds = ds[:limit]
		next := deliveryCursor(ds[limit-1])
		out.NextCursor = &next
	}
	out.Deliveries = viewDeliveries(ds)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// cursorDelivery is the cursor kind of the delivery log (cursor.go):
// (created_at desc, id desc).
const cursorDelivery = "d"

// deliveryCursor is the opaque cursor after d.
func deliveryCursor(d storage.WebhookDelivery) string {
	return encodeCursor(cursorDelivery, d.CreatedAt, d.ID)
}

// parseDeliveryCursor decodes query "cursor" (absent: nil).
func parseDeliveryCursor(q query) (*storage.WebhookDeliveryCursor, error) {
	pos, err := q.cursor(cursorDelivery)
	if err != nil || pos == nil {
		return nil, err
	}
	return &storage.WebhookDeliveryCursor{CreatedAt: pos.At, ID: pos.ID}, nil
}

// handleTestWebhook queues a webhook.test delivery to the endpoint (also
// a disabled one, to check it before re-enabling): 202 with the delivery.
func (a *API) handleTestWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, d, err := a.hooks()
	if err != nil {
		return err
	}
	e, err := a.pathWebhook(r, s, c)
	if err != nil {
		return err
	}
	del, err := d.Test(r.Context(), c.OrgID, e.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("webhook test: %w", err)
	}
	httpx.WriteJSON(w, http.StatusAccepted, viewDelivery(del))
	return nil
}

var errDeliveryErased = httpx.NewError(http.StatusConflict, httpx.CodeConflict,
	"this delivery held an erased visitor's data and cannot be sent again")

// handleRedeliver queues a new delivery (new id, due now) of path delivery
// {id}'s event and data to the same endpoint: 202 with the new delivery.
// Another organisation's delivery is not found; an erased one is 409.
func (a *API) handleRedeliver(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, d, err := a.hooks()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if !validID(id) {
		return errNotFound
	}
	old, err := s.GetWebhookDelivery(r.Context(), c.OrgID, id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && old.OrgID != c.OrgID {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("get webhook delivery: %w", err)
	}
	del, err := d.Redeliver(r.Context(), c.OrgID, old.ID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return errNotFound
	case errors.Is(err, webhook.ErrErased):
		return errDeliveryErased
	case err != nil:
		return fmt.Errorf("webhook redeliver: %w", err)
	}
	httpx.WriteJSON(w, http.StatusAccepted, viewDelivery(del))
	return nil
}
