package storage

import (
	"context"
	"time"
)

// SignInIP is one address an agent signed in from, stored only as a keyed
// hash (the security layer's KeyedHash of the address, an IPv6 address
// reduced to its /64): enough to recognise it again, never to read it back.
type SignInIP struct {
	OrgID   string
	AgentID string
	IPHash  []byte
	At      time.Time // the sign-in
}

// SignInIPVisit is what RecordSignInIP found before its write.
type SignInIPVisit struct {
	// New is true when the address was never recorded for the agent, or
	// was last seen at or before the staleAt given to RecordSignInIP.
	New bool
	// First is true when the agent had no recorded address at all: its
	// very first sign-in (registration, invitation), which alerts nobody.
	First bool
}

// SignInIPStore remembers the addresses each agent signed in from, for
// new-IP alerts.
type SignInIPStore interface {
	// RecordSignInIP records a sign-in of v.AgentID from v.IPHash at v.At
	// (the address's last-seen time only grows) and reports whether the
	// address is new (see SignInIPVisit). The read of the previous
	// last-seen time and the write are one conditional write: of
	// concurrent calls for one new address exactly one reports New.
	// First is best effort under concurrency: two parallel first sign-ins
	// from different addresses may both report First false.
	RecordSignInIP(ctx context.Context, v SignInIP, staleAt time.Time) (SignInIPVisit, error)
}
