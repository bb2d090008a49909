package hub

import (
	"context"
	"errors"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// Unassign returns an open conversation assigned to fromAgentID to the
// organisation's unassigned queue (offboarding: another agent claims it
// from there) and publishes its new state to the inbox and the room, like
// Claim and Transfer. moved is false, with a nil error, when there was
// nothing to do: the conversation is closed, or no longer assigned to
// fromAgentID (the assignment is a compare-and-set). Visitors get
// ErrForbidden.
func (h *Hub) Unassign(ctx context.Context, a Actor, conversationID, fromAgentID string) (moved bool, err error) {
	if err := requireAgent(a); err != nil {
		return false, err
	}
	if fromAgentID == "" {
		return false, errors.New("unassign: empty agent id")
	}
	_, err = h.update(ctx, a, conversationID, false, "", func(c storage.Conversation) error {
		if c.AssigneeID != fromAgentID {
			return fmt.Errorf("unassign %s: %w", conversationID, storage.ErrConflict)
		}
		return h.store.SetAssignee(ctx, a.OrgID, conversationID, fromAgentID, "", h.clock())
	})
	if errors.Is(err, ErrClosed) || errors.Is(err, storage.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}
