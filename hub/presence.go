package hub

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

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
	subjects     map[presenceKey]*presenceEntry
	lastAssigned string // agent id of the last round-robin assignment
}

// presenceKey identifies a subject within its organisation.
type presenceKey struct {
	kind storage.SubjectKind
	id   string
}

// presenceEntry counts a subject's connections and remembers an agent's
// away choice, which outlives its connections.
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

// Connect counts a connection of the actor (call it once the connection
// is authenticated) and returns disconnect, to call when it ends
// (idempotent). A subject's first connection makes it online — an agent
// that chose away stays away — and its last makes it offline; each change
// is published as an EventPresence to the organisation's inbox, for agents
// and visitors alike. Presence is per node.
func (h *Hub) Connect(a Actor) (disconnect func()) {
	if !a.valid() {
		return func() {}
	}
	h.changePresence(a, func(e *presenceEntry) { e.conns++ })
	var once sync.Once
	return func() {
		once.Do(func() { h.changePresence(a, func(e *presenceEntry) { e.conns-- }) })
	}
}

// SetAgentStatus sets an agent's availability: PresenceOnline or
// PresenceAway (else ErrInvalid; visitors get ErrForbidden). The choice
// holds across reconnects; an agent without connections stays offline.
func (h *Hub) SetAgentStatus(a Actor, s PresenceStatus) error {
	if err := requireAgent(a); err != nil {
		return err
	}
	if s != PresenceOnline && s != PresenceAway {
		return fmt.Errorf("%w: agent status %q", ErrInvalid, s)
	}
	h.changePresence(a, func(e *presenceEntry) { e.away = s == PresenceAway })
	return nil
}

// Presence returns the organisation's online and away agents on this node,
// ordered by agent id.
func (h *Hub) Presence(orgID string) []Presence {
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

// changePresence applies change to the actor's entry and publishes the
// effective status if it changed. Publishing under the shard lock keeps a
// subject's presence events in order.
func (h *Hub) changePresence(a Actor, change func(*presenceEntry)) {
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
	change(e)
	after := e.status()
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

// publishPresence announces a subject's status to its organisation's inbox.
func (h *Hub) publishPresence(a Actor, st PresenceStatus) {
	ev := Event{
		Type: EventPresence, OrgID: a.OrgID,
		Presence: &Presence{SubjectKind: a.Kind, SubjectID: a.ID, Status: st},
	}
	h.report(h.publish(context.Background(), ev, 0, inboxChannel(a.OrgID)))
}

// nextAgent picks the online (not away) agent of the organisation that
// follows the last one assigned, in id order, or "" when none is online.
func (h *Hub) nextAgent(orgID string) string {
	s := &h.presence[shardIndex(orgID)]
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.orgs[orgID]
	if op == nil {
		return ""
	}
	var ids []string
	for k, e := range op.subjects {
		if k.kind == storage.SubjectAgent && e.status() == PresenceOnline {
			ids = append(ids, k.id)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	slices.Sort(ids)
	i, found := slices.BinarySearch(ids, op.lastAssigned)
	if found {
		i++
	}
	op.lastAssigned = ids[i%len(ids)]
	return op.lastAssigned
}
