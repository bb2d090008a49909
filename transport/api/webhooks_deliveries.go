package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// deliveryCursor is the opaque cursor after d: base64url of
// "<created_at unix ms>.<id>".
func deliveryCursor(d storage.WebhookDelivery) string {
	raw := strconv.FormatInt(d.CreatedAt.UnixMilli(), 10) + "." + d.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

var errBadDeliveryCursor = invalid("cursor is not a cursor this endpoint returned")

// parseDeliveryCursor decodes query "cursor" (absent: nil).
func parseDeliveryCursor(q query) (*storage.WebhookDeliveryCursor, error) {
	s, ok := q.one("cursor")
	if !ok {
		return nil, nil
	}
	if len(s) > 128 {
		return nil, errBadDeliveryCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBadDeliveryCursor
	}
	ms, id, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || n < 0 || !validID(id) {
		return nil, errBadDeliveryCursor
	}
	return &storage.WebhookDeliveryCursor{CreatedAt: time.UnixMilli(n).UTC(), ID: id}, nil
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
