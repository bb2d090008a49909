package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// EraseSubject anonymises e.SubjectID of e.OrgID in one transaction: the
// record's PII is cleared and DeletedAt set (a visitor loses name, email,
// phone and email index; an agent loses name and password hash and its
// email becomes the lower-cased pseudonym), its unrevoked sessions are
// revoked at e.At, an agent's passkeys are deleted, and the organisation's audit events naming it as actor
// or target name e.Pseudonym instead. Conversations (previews included)
// and messages stay, and so do an erased agent's read marks (agent_reads):
// they hold only the agent id, which its messages keep too.
//
// Erasing an erased subject keeps its record as the first erasure left it
// and returns nil; the session and audit steps run again, changing nothing
// unless something named the subject since. ErrNotFound if the subject is
// not in the organisation; ErrConflict if an agent's pseudonym is another
// agent's email.
func (s *Store) EraseSubject(ctx context.Context, e storage.Erasure) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("erase %s %s: %w", e.Kind, e.SubjectID, err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := eraseRecord(ctx, tx, e); err != nil {
			return err
		}
		if err := revokeSubject(ctx, tx, e); err != nil {
			return err
		}
		if err := forgetSignInIPs(ctx, tx, e); err != nil {
			return err
		}
		if err := eraseMFA(ctx, tx, e); err != nil {
			return err
		}
		if err := erasePasskeys(ctx, tx, e); err != nil {
			return err
		}
		if err := eraseCustomerUser(ctx, tx, e); err != nil {
			return err
		}
		return pseudonymiseAudit(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("erase %s %s: %w", e.Kind, e.SubjectID, err)
	}
	return nil
}

// eraseRecord clears the subject's row unless it is already erased.
func eraseRecord(ctx context.Context, tx *sql.Tx, e storage.Erasure) error {
	table := "visitors"
	q := `UPDATE visitors SET name = '', email = '', phone = '', email_index = NULL, deleted_at = ?
		WHERE id = ? AND org_id = ? AND deleted_at IS NULL`
	args := []any{ms(e.At), e.SubjectID, e.OrgID}
	if e.Kind == storage.SubjectAgent {
		table = "agents"
		q = `UPDATE agents SET name = '', password_hash = '', email = ?, deleted_at = ?
			WHERE id = ? AND org_id = ? AND deleted_at IS NULL`
		args = append([]any{strings.ToLower(e.Pseudonym)}, args...)
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return translate(err)
	}
	if oneRow(res) == nil {
		return nil
	}
	// Nothing updated: already erased, or not in the organisation.
	var one int
	exists := "SELECT 1 FROM " + table + " WHERE id = ? AND org_id = ?"
	return translate(tx.QueryRowContext(ctx, exists, e.SubjectID, e.OrgID).Scan(&one))
}

// revokeSubject revokes every unrevoked session of the subject at e.At and
// clears the IP address and user agent of all of its sessions.
func revokeSubject(ctx context.Context, tx *sql.Tx, e storage.Erasure) error {
	const revoke = `UPDATE sessions SET revoked_at = ?
		WHERE org_id = ? AND subject_kind = ? AND subject_id = ? AND revoked_at IS NULL`
	if _, err := tx.ExecContext(ctx, revoke, ms(e.At), e.OrgID, string(e.Kind), e.SubjectID); err != nil {
		return translate(err)
	}
	const clear = `UPDATE sessions SET ip = '', user_agent = ''
		WHERE org_id = ? AND subject_kind = ? AND subject_id = ?`
	_, err := tx.ExecContext(ctx, clear, e.OrgID, string(e.Kind), e.SubjectID)
	return translate(err)
}

// pseudonymiseAudit replaces the subject's id by the pseudonym in the
// organisation's audit events, and clears the IP address and user agent of
// the events the subject performed (those of events performed on it belong
// to whoever acted). Each replaced field loses the salt of its commitment
// (storage.AuditCommitments), so no hash changes and the chain still
// verifies.
func pseudonymiseAudit(ctx context.Context, tx *sql.Tx, e storage.Erasure) error {
	for _, q := range []string{
		`UPDATE audit_events SET actor_id = ?, actor_salt = '', ip = '', user_agent = '', client_salt = ''
			WHERE org_id = ? AND actor_id = ?`,
		"UPDATE audit_events SET target_id = ?, target_salt = '' WHERE org_id = ? AND target_id = ?",
	} {
		if _, err := tx.ExecContext(ctx, q, e.Pseudonym, e.OrgID, e.SubjectID); err != nil {
			return translate(err)
		}
	}
	return nil
}
