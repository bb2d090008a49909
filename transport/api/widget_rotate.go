package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// newPublishableKey returns a fresh widget key in this server's mode
// ("pk_live_…" or "pk_test_…").
func (a *API) newPublishableKey() (string, error) {
	key, err := security.NewAPIKey(security.KeyKindPublishable, a.keyMode())
	if err != nil {
		return "", fmt.Errorf("new publishable key: %w", err)
	}
	return key, nil
}

// openWidgetByKey finds the widget a publishable key opens now: its current
// key, or the previous one until the rotation's overlap ends (exactly:
// now < PreviousKeyUntil). Anything else is storage.ErrNotFound.
func (a *API) openWidgetByKey(ctx context.Context, key string) (storage.Widget, error) {
	wg, err := a.cfg.Store.GetWidgetByKey(ctx, key)
	if err != nil {
		return storage.Widget{}, err
	}
	if !wg.AcceptsKey(key, a.now()) {
		return storage.Widget{}, fmt.Errorf("widget by key: previous key past its overlap: %w", storage.ErrNotFound)
	}
	return wg, nil
}

// handleRotateWidgetKey gives a widget a new publishable key; the old one
// keeps opening it until now + overlap_seconds.
func (a *API) handleRotateWidgetKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if !validID(id) {
		return errNotFound
	}
	var req rotateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	overlap, e := req.overlap()
	if e != nil {
		return e
	}
	key, err := a.newPublishableKey()
	if err != nil {
		return err
	}
	until := a.nowMs().Add(overlap)
	err = a.cfg.Store.RotateWidgetKey(r.Context(), c.OrgID, id, key, until)
	if errors.Is(err, storage.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("rotate widget key: %w", err)
	}
	wg, err := a.cfg.Store.GetWidget(r.Context(), c.OrgID, id)
	if err != nil {
		return fmt.Errorf("rotate widget key: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "widget.key_rotated", TargetID: wg.ID,
		Detail: fmt.Sprintf("new key prefix %s, overlap %ds", security.KeyPrefix(key), *req.OverlapSeconds)})
	httpx.WriteJSON(w, http.StatusOK, viewWidget(wg))
	return nil
}
