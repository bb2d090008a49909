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
	Name           string          `json:"name"`
	AllowedOrigins []string        `json:"allowed_origins"`
	Prechat        *prechatRequest `json:"prechat"`
	OfflineMessage string          `json:"offline_message"`
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
	if wg.PublishableKey, err = a.newPublishableKey(); err != nil {
		return err
	}
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
	origins, e := allowedOrigins(req.AllowedOrigins)
	if e != nil {
		return storage.Widget{}, e
	}
	var prechat storage.PrechatFields
	if e := applyPrechat(&prechat, req.Prechat); e != nil {
		return storage.Widget{}, e
	}
	offline, e := offlineMessage(req.OfflineMessage)
	if e != nil {
		return storage.Widget{}, e
	}
	// The handler sets the publishable key (pk_live_/pk_test_, a public
	// identifier with a checksum, not a secret).
	return storage.Widget{ID: storage.NewID("wdg"), OrgID: orgID, Name: name,
		AllowedOrigins: origins, Prechat: prechat,
		OfflineMessage: offline}, nil
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
