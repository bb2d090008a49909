package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// assigneeView is what a conversation's visitor may know about its agent:
// the id and display name, never the email or role.
type assigneeView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// handleGetAssignee returns the agent assigned to a conversation the caller
// may read (the widget shows the agent's name to the visitor); not_found
// while unassigned. An erased agent has an empty name.
func (a *API) handleGetAssignee(w http.ResponseWriter, r *http.Request, c *caller) error {
	cv, err := a.conversation(r, c)
	if err != nil {
		return err
	}
	if cv.AssigneeID == "" {
		return errNotFound
	}
	ag, err := a.cfg.Store.GetAgent(r.Context(), cv.OrgID, cv.AssigneeID)
	if errors.Is(err, storage.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("load assignee: %w", err)
	}
	v := assigneeView{ID: ag.ID, Name: ag.Name}
	if ag.Deleted() {
		v.Name = ""
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}
