package api

import (
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// updateWidgetRequest is a PATCH body: absent fields stay as they are.
type updateWidgetRequest struct {
	Name           *string         `json:"name"`
	AllowedOrigins *[]string       `json:"allowed_origins"`
	Prechat        *prechatRequest `json:"prechat"`
	OfflineMessage *string         `json:"offline_message"`
}

func (req updateWidgetRequest) empty() bool {
	return req.Name == nil && req.AllowedOrigins == nil && req.Prechat == nil && req.OfflineMessage == nil
}

// handleUpdateWidget changes a widget's name, allowed origins, pre-chat
// modes or offline message (owner/admin). Two concurrent updates of one
// widget: the last one wins whole.
func (a *API) handleUpdateWidget(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if !validID(id) {
		return errNotFound
	}
	var req updateWidgetRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.empty() {
		return invalid("nothing to update: give name, allowed_origins, prechat or offline_message")
	}
	wg, err := a.cfg.Store.GetWidget(r.Context(), c.OrgID, id)
	if err != nil {
		return fmt.Errorf("update widget: %w", err)
	}
	if e := applyWidgetUpdate(&wg, req); e != nil {
		return e
	}
	if err := a.cfg.Store.UpdateWidget(r.Context(), wg); err != nil {
		return fmt.Errorf("update widget: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "widget.updated", TargetID: wg.ID})
	httpx.WriteJSON(w, http.StatusOK, viewWidget(wg))
	return nil
}

// applyWidgetUpdate validates each present field of req and sets it on wg.
func applyWidgetUpdate(wg *storage.Widget, req updateWidgetRequest) *httpx.Error {
	if req.Name != nil {
		name, e := requiredText("name", *req.Name, maxNameLen)
		if e != nil {
			return e
		}
		wg.Name = name
	}
	if req.AllowedOrigins != nil {
		origins, e := allowedOrigins(*req.AllowedOrigins)
		if e != nil {
			return e
		}
		wg.AllowedOrigins = origins
	}
	if e := applyPrechat(&wg.Prechat, req.Prechat); e != nil {
		return e
	}
	if req.OfflineMessage != nil {
		msg, e := offlineMessage(*req.OfflineMessage)
		if e != nil {
			return e
		}
		wg.OfflineMessage = msg
	}
	return nil
}
