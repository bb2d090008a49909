package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// maxListedSessions bounds one session list (the newest are shown).
const maxListedSessions = 200

// sessionRoutes registers session monitoring and offboarding.
func (a *API) sessionRoutes(r *router) {
	r.handle("GET", "/me/sessions", a.authed(a.agentOnly(a.handleMySessions)))
	r.handle("DELETE", "/me/sessions/{id}", a.authed(a.agentOnly(a.handleRevokeMySession)))
	r.handle("POST", "/me/sessions/revoke-others", a.authed(a.agentOnly(a.handleRevokeMyOthers)))
	r.handle("GET", "/agents/{id}/sessions", a.authed(a.manager(a.handleAgentSessions)))
	r.handle("DELETE", "/agents/{id}/sessions/{sid}", a.authed(a.manager(a.handleRevokeAgentSession)))
	r.handle("POST", "/agents/{id}/sessions/revoke-all", a.authed(a.manager(a.handleRevokeAgentAll)))
	r.handle("POST", "/agents/{id}/deactivate", a.authed(a.manager(a.handleDeactivate)))
}

// liveSessions lists the agent's live sessions, newest first.
func (a *API) liveSessions(ctx context.Context, orgID, agentID string) ([]storage.Session, error) {
	list, err := a.cfg.Store.ListSessions(ctx, orgID, storage.SubjectAgent, agentID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	now := a.now()
	live := list[:0]
	for _, s := range list {
		if a.cfg.Sessions.Live(s, now) && len(live) < maxListedSessions {
			live = append(live, s)
		}
	}
	return live, nil
}

// writeSessions answers the agent's live sessions.
func (a *API) writeSessions(w http.ResponseWriter, r *http.Request, c *caller, agentID string) error {
	list, err := a.liveSessions(r.Context(), c.OrgID, agentID)
	if err != nil {
		return err
	}
	out := make([]deviceSessionView, 0, len(list))
	for _, s := range list {
		out = append(out, a.viewSession(s, c.SessionID))
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, sessionsResponse{Sessions: out})
	return nil
}

// handleMySessions lists the caller's live sessions.
func (a *API) handleMySessions(w http.ResponseWriter, r *http.Request, c *caller) error {
	return a.writeSessions(w, r, c, c.SubjectID)
}

// handleRevokeMySession revokes one of the caller's sessions (its sockets
// close on every node). Another agent's session, or an unknown id, is
// not_found; an already revoked one answers 204 again. Revoking the
// current session also clears its cookies (a logout).
func (a *API) handleRevokeMySession(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := a.revokeOwned(r, c, c.SubjectID, r.PathValue("id")); err != nil {
		return err
	}
	if r.PathValue("id") == c.SessionID {
		a.clearCookies(w)
	}
	noContent(w)
	return nil
}

// revokeOwned revokes session sid if it belongs to agent agentID of the
// caller's organisation, auditing session.revoked the first time.
func (a *API) revokeOwned(r *http.Request, c *caller, agentID, sid string) error {
	if !validID(sid) {
		return errNotFound
	}
	s, err := a.cfg.Store.GetSession(r.Context(), sid)
	if errors.Is(err, storage.ErrNotFound) ||
		err == nil && (s.OrgID != c.OrgID || s.SubjectKind != storage.SubjectAgent || s.SubjectID != agentID) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	if s.Revoked() {
		return nil
	}
	if err := a.cfg.Sessions.Revoke(context.WithoutCancel(r.Context()), sid); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	detail := "scope=one"
	if agentID != c.SubjectID {
		detail += ",agent=" + agentID
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "session.revoked", TargetID: sid, Detail: detail, Outcome: storage.AuditSuccess})
	return nil
}

// handleRevokeMyOthers signs the caller out everywhere else.
func (a *API) handleRevokeMyOthers(w http.ResponseWriter, r *http.Request, c *caller) error {
	n, err := a.cfg.Sessions.RevokeSubject(context.WithoutCancel(r.Context()), c.OrgID,
		storage.SubjectAgent, c.SubjectID, c.SessionID)
	if err != nil {
		return fmt.Errorf("revoke other sessions: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "session.revoked_others", TargetID: c.SessionID, Detail: fmt.Sprintf("revoked=%d", n),
		Outcome: storage.AuditSuccess})
	httpx.WriteJSON(w, http.StatusOK, revokedResponse{Revoked: n})
	return nil
}

// handleAgentSessions lists a team member's live sessions (owner/admin).
func (a *API) handleAgentSessions(w http.ResponseWriter, r *http.Request, c *caller) error {
	target, err := a.managedAgent(r, c)
	if err != nil {
		return err
	}
	return a.writeSessions(w, r, c, target.ID)
}

// handleRevokeAgentSession revokes one session of a team member.
func (a *API) handleRevokeAgentSession(w http.ResponseWriter, r *http.Request, c *caller) error {
	target, err := a.managedAgent(r, c)
	if err != nil {
		return err
	}
	if err := a.revokeOwned(r, c, target.ID, r.PathValue("sid")); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// handleRevokeAgentAll revokes every session of a team member (the
// caller's own too, when that is the caller).
func (a *API) handleRevokeAgentAll(w http.ResponseWriter, r *http.Request, c *caller) error {
	target, err := a.managedAgent(r, c)
	if err != nil {
		return err
	}
	n, err := a.cfg.Sessions.RevokeSubject(context.WithoutCancel(r.Context()), c.OrgID,
		storage.SubjectAgent, target.ID, "")
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "session.revoked", TargetID: target.ID, Detail: fmt.Sprintf("scope=all,revoked=%d", n),
		Outcome: storage.AuditSuccess})
	httpx.WriteJSON(w, http.StatusOK, revokedResponse{Revoked: n})
	return nil
}

// managedAgent loads path agent {id} of the caller's organisation for a
// manager: not_found if absent or erased; only owners act on owners (the
// role rule of agents.go).
func (a *API) managedAgent(r *http.Request, c *caller) (storage.Agent, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return storage.Agent{}, errNotFound
	}
	target, err := a.cfg.Store.GetAgent(r.Context(), c.OrgID, id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && (target.Deleted() || target.OrgID != c.OrgID) {
		return storage.Agent{}, errNotFound
	}
	if err != nil {
		return storage.Agent{}, fmt.Errorf("load agent: %w", err)
	}
	if target.Role == storage.RoleOwner && c.Agent.Role != storage.RoleOwner {
		return storage.Agent{}, errOwnerOnlyAct
	}
	return target, nil
}

var errOwnerOnlyAct = httpx.NewError(http.StatusForbidden, httpx.CodeForbidden,
	"only an owner can see or change an owner's sessions or deactivate an owner")
