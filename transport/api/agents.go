package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

var errOwnerOnly = httpx.NewError(http.StatusForbidden, httpx.CodeForbidden, "only an owner can grant or remove the owner role")

type createAgentRequest struct {
	Name     string       `json:"name"`
	Email    string       `json:"email"`
	Role     storage.Role `json:"role"`
	Password string       `json:"password"`
}

// handleCreateAgent adds an agent to the caller's organisation (owner/admin;
// only owners create owners). It sets the new agent's password, so it is
// refused (403, use invitations) unless Config.AllowAgentPasswords (load
// tests only). Rate limited per organisation before the
// password is hashed (429 rate_limited). The email must be free in the
// organisation only: whether another tenant uses it is never told.
func (a *API) handleCreateAgent(w http.ResponseWriter, r *http.Request, c *caller) error {
	if !a.cfg.AllowAgentPasswords {
		return errInviteInstead
	}
	var req createAgentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !req.Role.Valid() {
		return invalid(`role must be "owner", "admin" or "agent"`)
	}
	if req.Role == storage.RoleOwner && c.Agent.Role != storage.RoleOwner {
		return errOwnerOnly
	}
	if !a.admit(w, r, a.agentNew, c.OrgID) {
		return nil
	}
	agent, err := a.newAgent(r, req.Name, req.Email, req.Password, req.Role)
	if err != nil {
		return err
	}
	agent.OrgID = c.OrgID
	if err := a.cfg.Store.CreateAgent(r.Context(), agent); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return httpx.NewError(http.StatusConflict, httpx.CodeConflict, "email is already a member of this organisation")
		}
		return fmt.Errorf("create agent: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "agent.created", TargetID: agent.ID, Detail: "role " + string(agent.Role)})
	httpx.WriteJSON(w, http.StatusCreated, viewAgent(agent))
	return nil
}

// handleListAgents lists the caller's team (any agent); erased accounts
// are not part of it.
func (a *API) handleListAgents(w http.ResponseWriter, r *http.Request, c *caller) error {
	agents, err := a.cfg.Store.ListAgents(r.Context(), c.OrgID)
	if err != nil {
		return fmt.Errorf("list agents: %w", err)
	}
	out := make([]agentView, 0, len(agents))
	for _, ag := range agents {
		if !ag.Deleted() {
			out = append(out, viewAgent(ag))
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"agents": out})
	return nil
}

type setRoleRequest struct {
	Role storage.Role `json:"role"`
}

// handleSetRole changes an agent's role (owner/admin; only owners touch the
// owner role; the last owner cannot be demoted).
func (a *API) handleSetRole(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if !validID(id) {
		return errNotFound
	}
	var req setRoleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !req.Role.Valid() {
		return invalid(`role must be "owner", "admin" or "agent"`)
	}
	a.roleMu.Lock()
	target, err := a.changeRole(r, c, id, req.Role)
	a.roleMu.Unlock()
	if err != nil {
		return err
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "agent.role_changed", TargetID: target.ID, Detail: "role " + string(target.Role)})
	httpx.WriteJSON(w, http.StatusOK, viewAgent(target))
	return nil
}

// changeRole checks the rules and stores the new role; call with roleMu held.
func (a *API) changeRole(r *http.Request, c *caller, id string, role storage.Role) (storage.Agent, error) {
	target, err := a.cfg.Store.GetAgent(r.Context(), c.OrgID, id)
	if err != nil {
		return storage.Agent{}, fmt.Errorf("load agent: %w", err)
	}
	if target.Deleted() {
		return storage.Agent{}, errNotFound
	}
	touchesOwner := role == storage.RoleOwner || target.Role == storage.RoleOwner
	if touchesOwner && c.Agent.Role != storage.RoleOwner {
		return storage.Agent{}, errOwnerOnly
	}
	if target.Role == storage.RoleOwner && role != storage.RoleOwner {
		if err := a.requireAnotherOwner(r, c.OrgID, target.ID, "the last owner cannot be demoted"); err != nil {
			return storage.Agent{}, err
		}
	}
	if target.Role != role {
		if err := a.cfg.Store.SetAgentRole(r.Context(), c.OrgID, id, role); err != nil {
			return storage.Agent{}, fmt.Errorf("set agent role: %w", err)
		}
	}
	target.Role = role
	return target, nil
}

// requireAnotherOwner fails with conflict (saying msg) unless an owner other
// than id exists; erased and deactivated owners do not count.
func (a *API) requireAnotherOwner(r *http.Request, orgID, id, msg string) error {
	agents, err := a.cfg.Store.ListAgents(r.Context(), orgID)
	if err != nil {
		return fmt.Errorf("list agents: %w", err)
	}
	for _, ag := range agents {
		if ag.Role == storage.RoleOwner && ag.ID != id && !ag.Deleted() && !ag.Deactivated() {
			return nil
		}
	}
	return httpx.NewError(http.StatusConflict, httpx.CodeConflict, msg)
}
