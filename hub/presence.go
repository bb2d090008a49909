package hub

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// presenceShard is one slice of the presence registry, keyed by
// organisation.
type presenceShard struct {
	mu   sync.Mutex
	orgs map[string]*orgPresence
}

// orgPresence is an organisation's presence on this node.
type orgPresence struct {
	subjects map[presenceKey]*presenceEntry
}

// presenceKey identifies a subject within its organisation.
type presenceKey struct {
	kind storage.SubjectKind
	id   string
}

// presenceEntry counts a subject's connections on this node and remembers
// an agent's away choice made here (the directory holds the cluster-wide
// one; this copy serves when the directory fails).
type presenceEntry struct {
	conns int
	away  bool
}

// status is the subject's effective presence.
func (e *presenceEntry) status() PresenceStatus {
	switch {
	case e.conns == 0:
		return PresenceOffline
	case e.away:
		return PresenceAway
	}
	return PresenceOnline
}

// presenceTimeout bounds each call to the presence directory.
const presenceTimeout = 5 * time.Second

// directoryCall is a change to tell the presence directory about, returning
// the agent's cluster-wide status before and after it.
type directoryCall func(ctx context.Context, d PresenceDirectory) (before, after PresenceStatus, err error)

// Connect counts a connection of the actor (call it once the connection
// is authenticated) and returns disconnect, to call when it ends
// (idempotent). A subject's first connection makes it online — an agent
// that chose away stays away — and its last makes it offline; each change
// is published as an EventPresence to the organisation's inbox, for agents
// and visitors alike. An agent's status is cluster-wide (the
// PresenceDirectory's): connecting on a second node publishes nothing, and
// the directory knows of the connection when Connect returns, so any
// node's next assignment sees it. A visitor's presence is per node.
func (h *Hub) Connect(a Actor) (disconnect func()) {
	if !a.valid() {
		return func() {}
	}
	h.changePresence(a, func(e *presenceEntry) directoryCall {
		if e.conns++; e.conns == 1 {
			return setConnected(a, true)
		}
		return nil
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			h.changePresence(a, func(e *presenceEntry) directoryCall {
				if e.conns--; e.conns == 0 {
					return setConnected(a, false)
				}
				return nil
			})
		})
	}
}

// setConnected is the directory call for an agent's first or last
// connection on this node.
func setConnected(a Actor, connected bool) directoryCall {
	return func(ctx context.Context, d PresenceDirectory) (PresenceStatus, PresenceStatus, error) {
		return d.SetConnected(ctx, a.OrgID, a.ID, connected)
	}
}

// SetAgentStatus sets an agent's availability on every node: PresenceOnline
// or PresenceAway (else ErrInvalid; visitors get ErrForbidden). The choice
// holds across reconnects; an agent without connections stays offline.
// When the directory fails, the choice holds on this node only (the error
// goes to OnError).
func (h *Hub) SetAgentStatus(a Actor, s PresenceStatus) error {
	if err := requireAgent(a); err != nil {
		return err
	}
	if s != PresenceOnline && s != PresenceAway {
		return fmt.Errorf("%w: agent status %q", ErrInvalid, s)
	}
	away := s == PresenceAway
	h.changePresence(a, func(e *presenceEntry) directoryCall {
		e.away = away
		return func(ctx context.Context, d PresenceDirectory) (PresenceStatus, PresenceStatus, error) {
			return d.SetAway(ctx, a.OrgID, a.ID, away)
		}
	})
	return nil
}

// Presence returns the organisation's online and away agents, ordered by
// agent id: on every node, as the PresenceDirectory sees them, or on this
// node only when the directory fails (the error goes to OnError).
func (h *Hub) Presence(orgID string) []Presence {
	ctx, cancel := context.WithTimeout(context.Background(), presenceTimeout)
	defer cancel()
	list, err := h.dir.Agents(ctx, orgID)
	if err == nil {
		return list
	}
	h.report(fmt.Errorf("presence of %s: %w", orgID, err))
	return h.localPresence(orgID)
}

// localPresence is this node's view of the organisation's agents.
func (h *Hub) localPresence(orgID string) []Presence {
	s := &h.presence[shardIndex(orgID)]
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Presence
	if op := s.orgs[orgID]; op != nil {
		for k, e := range op.subjects {
			if k.kind == storage.SubjectAgent && e.conns > 0 {
				out = append(out, Presence{SubjectKind: k.kind, SubjectID: k.id, Status: e.status()})
			}
		}
	}
	slices.SortFunc(out, func(x, y Presence) int { return cmp.Compare(x.SubjectID, y.SubjectID) })
	return out
}

// changePresence applies change to the actor's entry, tells the directory
// what change returned (agents only), and publishes the status if it
// changed: the directory's cluster-wide transition, or this node's when
// there is no call or the directory fails. Holding the shard lock keeps a
// subject's calls and events in order.
func (h *Hub) changePresence(a Actor, change func(*presenceEntry) directoryCall) {
	s := &h.presence[shardIndex(a.OrgID)]
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.orgs[a.OrgID]
	if op == nil {
		op = &orgPresence{subjects: make(map[presenceKey]*presenceEntry)}
		s.orgs[a.OrgID] = op
	}
	key := presenceKey{kind: a.Kind, id: a.ID}
	e := op.subjects[key]
	if e == nil {
		e = &presenceEntry{}
		op.subjects[key] = e
	}
	before := e.status()
	call := change(e)
	after := e.status()
	if call != nil && a.Kind == storage.SubjectAgent {
		before, after = h.callDirectory(a, call, before, after)
	}
	if e.conns == 0 && !e.away {
		delete(op.subjects, key)
	}
	if len(op.subjects) == 0 {
		delete(s.orgs, a.OrgID)
	}
	if before != after {
		h.publishPresence(a, after)
	}
}

// callDirectory runs call and returns the cluster-wide transition, or the
// local one (before, after) when the directory fails.
func (h *Hub) callDirectory(a Actor, call directoryCall, before, after PresenceStatus) (PresenceStatus, PresenceStatus) {
	ctx, cancel := context.WithTimeout(context.Background(), presenceTimeout)
	defer cancel()
	b, af, err := call(ctx, h.dir)
	if err != nil {
		h.report(fmt.Errorf("presence of agent %s: %w", a.ID, err))
		return before, after
	}
	return b, af
}

// publishPresence announces a subject's status to its organisation's inbox.
func (h *Hub) publishPresence(a Actor, st PresenceStatus) {
	ev := Event{
		Type: EventPresence, OrgID: a.OrgID,
		Presence: &Presence{SubjectKind: a.Kind, SubjectID: a.ID, Status: st},
	}
	h.report(h.publish(context.Background(), ev, 0, inboxChannel(a.OrgID)))
}

// nextAgent picks the assignee of a new conversation through the
// directory: the online agent whose turn it is, cluster-wide, or "" (the
// queue) when none is online or the directory fails.
func (h *Hub) nextAgent(orgID string) string {
	ctx, cancel := context.WithTimeout(context.Background(), presenceTimeout)
	defer cancel()
	id, err := h.dir.NextAgent(ctx, orgID)
	if err != nil {
		h.report(fmt.Errorf("assign in %s: %w", orgID, err))
		return ""
	}
	return id
}
