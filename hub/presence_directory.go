package hub

import "context"

// PresenceDirectory keeps agents' presence for assignment and the
// organisation's view: which agents are connected (on this node and, for a
// cluster-wide directory, on every node), which chose away, and whose turn
// it is in the round-robin.
//
// An agent's status is offline while it has no connection on any node,
// else away if it chose away (a choice that applies on every node and
// outlives its connections), else online.
//
// SetConnected records whether the agent has at least one connection on
// this node; SetAway records the agent's choice. Both return the agent's
// status as the directory saw it just before and just after the change,
// atomically, so exactly one node sees each transition. The hub calls them
// sequentially for one agent (SetConnected only on this node's 0↔1
// transitions).
//
// Agents returns the organisation's online and away agents, ordered by
// agent id (byte order). NextAgent picks the online agent (away ones are
// skipped) that follows, in id order, the one it picked last for the
// organisation — wrapping around — and records it, atomically, so
// concurrent calls on any nodes hand out distinct turns; "" when none is
// online.
//
// The hub calls SetConnected and SetAway while holding a lock shared with
// other organisations' presence changes, with a 5 s deadline: an
// implementation should fail fast when its backend is down. All methods
// are safe for concurrent use and honour ctx. An error means
// the directory could not be read or written: the hub then falls back to
// this node's own view and reports the error.
type PresenceDirectory interface {
	SetConnected(ctx context.Context, orgID, agentID string, connected bool) (before, after PresenceStatus, err error)
	SetAway(ctx context.Context, orgID, agentID string, away bool) (before, after PresenceStatus, err error)
	Agents(ctx context.Context, orgID string) ([]Presence, error)
	NextAgent(ctx context.Context, orgID string) (string, error)
}
