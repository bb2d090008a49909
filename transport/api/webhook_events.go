package api

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Webhook event names (contract section 6). The hub's notices use the
// same names for the conversation and message events.
const (
	EventConversationCreated  = "conversation.created"
	EventConversationAssigned = "conversation.assigned"
	EventConversationClosed   = "conversation.closed"
	EventMessageCreated       = "message.created"
	EventVisitorCreated       = "visitor.created"
	EventVisitorUpdated       = "visitor.updated"
	EventVisitorErased        = "visitor.erased"
	EventAgentInvited         = "agent.invited"
	EventAgentDeactivated     = "agent.deactivated"
)

// WebhookEvents lists every event an endpoint may subscribe to, in the
// contract's order.
var WebhookEvents = []string{EventConversationCreated, EventConversationAssigned,
	EventConversationClosed, EventMessageCreated, EventVisitorCreated, EventVisitorUpdated,
	EventVisitorErased, EventAgentInvited, EventAgentDeactivated}

// emit hands event of orgID with payload data to the webhook dispatcher,
// which stores one delivery per subscribed endpoint before it returns. It
// never fails the request: the change it reports is already stored, so an
// error is logged (organisation and event only, never the payload) and
// dropped. The client going away does not cancel it. Without
// Config.Webhooks it does nothing.
func (a *API) emit(ctx context.Context, orgID, event string, data any) {
	if a.cfg.Webhooks == nil {
		return
	}
	if err := a.cfg.Webhooks.Emit(context.WithoutCancel(ctx), orgID, event, data); err != nil {
		a.log.Warn().Err(err).Str("org_id", orgID).Str("event", event).Msg("webhook emit failed")
	}
}

// emitVisitorUpdated emits visitor.updated for v (call it after the
// update is stored; PATCH /visitors/{id}).
func (a *API) emitVisitorUpdated(ctx context.Context, v storage.Visitor) {
	a.emit(ctx, v.OrgID, EventVisitorUpdated, WebhookVisitor(v))
}

// forgetVisitor tells the dispatcher that visitor id of orgID is being
// erased: no delivery sent from now on carries its PII. Errors are logged
// (ids only); the erasure goes on.
func (a *API) forgetVisitor(ctx context.Context, orgID, id string) {
	if a.cfg.Webhooks == nil {
		return
	}
	if err := a.cfg.Webhooks.ForgetVisitor(context.WithoutCancel(ctx), orgID, id); err != nil {
		a.log.Warn().Err(err).Str("org_id", orgID).Str("visitor_id", id).Msg("webhook forget visitor failed")
	}
}

// ConversationPayload is the data of the conversation.* events.
type ConversationPayload struct {
	ID         string                     `json:"id"`
	Status     storage.ConversationStatus `json:"status"`
	VisitorID  string                     `json:"visitor_id"`
	WidgetID   string                     `json:"widget_id"`
	AssigneeID *string                    `json:"assignee_id"` // null in the queue
	CreatedAt  time.Time                  `json:"created_at"`
	ClosedAt   *time.Time                 `json:"closed_at"` // null while open
}

// WebhookConversation is c as webhook payload data.
func WebhookConversation(c storage.Conversation) ConversationPayload {
	p := ConversationPayload{ID: c.ID, Status: c.Status, VisitorID: c.VisitorID, WidgetID: c.WidgetID,
		CreatedAt: c.CreatedAt.UTC()}
	if c.AssigneeID != "" {
		id := c.AssigneeID
		p.AssigneeID = &id
	}
	if !c.ClosedAt.IsZero() {
		t := c.ClosedAt.UTC()
		p.ClosedAt = &t
	}
	return p
}

// MessagePayload is the data of message.created. SenderID is the
// visitor's or the agent's id ("" for system messages). The delivery is
// tagged with the conversation's visitor (WebhookVisitorID), so erasing
// the visitor also stops the pending deliveries of its conversations'
// messages, which may hold whatever the visitor typed.
type MessagePayload struct {
	ID             string             `json:"id"`
	ConversationID string             `json:"conversation_id"`
	Seq            int64              `json:"seq"`
	SenderKind     storage.SenderKind `json:"sender_kind"`
	SenderID       string             `json:"sender_id"`
	Text           string             `json:"text"`
	CreatedAt      time.Time          `json:"created_at"`
	visitorID      string
}

// WebhookVisitorID names the visitor of the message's conversation
// (webhook.VisitorData).
func (p MessagePayload) WebhookVisitorID() string { return p.visitorID }

