package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

var errOwnerErase = httpx.NewError(http.StatusForbidden, httpx.CodeForbidden, "only an owner can erase an owner")

// handleEraseVisitor erases path visitor {id} (owner/admin): sessions
// revoked, PII and blind index removed, audit trail pseudonymised, then
// visitor.erased audited under the pseudonym. Erasing an erased visitor
// answers 204 again and audits nothing (nothing happened).
func (a *API) handleEraseVisitor(w http.ResponseWriter, r *http.Request, c *caller) error {
	v, err := a.pathVisitor(r, c)
	if err != nil {
		return err
	}
	if !v.Deleted() {
		a.forgetVisitor(r.Context(), c.OrgID, v.ID)
		pseudonym, err := a.erase(r, c.OrgID, storage.SubjectVisitor, v.ID)
		if err != nil {
			return err
		}
		a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
			Action: "visitor.erased", TargetID: pseudonym})
		a.emitVisitorErased(r.Context(), v)
	}
	noContent(w)
	return nil
}

// handleEraseAgent erases path agent {id} (owner/admin; only owners erase
// owners; the last owner cannot be erased; erasing oneself is allowed).
// Like visitors: sessions first, then the store, then agent.erased under
// the pseudonym; a repeat answers 204 and audits nothing.
func (a *API) handleEraseAgent(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if !validID(id) {
		return errNotFound
	}
	a.roleMu.Lock()
	target, pseudonym, err := a.eraseAgent(r, c, id)
	a.roleMu.Unlock()
	if err != nil {
		return err
	}
	if pseudonym != "" {
		actor := c.SubjectID
		if actor == target.ID {
			actor = pseudonym // the erased id never reappears in the trail
			a.clearCookies(w)
		}
		a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: actor,
			Action: "agent.erased", TargetID: pseudonym, Detail: "role " + string(target.Role)})
	}
	noContent(w)
	return nil
}

// eraseAgent checks the rules and erases agent id; call with roleMu held.
// The pseudonym is "" when the agent was already erased.
func (a *API) eraseAgent(r *http.Request, c *caller, id string) (storage.Agent, string, error) {
	target, err := a.cfg.Store.GetAgent(r.Context(), c.OrgID, id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && target.OrgID != c.OrgID {
		return storage.Agent{}, "", errNotFound
	}
	if err != nil {
		return storage.Agent{}, "", fmt.Errorf("load agent: %w", err)
	}
	if target.Deleted() {
		return target, "", nil
	}
	if target.Role == storage.RoleOwner {
		if c.Agent.Role != storage.RoleOwner {
			return storage.Agent{}, "", errOwnerErase
		}
		if err := a.requireAnotherOwner(r, c.OrgID, target.ID, "the last owner cannot be erased"); err != nil {
			return storage.Agent{}, "", err
		}
	}
	pseudonym, err := a.erase(r, c.OrgID, storage.SubjectAgent, target.ID)
	return target, pseudonym, err
}

// erase revokes the subject's sessions through Sessions (evicting cached
// tokens and closing sockets), anonymises it in the store and returns its
// pseudonym. Sessions started between the two steps are revoked by the
// store and then evicted too. It runs to the end even if the client goes
// away, so a started erasure is not left half done.
func (a *API) erase(r *http.Request, orgID string, kind storage.SubjectKind, id string) (string, error) {
	ctx := context.WithoutCancel(r.Context())
	seen, err := a.revokeSessions(ctx, orgID, kind, id, nil)
	if err != nil {
		return "", err
	}
	pseudonym := a.cfg.Privacy.Pseudonym(id)
	e := storage.Erasure{OrgID: orgID, Kind: kind, SubjectID: id, Pseudonym: pseudonym, At: a.nowMs()}
	if err := a.cfg.Store.EraseSubject(ctx, e); err != nil {
		return "", fmt.Errorf("erase %s: %w", kind, err)
	}
	if _, err := a.revokeSessions(ctx, orgID, kind, id, seen); err != nil {
		return "", err
	}
	return pseudonym, nil
}

// revokeSessions revokes, through Sessions, every session of the subject
// whose id is not in skip and that is still active (or, when skip is
// non-nil, any not in skip: the store may have revoked it without evicting
// it). It returns the ids of every session it listed.
func (a *API) revokeSessions(ctx context.Context, orgID string, kind storage.SubjectKind, id string, skip map[string]bool) (map[string]bool, error) {
	list, err := a.cfg.Store.ListSessions(ctx, orgID, kind, id)
	if err != nil {
		return nil, fmt.Errorf("list sessions of %s: %w", kind, err)
	}
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		seen[s.ID] = true
		if skip[s.ID] || skip == nil && s.Revoked() {
			continue
		}
		if err := a.cfg.Sessions.Revoke(ctx, s.ID); err != nil {
			return nil, fmt.Errorf("revoke session of %s: %w", kind, err)
		}
	}
	return seen, nil
}

// noContent answers 204 without a body.
func noContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
