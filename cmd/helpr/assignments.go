package main

import (
	"context"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/api"
)

// hubAssignments lets the REST API hand an offboarded agent's open
// conversations back to the queue through the hub, which announces each
// change to the organisation's inbox and the conversation's room.
type hubAssignments struct{ h *hub.Hub }

var _ api.Assignments = hubAssignments{}

// Unassign returns the conversation to the queue, acting as agent actorID.
func (a hubAssignments) Unassign(ctx context.Context, orgID, actorID, conversationID, fromAgentID string) (bool, error) {
	return a.h.Unassign(ctx, hub.Actor{OrgID: orgID, Kind: storage.SubjectAgent, ID: actorID}, conversationID, fromAgentID)
}
