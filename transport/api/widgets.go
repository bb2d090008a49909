package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// maxOrigins caps a widget's allowed origins.
const maxOrigins = 50

type createWidgetRequest struct {
	Name           string   `json:"name"`
	AllowedOrigins []string `json:"allowed_origins"`
}

// handleCreateWidget creates a widget with a fresh publishable key
// (owner/admin).
func (a *API) handleCreateWidget(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req createWidgetRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	wg, err := newWidget(c.OrgID, req)
	if err != nil {
		return err
	}
	wg.CreatedAt = a.nowMs()
	if err := a.cfg.Store.CreateWidget(r.Context(), wg); err != nil {
		if errors.Is(err, storage.ErrConflict) { // a 128-bit key collision: practically never
			return fmt.Errorf("create widget: duplicate publishable key: %w", err)
		}
		return fmt.Errorf("create widget: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "widget.created", TargetID: wg.ID})
	httpx.WriteJSON(w, http.StatusCreated, viewWidget(wg))
	return nil
}

func newWidget(orgID string, req createWidgetRequest) (storage.Widget, error) {
	name, e := requiredText("name", req.Name, maxNameLen)
	if e != nil {
		return storage.Widget{}, e
	}
	if len(req.AllowedOrigins) > maxOrigins {
		return storage.Widget{}, invalid(fmt.Sprintf("allowed_origins holds at most %d origins", maxOrigins))
	}
	origins := make([]string, 0, len(req.AllowedOrigins))
	seen := map[string]bool{}
	for i, raw := range req.AllowedOrigins {
		o, err := normOrigin(raw)
		if err != nil {
			return storage.Widget{}, invalid(fmt.Sprintf("allowed_origins[%d]: %v", i, err))
		}
		if !seen[o] {
			seen[o] = true
			origins = append(origins, o)
		}
	}
	// Publishable keys are public identifiers, not secrets: 128 random bits.
	return storage.Widget{ID: storage.NewID("wdg"), OrgID: orgID, Name: name,
		PublishableKey: storage.NewID("pk"), AllowedOrigins: origins}, nil
}

// handleListWidgets lists the organisation's widgets (any agent).
func (a *API) handleListWidgets(w http.ResponseWriter, r *http.Request, c *caller) error {
	widgets, err := a.cfg.Store.ListWidgets(r.Context(), c.OrgID)
	if err != nil {
		return fmt.Errorf("list widgets: %w", err)
	}
	out := make([]widgetView, 0, len(widgets))
	for _, wg := range widgets {
		out = append(out, viewWidget(wg))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"widgets": out})
	return nil
}
