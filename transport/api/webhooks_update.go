package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/webhook"
)

type updateWebhookRequest struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Enabled     *bool     `json:"enabled"`
}

// handleUpdateWebhook changes an endpoint's url, events, description or
// enabled state: enabled:true re-enables a disabled endpoint and resets
// its failure count, enabled:false disables it (reason "manual"). Audits
// webhook.updated for url, events or description and webhook.enabled or
// webhook.disabled for a state change.
func (a *API) handleUpdateWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, d, err := a.hooks()
	if err != nil {
		return err
	}
	var req updateWebhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	// Validate (the URL check may wait on DNS) before reading the
	// endpoint, so the read-modify-write below is as short as it can be:
	// the dispatcher updates the failure count and state concurrently.
	if err := a.validateWebhookUpdate(&req); err != nil {
		return err
	}
	e, err := a.pathWebhook(r, s, c)
	if err != nil {
		return err
	}
	changed := applyWebhookUpdate(&e, req)
	// enabled:true also resets the failure count of an enabled endpoint.
	toggled := req.Enabled != nil && (*req.Enabled != e.Enabled || *req.Enabled && e.ConsecutiveFailures > 0)
	if toggled {
		setWebhookEnabled(&e, *req.Enabled, a.nowMs())
	}
	if changed || toggled {
		e.UpdatedAt = a.nowMs()
		if err := s.UpdateWebhookEndpoint(r.Context(), e); errors.Is(err, storage.ErrNotFound) {
			return errNotFound
		} else if err != nil {
			return fmt.Errorf("update webhook endpoint: %w", err)
		}
		d.Invalidate(c.OrgID)
	}
	if changed {
		a.auditWebhook(r, c, "webhook.updated", e)
	}
	if toggled && e.Enabled {
		a.auditWebhook(r, c, "webhook.enabled", e)
	} else if toggled {
		a.auditWebhook(r, c, "webhook.disabled", e)
	}
	httpx.WriteJSON(w, http.StatusOK, a.viewWebhook(e))
	return nil
}

// validateWebhookUpdate checks req's url, events and description, and
// normalises the description.
func (a *API) validateWebhookUpdate(req *updateWebhookRequest) error {
	if req.Description != nil {
		desc, ve := optionalText("description", *req.Description, maxWebhookDescription)
		if ve != nil {
			return ve
		}
		req.Description = &desc
	}
	if req.Events != nil {
		if err := checkWebhookEvents(*req.Events); err != nil {
			return err
		}
	}
	if req.URL != nil {
		if err := a.checkWebhookURL(*req.URL); err != nil {
			return err
		}
	}
	return nil
}

// applyWebhookUpdate applies req's (validated) url, events and
// description to e and reports whether any of them changed.
func applyWebhookUpdate(e *storage.WebhookEndpoint, req updateWebhookRequest) bool {
	changed := false
	if req.Description != nil {
		changed = changed || *req.Description != e.Description
		e.Description = *req.Description
	}
	if req.Events != nil {
		changed = changed || !sameStrings(*req.Events, e.Events)
		e.Events = *req.Events
	}
	if req.URL != nil {
		changed = changed || *req.URL != e.URL
		e.URL = *req.URL
	}
	return changed
}

// setWebhookEnabled enables (resetting the failure count and the
// disabled reason) or disables (reason manual) e at now.
func setWebhookEnabled(e *storage.WebhookEndpoint, on bool, now time.Time) {
	e.Enabled = on
	if on {
		e.DisabledReason, e.DisabledAt, e.ConsecutiveFailures = "", time.Time{}, 0
		return
	}
	e.DisabledReason, e.DisabledAt = storage.WebhookDisabledManual, now
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type rotateWebhookRequest struct {
	OverlapSeconds *int64 `json:"overlap_seconds"`
}

// handleRotateWebhookSecret gives the endpoint a new secret, shown this
// once. The current secret keeps signing next to the new one (both
// signatures are sent) until now+overlap_seconds (default 86400; 0 stops
// it at once). A rotation during an overlap drops the secret before the
// current one at once: at most two secrets sign.
func (a *API) handleRotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, d, err := a.hooks()
	if err != nil {
		return err
	}
	overlap, err := rotateOverlap(w, r)
	if err != nil {
		return err
	}
	e, err := a.pathWebhook(r, s, c)
	if err != nil {
		return err
	}
	now := a.nowMs()
	e.PreviousSecret, e.PreviousSecretUntil = "", time.Time{}
	if overlap > 0 {
		e.PreviousSecret, e.PreviousSecretUntil = e.Secret, now.Add(overlap)
	}
	e.Secret, e.UpdatedAt = webhook.NewSecret(), now
	if err := s.UpdateWebhookEndpoint(r.Context(), e); errors.Is(err, storage.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return fmt.Errorf("rotate webhook secret: %w", err)
	}
	d.Invalidate(c.OrgID)
	a.auditWebhook(r, c, "webhook.secret_rotated", e)
	out := webhookSecretView{ID: e.ID, Secret: e.Secret}
	if overlap > 0 {
		until := e.PreviousSecretUntil.UTC()
		out.PreviousSecretUntil = &until
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// rotateOverlap reads the optional body of rotate-secret (an empty body
// takes the default overlap).
func rotateOverlap(w http.ResponseWriter, r *http.Request) (time.Duration, error) {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return defaultWebhookOverlap * time.Second, nil
	}
	var req rotateWebhookRequest
	if err := decode(w, r, &req); err != nil {
		return 0, err
	}
	if req.OverlapSeconds == nil {
		return defaultWebhookOverlap * time.Second, nil
	}
	if *req.OverlapSeconds < 0 || *req.OverlapSeconds > maxWebhookOverlap {
		return 0, invalid("overlap_seconds must be from 0 to 604800")
	}
	return time.Duration(*req.OverlapSeconds) * time.Second, nil
}
