package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Assignments moves conversations between agents and the queue: the hub,
// which also announces each change to the organisation's inbox and the
// conversation's room. It must be safe for concurrent use.
type Assignments interface {
	// Unassign returns open conversation conversationID of orgID, now
	// assigned to fromAgentID, to the unassigned queue, acting as agent
	// actorID, and reports whether it moved it: false with a nil error
	// when there was nothing to do (the conversation was closed or
	// reassigned meanwhile).
	Unassign(ctx context.Context, orgID, actorID, conversationID, fromAgentID string) (moved bool, err error)
}

// oneTimeOfAgent are the purposes of the pending one-time tokens bound to
// an agent that offboarding revokes: sign-in links, reset codes, MFA
// tickets, passkey ceremonies, and invitations bound to the agent.
var oneTimeOfAgent = []storage.OneTimePurpose{storage.PurposeMagicLink, storage.PurposePasswordReset,
	storage.PurposeMFATicket, storage.PurposePasskeyChallenge, storage.PurposeInvitation}

// maxReassignRounds bounds the reassignment loop (pages of at most 200
// conversations each).
const maxReassignRounds = 50

var errDeactivateSelf = httpx.NewError(http.StatusForbidden, httpx.CodeForbidden,
	"you cannot deactivate yourself; ask another owner or admin")

// handleDeactivate offboards path agent {id} (owner/admin; only owners
// deactivate owners; not oneself; the last active owner stays): the agent
// is marked deactivated, then every session is revoked (sockets close on
// every node), its pending one-time tokens and passkeys are revoked and its
// open conversations go back to the queue. Its audit history stays. A
// repeat finishes an interrupted offboarding and answers 200 again,
// auditing agent.deactivated only the first time.
func (a *API) handleDeactivate(w http.ResponseWriter, r *http.Request, c *caller) error {
	if r.PathValue("id") == c.SubjectID {
		return errDeactivateSelf
	}
	a.roleMu.Lock()
	target, first, err := a.deactivate(r, c)
	a.roleMu.Unlock()
	if err != nil {
		return err
	}
	sum, err := a.offboard(context.WithoutCancel(r.Context()), c, target)
	if err != nil {
		return err
	}
	if first {
		a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
			Action: "agent.deactivated", TargetID: target.ID, Outcome: storage.AuditSuccess,
			Detail: fmt.Sprintf("role=%s,sessions=%d,tokens=%d,conversations=%d",
				target.Role, sum.sessions, sum.tokens, sum.conversations)})
		a.emit(r.Context(), c.OrgID, EventAgentDeactivated, WebhookAgent(target))
	}
	httpx.WriteJSON(w, http.StatusOK, viewAgent(target))
	return nil
}

// deactivate checks the rules and marks the agent deactivated; call with
// roleMu held. first is false when it already was.
func (a *API) deactivate(r *http.Request, c *caller) (storage.Agent, bool, error) {
	target, err := a.managedAgent(r, c)
	if err != nil {
		return storage.Agent{}, false, err
	}
	if target.Deactivated() {
		return target, false, nil
	}
	if target.Role == storage.RoleOwner {
		if err := a.requireAnotherOwner(r, c.OrgID, target.ID, "the last active owner cannot be deactivated"); err != nil {
			return storage.Agent{}, false, err
		}
	}
	err = a.cfg.Store.DeactivateAgent(r.Context(), c.OrgID, target.ID, a.nowMs())
	first := err == nil
	if errors.Is(err, storage.ErrConflict) {
		err = nil // another request won; finish the job with its time
	}
	if err != nil {
		return storage.Agent{}, false, fmt.Errorf("deactivate agent: %w", err)
	}
	if target, err = a.cfg.Store.GetAgent(r.Context(), c.OrgID, target.ID); err != nil {
		return storage.Agent{}, false, fmt.Errorf("reload agent: %w", err)
	}
	return target, first, nil
}

