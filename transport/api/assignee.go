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
	return a.writeAgentName(w, r, cv.OrgID, cv.AssigneeID)
}

// handleGetConversationAgent names any agent of the organisation of a
// conversation the caller may read — for the widget, which labels each
// agent message with its author (a transferred conversation has several).
// Agent ids are random, so a visitor learns only names of agents whose ids
// reached it; another organisation's agent is not_found.
func (a *API) handleGetConversationAgent(w http.ResponseWriter, r *http.Request, c *caller) error {
	cv, err := a.conversation(r, c)
	if err != nil {
		return err
	}
	id := r.PathValue("agent_id")
	if !validID(id) {
		return errNotFound
	}
	return a.writeAgentName(w, r, cv.OrgID, id)
}

// writeAgentName answers an agent's id and display name (empty once erased).
func (a *API) writeAgentName(w http.ResponseWriter, r *http.Request, orgID, agentID string) error {
	ag, err := a.cfg.Store.GetAgent(r.Context(), orgID, agentID)
	if errors.Is(err, storage.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("load agent: %w", err)
	}
	v := assigneeView{ID: ag.ID, Name: ag.Name}
	if ag.Deleted() {
		v.Name = ""
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}