// WebhookMessage is message m of conversation c as webhook payload data.
func WebhookMessage(c storage.Conversation, m storage.Message) MessagePayload {
	return MessagePayload{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, SenderKind: m.SenderKind,
		SenderID: m.SenderID, Text: m.Text, CreatedAt: m.CreatedAt.UTC(), visitorID: c.VisitorID}
}

// VisitorPayload is the data of the visitor.* events. Name and email are
// the visitor's PII: null once the visitor is erased (and when not given);
// the phone number is never sent. ErasedAt is set by erasure only.
type VisitorPayload struct {
	ID        string     `json:"id"`
	WidgetID  string     `json:"widget_id"`
	Name      *string    `json:"name"`
	Email     *string    `json:"email"`
	CreatedAt time.Time  `json:"created_at"`
	ErasedAt  *time.Time `json:"erased_at,omitempty"`
}

// WebhookVisitor is v as webhook payload data, without PII when v is
// erased.
func WebhookVisitor(v storage.Visitor) VisitorPayload {
	p := VisitorPayload{ID: v.ID, WidgetID: v.WidgetID, CreatedAt: v.CreatedAt.UTC()}
	if v.Deleted() {
		t := v.DeletedAt.UTC()
		p.ErasedAt = &t
		return p
	}
	if v.Name != "" {
		name := v.Name
		p.Name = &name
	}
	if v.Email != "" {
		email := v.Email
		p.Email = &email
	}
	return p
}

// AgentPayload is the data of agent.deactivated. It carries no email on
// purpose: agent addresses are personal data and sign-in identifiers, and
// webhooks leave the hub for third-party URLs; a receiver that needs them
// reads GET /rest/v1/agents with a team:read key.
type AgentPayload struct {
	ID            string       `json:"id"`
	Name          string       `json:"name"`
	Role          storage.Role `json:"role"`
	DeactivatedAt *time.Time   `json:"deactivated_at"`
}

// WebhookAgent is ag as webhook payload data (no email; no name once
// erased).
func WebhookAgent(ag storage.Agent) AgentPayload {
	p := AgentPayload{ID: ag.ID, Role: ag.Role}
	if !ag.Deleted() {
		p.Name = ag.Name
	}
	if ag.Deactivated() {
		t := ag.DeactivatedAt.UTC()
		p.DeactivatedAt = &t
	}
	return p
}

// InvitationPayload is the data of agent.invited: the invitation, as there
// is no agent until it is accepted. Like AgentPayload it has no email.
type InvitationPayload struct {
	ID        string       `json:"id"`
	Role      storage.Role `json:"role"`
	InvitedBy string       `json:"invited_by"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
}

// Webhooks is the webhook dispatcher as the API uses it (a
// *webhook.Dispatcher). It must be safe for concurrent use.
type Webhooks interface {
	// Emit stores one delivery of event per enabled endpoint of orgID
	// subscribed to it, and returns once they are stored.
	Emit(ctx context.Context, orgID, event string, data any) error
	// ForgetVisitor makes sure no delivery sent from now on carries the
	// PII of visitor visitorID of orgID.
	ForgetVisitor(ctx context.Context, orgID, visitorID string) error
	// Invalidate drops the dispatcher's cached endpoints of orgID: call it
	// after every endpoint change.
	Invalidate(orgID string)
	// Test queues a webhook.test delivery to endpoint endpointID of orgID
	// (storage.ErrNotFound if none) and returns it.
	Test(ctx context.Context, orgID, endpointID string) (storage.WebhookDelivery, error)
	// Redeliver queues a new delivery of delivery deliveryID's event and
	// data to the same endpoint (storage.ErrNotFound if either is gone;
	// webhook.ErrErased when erasure removed its body).
	Redeliver(ctx context.Context, orgID, deliveryID string) (storage.WebhookDelivery, error)
}

// emitVisitorErased emits visitor.erased for v, erased just now, and
// forgets the visitor once more: a delivery stored between the first
// ForgetVisitor and the erasure loses the PII too. The payload never
// holds the PII (WebhookVisitor of an erased visitor).
func (a *API) emitVisitorErased(ctx context.Context, v storage.Visitor) {
	a.forgetVisitor(ctx, v.OrgID, v.ID)
	if !v.Deleted() {
		v.DeletedAt = a.nowMs()
	}
	a.emit(ctx, v.OrgID, EventVisitorErased, WebhookVisitor(v))
}
