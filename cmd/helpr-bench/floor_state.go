package main

import (
	"strings"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// floor is the floor server's in-memory state: the accounts its REST stubs
// created (so a login finds the agent a registration made), each
// organisation's connected agents (the inbox) and the conversations'
// members and sequence counters. Nothing is durable.
type floor struct {
	now func() time.Time
	// handlers counts the running connection handlers, so that a stop
	// can wait for them (hijacked connections are not the http.Server's).
	handlers sync.WaitGroup

	mu       sync.RWMutex
	accounts map[string]floorSubject // by email
	orgs     map[string]*floorOrg
	convs    map[string]*floorConv
	conns    map[*floorConn]struct{}
}

// floorSubject is who a token names.
type floorSubject struct {
	Kind  string // "agent" or "visitor"
	ID    string
	OrgID string
}

// floorOrg is one organisation's inbox: its connected agents, and the
// round-robin cursor for assignments. Guarded by floor.mu.
type floorOrg struct {
	agents []*floorConn
	next   int
}

// floorConv is one conversation: its members and the last seq handed out.
type floorConv struct {
	mu      sync.Mutex
	state   wire.Conversation
	orgID   string
	members map[*floorConn]struct{}
}

// newFloor returns empty state; now nil means time.Now.
func newFloor(now func() time.Time) *floor {
	if now == nil {
		now = time.Now
	}
	return &floor{
		now:      now,
		accounts: make(map[string]floorSubject),
		orgs:     make(map[string]*floorOrg),
		convs:    make(map[string]*floorConv),
		conns:    make(map[*floorConn]struct{}),
	}
}

// stamp is the current time as the protocol writes it.
func (f *floor) stamp() string { return f.now().UTC().Format("2006-01-02T15:04:05.000Z") }

// Token formats handed out by the REST stubs: the prefix helpr uses, then
// the subject id and organisation id. The relay reads them back without
// checking anything.
const (
	floorAgentPrefix   = "hla_"
	floorVisitorPrefix = "hlv_"
	floorRefreshPrefix = "hlr_"
	floorDefaultOrg    = "org_floor"
)

// floorToken returns a token of prefix naming s.
func floorToken(prefix string, s floorSubject) string { return prefix + s.ID + "." + s.OrgID }

// parseFloorToken reads the subject back from any token; a token the floor
// did not issue is accepted as a fresh subject of the default organisation.
func parseFloorToken(tok string) floorSubject {
	s := floorSubject{Kind: "visitor", OrgID: floorDefaultOrg}
	rest, isAgent := strings.CutPrefix(tok, floorAgentPrefix)
	if isAgent {
		s.Kind = "agent"
	} else if r, ok := strings.CutPrefix(tok, floorRefreshPrefix); ok {
		s.Kind, rest = "agent", r
	} else {
		rest = strings.TrimPrefix(tok, floorVisitorPrefix)
	}
	if id, org, ok := strings.Cut(rest, "."); ok && id != "" && org != "" {
		s.ID, s.OrgID = id, org
		return s
	}
	if s.Kind == "agent" {
		s.ID = storage.NewID("agt")
	} else {
		s.ID = storage.NewID("vis")
	}
	return s
}

// register adds c to the live connections and, for an agent, to its
// organisation's inbox.
func (f *floor) register(c *floorConn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conns[c] = struct{}{}
	if c.who.Kind != "agent" {
		return
	}
	o := f.orgs[c.who.OrgID]
	if o == nil {
		o = &floorOrg{}
		f.orgs[c.who.OrgID] = o
	}
	o.agents = append(o.agents, c)
}

// unregister removes c from the live connections and its inbox.
func (f *floor) unregister(c *floorConn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, c)
	o := f.orgs[c.who.OrgID]
	if o == nil {
		return
	}
	for i, a := range o.agents {
		if a == c {
			o.agents = append(o.agents[:i], o.agents[i+1:]...)
			break
		}
	}
	if len(o.agents) == 0 {
		delete(f.orgs, c.who.OrgID)
	}
}

// closeAll closes every live connection (server stop).
func (f *floor) closeAll() {
	f.mu.RLock()
	conns := make([]*floorConn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.RUnlock()
	for _, c := range conns {
		c.shutdown()
	}
}

// startConversation creates a conversation for visitor v, assigned
// round-robin to one of the organisation's connected agents, and sends the
// state to the organisation's inbox.
func (f *floor) startConversation(v floorSubject) *floorConv {
	now := f.stamp()
	cv := &floorConv{orgID: v.OrgID, members: make(map[*floorConn]struct{})}
	cv.state = wire.Conversation{ID: storage.NewID("cnv"), Status: "open", VisitorID: v.ID,
		CreatedAt: now, UpdatedAt: now}
	f.mu.Lock()
	if o := f.orgs[v.OrgID]; o != nil && len(o.agents) > 0 {
		o.next %= len(o.agents)
		cv.state.AssigneeID = o.agents[o.next].who.ID
		o.next++
	}
	f.convs[cv.state.ID] = cv
	f.mu.Unlock()
	f.toInbox(v.OrgID, cv.state)
	return cv
}

// conv returns the conversation with id, or nil.
func (f *floor) conv(id string) *floorConv {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.convs[id]
}

// toInbox sends a conversation frame (no ref) to the organisation's agents,
// encoded once.
func (f *floor) toInbox(orgID string, st wire.Conversation) {
	b := mustEncode(wire.TypeConversation, "", &st)
	f.mu.RLock()
	defer f.mu.RUnlock()
	if o := f.orgs[orgID]; o != nil {
		for _, a := range o.agents {
			a.enqueue(b)
		}
	}
}

// mustEncode encodes a frame whose payload is one of the wire types (which
// always marshal).
func mustEncode(typ, ref string, payload any) []byte {
	b, err := wire.Encode(typ, ref, payload)
	if err != nil {
		panic(err) // a wire type that does not marshal is a programming error
	}
	return b
}
