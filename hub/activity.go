package hub

import (
	"context"
	"fmt"
	"sync"

	"github.com/helpr-chat/helpr/storage"
)

// ActivityScope says which conversations' per-message activity an agent's
// subscriber receives from WatchActivity. State changes (start,
// assignment, transfer, close, reopen) and presence reach every agent's
// inbox whatever the scope.
type ActivityScope string

// Activity scopes.
const (
	// ActivityAll is every conversation of the organisation: the default,
	// what an inbox showing all conversations needs.
	ActivityAll ActivityScope = "all"
	// ActivityMine is the conversations assigned to the agent and the
	// unassigned queue.
	ActivityMine ActivityScope = "mine"
	// ActivityNone is no per-message activity (a bot or an integration
	// that answers only the conversations it joined).
	ActivityNone ActivityScope = "none"
)

// queueKey names the unassigned queue among the assignee channels.
const queueKey = "queue"

// activityChannel carries the activity of every conversation of an
// organisation.
func activityChannel(orgID string) string { return "helpr.activity." + orgID }

// assigneeActivityChannel carries the activity of the conversations
// assigned to one agent ("" = the unassigned queue).
func assigneeActivityChannel(orgID, assigneeID string) string {
	if assigneeID == "" {
		assigneeID = queueKey
	}
	return "helpr.activity." + orgID + "." + assigneeID
}

// channels returns the activity channels an agent watching with scope
// subscribes to; an unknown scope is ErrInvalid.
func (s ActivityScope) channels(a Actor) ([]string, error) {
	switch s {
	case ActivityAll:
		return []string{activityChannel(a.OrgID)}, nil
	case ActivityMine:
		return []string{assigneeActivityChannel(a.OrgID, a.ID), assigneeActivityChannel(a.OrgID, "")}, nil
	case ActivityNone:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: activity scope %q", ErrInvalid, s)
}

// WatchActivity delivers the per-message activity of the conversations in
// scope to an agent's subscriber: for every stored message, a
// conversation event with the new last_seq, updated_at and preview, from
// every node. It runs until cancel is called (idempotent; after it returns
// nothing more is delivered). Visitors get ErrForbidden; an unknown scope
// ErrInvalid. A refused broker subscription does not fail the watch:
// local activity is delivered, other nodes' from the next subscription.
func (h *Hub) WatchActivity(a Actor, sub Subscriber, scope ActivityScope) (cancel func(), err error) {
	if err := requireAgent(a); err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, fmt.Errorf("%w: nil subscriber", ErrInvalid)
	}
	channels, err := scope.channels(a)
	if err != nil {
		return nil, err
	}
	m := &member{sub: sub}
	rooms := make([]*room, 0, len(channels))
	for _, ch := range channels {
		r := h.acquireChannel(a.OrgID, "", ch)
		h.report(h.addMember(r, m, 0))
		rooms = append(rooms, r)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			m.close()
			for _, r := range rooms {
				h.removeMember(r, m)
				h.release(r)
			}
		})
	}, nil
}

// announceActivity tells the agents watching conversation c, on every
// node, that it has a new message: c is its state as the append stored it
// (new LastSeq, UpdatedAt and preview; the status, assignee and read
// sequences of that moment). The message is already durable, so a failure
// is only reported.
func (h *Hub) announceActivity(ctx context.Context, c storage.Conversation) {
	ev := Event{Type: EventConversation, OrgID: c.OrgID, ConversationID: c.ID, Conversation: &c}
	h.report(h.publish(ctx, ev, 0, activityChannel(c.OrgID), assigneeActivityChannel(c.OrgID, c.AssigneeID)))
}
