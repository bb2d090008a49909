package hub

import (
	"context"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Unassign puts an agent's open conversation back in the queue and
// announces it; a conversation assigned to someone else, or closed, is
// left alone (moved false, no error); visitors may not.
func TestUnassignReturnsToQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	ctx := context.Background()
	a0, a1 := e.org.agents[0], e.org.agents[1]
	v := e.org.visitor()
	c := e.start(t, v)
	if c.AssigneeID == "" {
		if _, err := e.hub.Claim(ctx, a0, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	cur, _ := e.store.GetConversation(ctx, e.org.id, c.ID)
	holder, other := a0, a1
	if cur.AssigneeID == a1.ID {
		holder, other = a1, a0
	}
	inbox := &recorder{}
	defer e.hub.SubscribeInbox(other, inbox)()

	if moved, err := e.hub.Unassign(ctx, other, c.ID, other.ID); moved || err != nil {
		t.Fatalf("unassign from a non-holder: moved %v, err %v", moved, err)
	}
	if _, err := e.hub.Unassign(ctx, v, c.ID, holder.ID); err == nil {
		t.Fatal("a visitor unassigned a conversation")
	}
	moved, err := e.hub.Unassign(ctx, other, c.ID, holder.ID)
	if !moved || err != nil {
		t.Fatalf("unassign: moved %v, err %v", moved, err)
	}
	got, _ := e.store.GetConversation(ctx, e.org.id, c.ID)
	if got.AssigneeID != "" {
		t.Fatalf("assignee %q after unassign, want the queue", got.AssigneeID)
	}
	evs := inbox.events(t, EventConversation)
	if len(evs) != 1 || evs[0].Conversation.AssigneeID != "" {
		t.Errorf("inbox got %d conversation events, want one unassigned", len(evs))
	}
	if _, err := e.hub.Claim(ctx, other, c.ID); err != nil {
		t.Fatalf("claim from the queue: %v", err)
	}
	if _, err := e.hub.Close(ctx, other, c.ID); err != nil {
		t.Fatal(err)
	}
	if moved, err := e.hub.Unassign(ctx, other, c.ID, other.ID); moved || err != nil {
		t.Fatalf("unassign a closed conversation: moved %v, err %v", moved, err)
	}
}

// Work cannot be transferred to a deactivated agent.
func TestTransferRefusesDeactivatedAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	ctx := context.Background()
	a0, a1 := e.org.agents[0], e.org.agents[1]
	c := e.start(t, e.org.visitor())
	if err := e.store.DeactivateAgent(ctx, e.org.id, a1.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := e.hub.Transfer(ctx, a0, c.ID, a1.ID)
	wantErr(t, "transfer to a deactivated agent", err, storage.ErrNotFound)
}
