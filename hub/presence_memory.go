package hub

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/helpr-chat/helpr/storage"
)

// MemoryPresence is the single-node PresenceDirectory, the hub's default:
// it sees the agents of the one hub that reports to it. Away choices are
// kept until the process ends.
type MemoryPresence struct {
	mu   sync.Mutex
	orgs map[string]*memoryOrg
}

var _ PresenceDirectory = (*MemoryPresence)(nil)

// memoryOrg is one organisation's agents and round-robin position.
type memoryOrg struct {
	agents map[string]*memoryAgent
	last   string // agent picked last by NextAgent
}

// memoryAgent is an agent's recorded presence.
type memoryAgent struct {
	connected bool
	away      bool
}

// status is the agent's effective presence.
func (a *memoryAgent) status() PresenceStatus {
	switch {
	case a == nil || !a.connected:
		return PresenceOffline
	case a.away:
		return PresenceAway
	}
	return PresenceOnline
}

// NewMemoryPresence returns an empty in-memory directory.
func NewMemoryPresence() *MemoryPresence {
	return &MemoryPresence{orgs: make(map[string]*memoryOrg)}
}

// SetConnected implements PresenceDirectory.
func (p *MemoryPresence) SetConnected(ctx context.Context, orgID, agentID string, connected bool) (PresenceStatus, PresenceStatus, error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	before, after := p.change(orgID, agentID, func(a *memoryAgent) { a.connected = connected })
	return before, after, nil
}

// SetAway implements PresenceDirectory.
func (p *MemoryPresence) SetAway(ctx context.Context, orgID, agentID string, away bool) (PresenceStatus, PresenceStatus, error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	before, after := p.change(orgID, agentID, func(a *memoryAgent) { a.away = away })
	return before, after, nil
}

// change applies fn to the agent's record and returns its status before
// and after, dropping records that say nothing.
func (p *MemoryPresence) change(orgID, agentID string, fn func(*memoryAgent)) (before, after PresenceStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.orgs[orgID]
	if o == nil {
		o = &memoryOrg{agents: make(map[string]*memoryAgent)}
		p.orgs[orgID] = o
	}
	a := o.agents[agentID]
	if a == nil {
		a = &memoryAgent{}
		o.agents[agentID] = a
	}
	before = a.status()
	fn(a)
	after = a.status()
	if !a.connected && !a.away {
		delete(o.agents, agentID)
	}
	if len(o.agents) == 0 {
		delete(p.orgs, orgID)
	}
	return before, after
}

// Agents implements PresenceDirectory.
func (p *MemoryPresence) Agents(ctx context.Context, orgID string) ([]Presence, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Presence
	if o := p.orgs[orgID]; o != nil {
		for id, a := range o.agents {
			if a.connected {
				out = append(out, Presence{SubjectKind: storage.SubjectAgent, SubjectID: id, Status: a.status()})
			}
		}
	}
	slices.SortFunc(out, func(x, y Presence) int { return cmp.Compare(x.SubjectID, y.SubjectID) })
	return out, nil
}

// NextAgent implements PresenceDirectory.
func (p *MemoryPresence) NextAgent(ctx context.Context, orgID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.orgs[orgID]
	if o == nil {
		return "", nil
	}
	var ids []string
	for id, a := range o.agents {
		if a.status() == PresenceOnline {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return "", nil
	}
	o.last = nextInTurn(ids, o.last)
	return o.last, nil
}

// nextInTurn returns the id of ids (unsorted, non-empty) that follows last
// in byte order, wrapping around to the smallest.
func nextInTurn(ids []string, last string) string {
	slices.Sort(ids)
	i, found := slices.BinarySearch(ids, last)
	if found {
		i++
	}
	return ids[i%len(ids)]
}
