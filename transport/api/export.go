package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// exportAuditLimit caps the audit events an export lists (the newest).
const exportAuditLimit = 1000

// visitorExport is everything stored about one visitor, decrypted.
type visitorExport struct {
	Visitor       visitorView        `json:"visitor"`
	Conversations []conversationView `json:"conversations"`
	Messages      []messageView      `json:"messages"`
	Sessions      []sessionView      `json:"sessions"`
	AuditEvents   []auditView        `json:"audit_events"`
	// CustomerUser is the chat-token identity of the visitor (the
	// customer's own user id, name, email), null for anonymous visitors.
	CustomerUser *customerUserView `json:"customer_user"`
}

type sessionView struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	IP         string     `json:"ip"`
	UserAgent  string     `json:"user_agent"`
}

func viewSession(s storage.Session) sessionView {
	v := sessionView{ID: s.ID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, IP: s.IP, UserAgent: s.UserAgent}
	if s.Revoked() {
		v.RevokedAt = &s.RevokedAt
	}
	return v
}

type auditView struct {
	ID        string              `json:"id"`
	ActorKind storage.SubjectKind `json:"actor_kind"`
	ActorID   string              `json:"actor_id"`
	Action    string              `json:"action"`
	TargetID  string              `json:"target_id"`
	IP        string              `json:"ip"`
	UserAgent string              `json:"user_agent"`
	Detail    string              `json:"detail"`
	CreatedAt time.Time           `json:"created_at"`
}

func viewAudit(e storage.AuditEvent) auditView {
	return auditView{ID: e.ID, ActorKind: e.ActorKind, ActorID: e.ActorID, Action: e.Action,
		TargetID: e.TargetID, IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail, CreatedAt: e.CreatedAt}
}

// handleExportVisitor returns everything stored about path visitor {id}
// (owner/admin) for a data-subject access request, and audits
// visitor.exported.
func (a *API) handleExportVisitor(w http.ResponseWriter, r *http.Request, c *caller) error {
	v, err := a.pathVisitor(r, c)
	if err != nil {
		return err
	}
	out, err := a.exportVisitor(r.Context(), v)
	if err != nil {
		return err
	}
	target := v.ID
	if v.Deleted() {
		target = a.cfg.Privacy.Pseudonym(v.ID)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "visitor.exported", TargetID: target})
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// exportVisitor gathers v's conversations, their messages, v's sessions and
// the audit events naming v (under its pseudonym too once erased).
func (a *API) exportVisitor(ctx context.Context, v storage.Visitor) (visitorExport, error) {
	out := visitorExport{Visitor: viewVisitor(v), Conversations: []conversationView{},
		Messages: []messageView{}, Sessions: []sessionView{}, AuditEvents: []auditView{}}
	convs, err := a.visitorConversations(ctx, v.OrgID, v.ID, convLimitMax)
	if err != nil {
		return out, err
	}
	for _, cv := range convs {
		out.Conversations = append(out.Conversations, viewConversation(cv))
		msgs, err := a.allMessages(ctx, v.OrgID, cv.ID, msgLimitMax)
		if err != nil {
			return out, err
		}
		out.Messages = append(out.Messages, viewMessages(msgs)...)
	}
	sessions, err := a.cfg.Store.ListSessions(ctx, v.OrgID, storage.SubjectVisitor, v.ID)
	if err != nil {
		return out, fmt.Errorf("list visitor sessions: %w", err)
	}
	for _, s := range sessions {
		out.Sessions = append(out.Sessions, viewSession(s))
	}
	if out.CustomerUser, err = a.exportCustomerUser(ctx, v); err != nil {
		return out, err
	}
	out.AuditEvents, err = a.subjectAudit(ctx, v)
	return out, err
}

// subjectAudit lists the audit events naming v, newest first.
func (a *API) subjectAudit(ctx context.Context, v storage.Visitor) ([]auditView, error) {
	ids := []string{v.ID}
	if v.Deleted() {
		ids = append(ids, a.cfg.Privacy.Pseudonyms(v.ID)...)
	}
	var events []storage.AuditEvent
	for _, id := range ids {
		list, err := a.cfg.Store.ListAuditForSubject(ctx, v.OrgID, id, exportAuditLimit)
		if err != nil {
			return nil, fmt.Errorf("list visitor audit: %w", err)
		}
		events = append(events, list...)
	}
	slices.SortStableFunc(events, func(x, y storage.AuditEvent) int { return y.CreatedAt.Compare(x.CreatedAt) })
	out := make([]auditView, 0, len(events))
	seen := map[string]bool{}
	for _, e := range events {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, viewAudit(e))
		}
	}
	return out, nil
}

// visitorConversations lists all of a visitor's conversations, newest
// activity first, page by page. Pages are keyed by UpdatedAt, which need not
// be unique, so each next page starts at the last page's time inclusive
// (duplicates dropped) and moves strictly past it only when a whole page
// shares that millisecond.
func (a *API) visitorConversations(ctx context.Context, orgID, visitorID string, pageSize int) ([]storage.Conversation, error) {
	var out []storage.Conversation
	seen := map[string]bool{}
	f := storage.ConversationFilter{VisitorID: visitorID, Limit: pageSize}
	for {
		page, err := a.cfg.Store.ListConversations(ctx, orgID, f)
		if err != nil {
			return nil, fmt.Errorf("list visitor conversations: %w", err)
		}
		added := 0
		for _, cv := range page {
			if !seen[cv.ID] {
				seen[cv.ID] = true
				out = append(out, cv)
				added++
			}
		}
		if len(page) < pageSize {
			return out, nil
		}
		last := page[len(page)-1].UpdatedAt
		f.Before = last.Add(time.Millisecond)
		if added == 0 {
			f.Before = last
		}
	}
}

// allMessages lists every message of a conversation in sequence order.
func (a *API) allMessages(ctx context.Context, orgID, convID string, pageSize int) ([]storage.Message, error) {
	var out []storage.Message
	var after int64
	for {
		page, err := a.cfg.Store.ListMessages(ctx, orgID, convID, after, pageSize)
		if err != nil {
			return nil, fmt.Errorf("list messages of conversation: %w", err)
		}
		out = append(out, page...)
		if len(page) < pageSize {
			return out, nil
		}
		after = page[len(page)-1].Seq
	}
}