// offboardSummary counts what offboarding revoked or moved.
type offboardSummary struct{ sessions, tokens, conversations int }

// offboard revokes everything that lets target in and hands its work back.
func (a *API) offboard(ctx context.Context, c *caller, target storage.Agent) (offboardSummary, error) {
	var sum offboardSummary
	var err error
	if sum.sessions, err = a.cfg.Sessions.RevokeSubject(ctx, c.OrgID, storage.SubjectAgent, target.ID, ""); err != nil {
		return sum, fmt.Errorf("revoke sessions: %w", err)
	}
	if sum.tokens, err = a.cfg.Store.RevokeOneTimeForSubject(ctx, c.OrgID, target.ID, oneTimeOfAgent, a.nowMs()); err != nil {
		return sum, fmt.Errorf("revoke one-time tokens: %w", err)
	}
	if err := a.revokeAgentPasskeys(ctx, c.OrgID, target.ID); err != nil {
		return sum, fmt.Errorf("revoke passkeys: %w", err)
	}
	if sum.conversations, err = a.reassign(ctx, c, target.ID); err != nil {
		return sum, err
	}
	return sum, nil
}

// revokeAgentPasskeys deletes the agent's passkeys.
func (a *API) revokeAgentPasskeys(ctx context.Context, orgID, agentID string) error {
	if _, err := a.cfg.Store.DeleteAgentPasskeys(ctx, orgID, agentID); err != nil {
		return fmt.Errorf("delete passkeys: %w", err)
	}
	return nil
}

// reassign returns the agent's open conversations to the unassigned queue
// through Assignments (without one, they stay assigned and a warning is
// logged) and returns how many it moved.
func (a *API) reassign(ctx context.Context, c *caller, agentID string) (int, error) {
	if a.cfg.Assignments == nil {
		a.log.Warn().Str("agent_id", agentID).Msg("offboarding: no Assignments configured; open conversations stay assigned")
		return 0, nil
	}
	moved := 0
	f := storage.ConversationFilter{Status: storage.ConversationOpen, AssigneeID: agentID, Limit: 200}
	for range maxReassignRounds {
		list, err := a.cfg.Store.ListConversations(ctx, c.OrgID, f)
		if err != nil {
			return moved, fmt.Errorf("list conversations of agent: %w", err)
		}
		if len(list) == 0 {
			return moved, nil
		}
		for _, cv := range list {
			ok, err := a.cfg.Assignments.Unassign(ctx, c.OrgID, c.SubjectID, cv.ID, agentID)
			if err != nil {
				return moved, fmt.Errorf("unassign conversation %s: %w", cv.ID, err)
			}
			if ok {
				moved++
			}
		}
	}
	return moved, fmt.Errorf("unassign conversations of agent %s: more than %d rounds", agentID, maxReassignRounds)
}

// refuseIfOffboarded closes the race between a sign-in and a deactivation:
// the sign-in checked an agent that was active, but the deactivation may
// have written (and listed the agent's sessions to revoke) before the new
// session sessionID existed. Reading the agent again after the session is
// stored sees any deactivation that missed it; the session is then revoked
// and the sign-in answers invalid_credentials.
func (a *API) refuseIfOffboarded(r *http.Request, agent storage.Agent, sessionID string) error {
	ctx := context.WithoutCancel(r.Context())
	now, err := a.cfg.Store.GetAgent(ctx, agent.OrgID, agent.ID)
	if err != nil {
		_ = a.cfg.Sessions.Revoke(ctx, sessionID)
		return fmt.Errorf("reload agent after sign-in: %w", err)
	}
	if !now.Deactivated() && !now.Deleted() {
		return nil
	}
	if err := a.cfg.Sessions.Revoke(ctx, sessionID); err != nil {
		return fmt.Errorf("revoke session of an offboarded agent: %w", err)
	}
	a.authFailed(reasonInvalidCredentials)
	return errInvalidCredentials
}
