package hub

import (
	"context"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// StartConversation opens a conversation for a visitor on one of its
// organisation's widgets (storage.ErrNotFound if there is no such widget)
// and assigns it round-robin to an online agent (on any node, through the
// PresenceDirectory), or leaves it unassigned in the queue when none is
// online. It publishes an
// EventConversation to the organisation's inbox and the new room. Agents
// get ErrForbidden.
func (h *Hub) StartConversation(ctx context.Context, a Actor, widgetID string) (storage.Conversation, error) {
	if !a.valid() || a.Kind != storage.SubjectVisitor {
		return storage.Conversation{}, ErrForbidden
	}
	if _, err := h.store.GetWidget(ctx, a.OrgID, widgetID); err != nil {
		return storage.Conversation{}, fmt.Errorf("get widget %s: %w", widgetID, err)
	}
	now := h.clock()
	c := storage.Conversation{
		ID:         storage.NewID("cnv"),
		OrgID:      a.OrgID,
		VisitorID:  a.ID,
		WidgetID:   widgetID,
		AssigneeID: h.nextAgent(a.OrgID),
		Status:     storage.ConversationOpen,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	if err := h.store.CreateConversation(ctx, c); err != nil {
		return storage.Conversation{}, fmt.Errorf("create conversation: %w", err)
	}
	h.publishConversation(ctx, c)
	h.notify(ctx, NoticeConversationCreated, c, nil)
	if c.AssigneeID != "" {
		h.notify(ctx, NoticeConversationAssigned, c, nil)
	}
	return c, nil
}

// Claim assigns an unassigned open conversation to the acting agent;
// storage.ErrConflict if someone holds it already, ErrClosed if it is
// closed. Visitors get ErrForbidden.
func (h *Hub) Claim(ctx context.Context, a Actor, conversationID string) (storage.Conversation, error) {
	if err := requireAgent(a); err != nil {
		return storage.Conversation{}, err
	}
	return h.update(ctx, a, conversationID, false, NoticeConversationAssigned, func(c storage.Conversation) error {
		if c.AssigneeID != "" {
			return fmt.Errorf("claim %s: %w", conversationID, storage.ErrConflict)
		}
		return h.store.SetAssignee(ctx, a.OrgID, conversationID, "", a.ID, h.clock())
	})
}

// Transfer reassigns an open conversation from its current assignee (or
// from the queue) to agent toAgentID of the same organisation
// (storage.ErrNotFound otherwise, or when that agent is erased or
// deactivated). storage.ErrConflict if the assignee
// changed underneath, ErrClosed if it is closed. Visitors get
// ErrForbidden.
func (h *Hub) Transfer(ctx context.Context, a Actor, conversationID, toAgentID string) (storage.Conversation, error) {
	if err := requireAgent(a); err != nil {
		return storage.Conversation{}, err
	}
	to, err := h.store.GetAgent(ctx, a.OrgID, toAgentID)
	if err == nil && (to.Deleted() || to.Deactivated()) {
		err = storage.ErrNotFound // nobody to hand work to
	}
	if err != nil {
		return storage.Conversation{}, fmt.Errorf("get agent %s: %w", toAgentID, err)
	}
	return h.update(ctx, a, conversationID, false, NoticeConversationAssigned, func(c storage.Conversation) error {
		return h.store.SetAssignee(ctx, a.OrgID, conversationID, c.AssigneeID, toAgentID, h.clock())
	})
}

// Close closes a conversation and publishes its new state to the inbox and
// the room. Closing a closed conversation returns it unchanged and
// publishes nothing. Visitors get ErrForbidden.
func (h *Hub) Close(ctx context.Context, a Actor, conversationID string) (storage.Conversation, error) {
	if err := requireAgent(a); err != nil {
		return storage.Conversation{}, err
	}
	return h.update(ctx, a, conversationID, true, NoticeConversationClosed, func(storage.Conversation) error {
		return h.store.CloseConversation(ctx, a.OrgID, conversationID, h.clock())
	})
}

// Reopen reopens a closed conversation and assigns it to the acting agent,
// who wants to continue it, and publishes its new state to the inbox and
// the room. Reopening an open conversation returns it unchanged and
// publishes nothing. Visitors get ErrForbidden.
func (h *Hub) Reopen(ctx context.Context, a Actor, conversationID string) (storage.Conversation, error) {
	if err := requireAgent(a); err != nil {
		return storage.Conversation{}, err
	}
	r := h.acquire(a.OrgID, conversationID)
	defer h.release(r)
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	c, err := h.authorize(ctx, a, conversationID)
	if err != nil || c.Status == storage.ConversationOpen {
		return c, err
	}
	if err := h.store.ReopenConversation(ctx, a.OrgID, conversationID, a.ID, h.clock()); err != nil {
		return storage.Conversation{}, fmt.Errorf("reopen %s: %w", conversationID, err)
	}
	before := c.AssigneeID
	if c, err = h.store.GetConversation(ctx, a.OrgID, conversationID); err != nil {
		return storage.Conversation{}, fmt.Errorf("reload conversation %s: %w", conversationID, err)
	}
	h.publishConversation(ctx, c)
	if c.AssigneeID != before && c.AssigneeID != "" {
		h.notify(ctx, NoticeConversationAssigned, c, nil)
	}
	return c, nil
}

// update applies change to an open conversation under its room lock,
// reloads it and publishes its new state to the inbox and the room. A
// closed conversation is ErrClosed, unless closing: then it is returned
// unchanged. A change is then reported as notice (none when "").
func (h *Hub) update(ctx context.Context, a Actor, conversationID string, closing bool, notice string, change func(storage.Conversation) error) (storage.Conversation, error) {
	r := h.acquire(a.OrgID, conversationID)
	defer h.release(r)
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	c, err := h.authorize(ctx, a, conversationID)
	if err != nil {
		return storage.Conversation{}, err
	}
	if c.Status == storage.ConversationClosed {
		if closing {
			return c, nil
		}
		return storage.Conversation{}, fmt.Errorf("update %s: %w", conversationID, ErrClosed)
	}
	if err := change(c); err != nil {
		return storage.Conversation{}, fmt.Errorf("update %s: %w", conversationID, err)
	}
	if c, err = h.store.GetConversation(ctx, a.OrgID, conversationID); err != nil {
		return storage.Conversation{}, fmt.Errorf("reload conversation %s: %w", conversationID, err)
	}
	h.publishConversation(ctx, c)
	h.notify(ctx, notice, c, nil)
	return c, nil
}

// publishConversation announces c's state to its organisation's inbox and
// its room. The change is already stored, so failures are only reported.
func (h *Hub) publishConversation(ctx context.Context, c storage.Conversation) {
	ev := Event{Type: EventConversation, OrgID: c.OrgID, ConversationID: c.ID, Conversation: &c}
	h.report(h.publish(ctx, ev, 0, inboxChannel(c.OrgID), roomChannel(c.OrgID, c.ID)))
}
