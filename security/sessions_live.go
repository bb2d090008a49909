package security

import (
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Live reports whether sess can still be used at now, as far as the
// session record tells: it is not revoked and, for an agent, its refresh
// token cannot have expired yet. Every rotation and every use (Refresh,
// ValidateHash) is recorded as activity at most one TouchInterval late,
// and each rotation's refresh token lives RefreshTTL (RememberMeTTL) from
// then, so a session idle longer than that plus the interval is over. A
// visitor session lives VisitorTTL from its start. For session lists
// ("your devices"); authentication never relies on it.
func (s *Sessions) Live(sess storage.Session, now time.Time) bool {
	if sess.Revoked() {
		return false
	}
	if sess.SubjectKind == storage.SubjectVisitor {
		return now.Before(sess.CreatedAt.Add(s.ttl.visitor))
	}
	last := sess.LastSeenAt
	if last.Before(sess.CreatedAt) {
		last = sess.CreatedAt
	}
	slack := defaultTouchInterval
	if s.active != nil {
		slack = s.active.interval
	}
	return now.Before(last.Add(s.refreshTTL(sess) + slack))
}
