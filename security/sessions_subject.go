package security

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// RevokeSubject revokes every live session of one subject in orgID except
// the session with id except ("" spares none): a password reset or change,
// "sign out all other sessions", or offboarding. Each revocation goes
// through Revoke, so cached tokens are evicted and sockets are closed on
// every node. It returns how many sessions it revoked; on an error the
// sessions revoked so far stay revoked and calling it again finishes the
// job.
func (s *Sessions) RevokeSubject(ctx context.Context, orgID string, kind storage.SubjectKind, subjectID, except string) (int, error) {
	list, err := s.store.ListSessions(ctx, orgID, kind, subjectID)
	if err != nil {
		return 0, unavailable("list sessions", err)
	}
	n := 0
	for _, sess := range list {
		if sess.Revoked() || sess.ID == except {
			continue
		}
		if err := s.Revoke(ctx, sess.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
