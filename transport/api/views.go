package api

import (
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// JSON shapes of the API's responses.

type orgView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type agentView struct {
	ID    string       `json:"id"`
	OrgID string       `json:"org_id"`
	Name  string       `json:"name"`
	Email string       `json:"email"`
	Role  storage.Role `json:"role"`
	// DeactivatedAt is null while the agent may sign in.
	DeactivatedAt *time.Time `json:"deactivated_at"`
}

func viewAgent(a storage.Agent) agentView {
	v := agentView{ID: a.ID, OrgID: a.OrgID, Name: a.Name, Email: a.Email, Role: a.Role}
	if a.Deactivated() {
		t := a.DeactivatedAt
		v.DeactivatedAt = &t
	}
	return v
}

type widgetView struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	PublishableKey string      `json:"publishable_key"`
	AllowedOrigins []string    `json:"allowed_origins"`
	Prechat        prechatView `json:"prechat"`         // effective modes
	OfflineMessage string      `json:"offline_message"` // "" = DefaultOfflineMessage
	CreatedAt      time.Time   `json:"created_at"`
}

func viewWidget(w storage.Widget) widgetView {
	origins := w.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	return widgetView{ID: w.ID, Name: w.Name, PublishableKey: w.PublishableKey,
		AllowedOrigins: origins, Prechat: viewPrechat(w.Prechat), OfflineMessage: w.OfflineMessage,
		CreatedAt: w.CreatedAt}
}

type conversationView struct {
	ID             string                     `json:"id"`
	VisitorID      string                     `json:"visitor_id"`
	WidgetID       string                     `json:"widget_id"`
	AssigneeID     *string                    `json:"assignee_id"`
	Status         storage.ConversationStatus `json:"status"`
	LastSeq        int64                      `json:"last_seq"`
	VisitorReadSeq int64                      `json:"visitor_read_seq"`
	AgentReadSeq   int64                      `json:"agent_read_seq"`
	UnreadCount    *int64                     `json:"unread_count,omitempty"` // agents only
	Preview        string                     `json:"preview"`
	LastSenderKind storage.SenderKind         `json:"last_sender_kind"`
	CreatedAt      time.Time                  `json:"created_at"`
	UpdatedAt      time.Time                  `json:"updated_at"`
	ClosedAt       *time.Time                 `json:"closed_at"`
}

// viewConversation is the conversation as a visitor sees it: agent_read_seq
// is the agent side (what the visitor sees as read).
func viewConversation(c storage.Conversation) conversationView {
	v := conversationView{ID: c.ID, VisitorID: c.VisitorID, WidgetID: c.WidgetID, Status: c.Status,
		LastSeq: c.LastSeq, VisitorReadSeq: c.VisitorReadSeq, AgentReadSeq: c.AgentReadSeq,
		Preview: c.Preview, LastSenderKind: c.LastSenderKind,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.AssigneeID != "" {
		v.AssigneeID = &c.AssigneeID
	}
	if !c.ClosedAt.IsZero() {
		v.ClosedAt = &c.ClosedAt
	}
	return v
}

type messageView struct {
	ID             string             `json:"id"`
	ConversationID string             `json:"conversation_id"`
	Seq            int64              `json:"seq"`
	ClientID       string             `json:"client_id,omitempty"`
	SenderKind     storage.SenderKind `json:"sender_kind"`
	SenderID       string             `json:"sender_id,omitempty"`
	Text           string             `json:"text"`
	CreatedAt      time.Time          `json:"created_at"`
}

func viewMessages(ms []storage.Message) []messageView {
	out := make([]messageView, 0, len(ms))
	for _, m := range ms {
		out = append(out, messageView{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq,
			ClientID: m.ClientID, SenderKind: m.SenderKind, SenderID: m.SenderID, Text: m.Text,
			CreatedAt: m.CreatedAt})
	}
	return out
}

// viewConversationFor is the conversation as an agent sees it: read state
// is per agent, so agent_read_seq is the agent's own mark and unread_count
// the messages after it.
func viewConversationFor(c storage.Conversation, ownMark int64) conversationView {
	v := viewConversation(c)
	v.AgentReadSeq = ownMark
	unread := max(0, c.LastSeq-ownMark)
	v.UnreadCount = &unread
	return v
}
