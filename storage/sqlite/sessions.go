package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

const sessionCols = `s.id, s.org_id, s.subject_kind, s.subject_id, s.remember_me, s.ip,
	s.user_agent, s.generation, s.created_at, s.last_seen_at, s.revoked_at`

// sessionDest returns scan destinations for sessionCols into s.
func sessionDest(s *storage.Session) []any {
	return []any{&s.ID, &s.OrgID, &s.SubjectKind, &s.SubjectID, &s.RememberMe, &s.IP,
		&s.UserAgent, &s.Generation, at(&s.CreatedAt), at(&s.LastSeenAt), at(&s.RevokedAt)}
}

func scanSession(sc scanner) (storage.Session, error) {
	var s storage.Session
	err := sc.Scan(sessionDest(&s)...)
	return s, translate(err)
}

// CreateSession writes the session, its access token, its refresh token
// (if any) and the password rehash (if any) in one transaction. Token
// SessionIDs may be empty (they take Session.ID) but must not name another
// session. ErrConflict if the session id or a token hash exists; ErrNotFound
// if the rehash names no agent of its organisation.
func (s *Store) CreateSession(ctx context.Context, st storage.SessionStart) error {
	if err := checkSessionStart(st); err != nil {
		return fmt.Errorf("create session %s: %w", st.Session.ID, err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := insertSession(ctx, tx, st.Session); err != nil {
			return err
		}
		if err := insertAccess(ctx, tx, st.Session.ID, st.Access); err != nil {
			return err
		}
		if st.Refresh != nil {
			if err := insertRefresh(ctx, tx, st.Session.ID, *st.Refresh); err != nil {
				return err
			}
		}
		return rehash(ctx, tx, st.RehashPassword)
	})
	if err != nil {
		return fmt.Errorf("create session %s: %w", st.Session.ID, err)
	}
	return nil
}

func checkSessionStart(st storage.SessionStart) error {
	id := st.Session.ID
	if id == "" {
		return fmt.Errorf("empty session id")
	}
	if st.Access.SessionID != "" && st.Access.SessionID != id {
		return fmt.Errorf("access token belongs to session %q", st.Access.SessionID)
	}
	if st.Refresh != nil && st.Refresh.SessionID != "" && st.Refresh.SessionID != id {
		return fmt.Errorf("refresh token belongs to session %q", st.Refresh.SessionID)
	}
	return nil
}

func insertSession(ctx context.Context, tx *sql.Tx, s storage.Session) error {
	const q = `INSERT INTO sessions (id, org_id, subject_kind, subject_id, remember_me, ip,
		user_agent, generation, created_at, last_seen_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := tx.ExecContext(ctx, q, s.ID, s.OrgID, string(s.SubjectKind), s.SubjectID,
		s.RememberMe, s.IP, s.UserAgent, s.Generation,
		ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.RevokedAt))
	return translate(err)
}

func insertAccess(ctx context.Context, tx *sql.Tx, sessionID string, a storage.AccessToken) error {
	if len(a.Hash) == 0 {
		return fmt.Errorf("empty access token hash")
	}
	const q = "INSERT INTO access_tokens (hash, session_id, expires_at) VALUES (?, ?, ?)"
	_, err := tx.ExecContext(ctx, q, a.Hash, sessionID, ms(a.ExpiresAt))
	return translate(err)
}

func insertRefresh(ctx context.Context, tx *sql.Tx, sessionID string, r storage.RefreshToken) error {
	if len(r.Hash) == 0 {
		return fmt.Errorf("empty refresh token hash")
	}
	const q = `INSERT INTO refresh_tokens (hash, session_id, generation, expires_at, rotated_at)
		VALUES (?, ?, ?, ?, ?)`
	_, err := tx.ExecContext(ctx, q, r.Hash, sessionID, r.Generation, ms(r.ExpiresAt), ms(r.RotatedAt))
	return translate(err)
}

func rehash(ctx context.Context, tx *sql.Tx, r *storage.PasswordRehash) error {
	if r == nil {
		return nil
	}
	const q = "UPDATE agents SET password_hash = ? WHERE id = ? AND org_id = ? AND deleted_at IS NULL"
	res, err := tx.ExecContext(ctx, q, r.NewHash, r.AgentID, r.OrgID)
	if err != nil {
		return translate(err)
	}
	if err := oneRow(res); err != nil {
		return fmt.Errorf("rehash agent %s: %w", r.AgentID, err)
	}
	return nil
}

// GetSession returns session id (any organisation).
func (s *Store) GetSession(ctx context.Context, id string) (storage.Session, error) {
	const q = "SELECT " + sessionCols + " FROM sessions s WHERE s.id = ?"
	sess, err := scanSession(s.r.QueryRowContext(ctx, q, id))
	if err != nil {
		return storage.Session{}, fmt.Errorf("get session %s: %w", id, err)
	}
	return sess, nil
}

// GetAccessGrant looks up an access token by hash joined with its session.
// Expired or revoked grants are returned as they are.
func (s *Store) GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error) {
	const q = "SELECT a.hash, a.expires_at, " + sessionCols + ` FROM access_tokens a
		JOIN sessions s ON s.id = a.session_id WHERE a.hash = ?`
	var g storage.AccessGrant
	dest := append([]any{&g.TokenHash, at(&g.ExpiresAt)}, sessionDest(&g.Session)...)
	if err := s.r.QueryRowContext(ctx, q, hash).Scan(dest...); err != nil {
		return storage.AccessGrant{}, fmt.Errorf("get access grant: %w", translate(err))
	}
	return g, nil
}

// GetRefreshToken looks up a refresh token by hash.
func (s *Store) GetRefreshToken(ctx context.Context, hash []byte) (storage.RefreshToken, error) {
	const q = `SELECT hash, session_id, generation, expires_at, rotated_at,
		COALESCE(successor, ''), successor_until FROM refresh_tokens WHERE hash = ?`
	var r storage.RefreshToken
	err := s.r.QueryRowContext(ctx, q, hash).Scan(&r.Hash, &r.SessionID, &r.Generation,
		at(&r.ExpiresAt), at(&r.RotatedAt), &r.SealedSuccessor, at(&r.SuccessorUntil))
	if err != nil {
		return storage.RefreshToken{}, fmt.Errorf("get refresh token: %w", translate(err))
	}
	return r, nil
}

// RevokeSession marks the session revoked at `at`, and removes the sealed
// successors of its refresh tokens, in one transaction; revoking a revoked
// session keeps the first time. at must not be zero.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("revoke session %s: zero time", id)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = "UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?"
		res, err := tx.ExecContext(ctx, q, ms(at), id)
		if err != nil {
			return translate(err)
		}
		if err := oneRow(res); err != nil {
			return err
		}
		const clear = `UPDATE refresh_tokens SET successor = NULL, successor_until = NULL
			WHERE session_id = ? AND successor IS NOT NULL`
		_, err = tx.ExecContext(ctx, clear, id)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("revoke session %s: %w", id, err)
	}
	return nil
}

// ListSessions returns a subject's sessions, revoked ones included, newest
// first.
func (s *Store) ListSessions(ctx context.Context, orgID string, kind storage.SubjectKind, subjectID string) ([]storage.Session, error) {
	const q = "SELECT " + sessionCols + ` FROM sessions s
		WHERE s.org_id = ? AND s.subject_kind = ? AND s.subject_id = ?
		ORDER BY s.created_at DESC, s.rowid DESC`
	list, err := queryList(ctx, s.r, scanSession, q, orgID, string(kind), subjectID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return list, nil
}

// TouchSession records activity at `at`; LastSeenAt never moves backwards.
// at must not be zero.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("touch session %s: zero time", id)
	}
	const q = "UPDATE sessions SET last_seen_at = MAX(COALESCE(last_seen_at, ?), ?) WHERE id = ?"
	if err := s.execOne(ctx, q, ms(at), ms(at), id); err != nil {
		return fmt.Errorf("touch session %s: %w", id, err)
	}
	return nil
}

// DeleteExpiredTokens removes access and refresh token hashes that expired
// strictly before `before` and returns how many were removed; sealed
// successors whose grace ended strictly before `before` are removed too
// (uncounted). Sessions are kept (they are the record of sign-ins).
func (s *Store) DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error) {
	var total int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			"DELETE FROM access_tokens WHERE expires_at < ?",
			"DELETE FROM refresh_tokens WHERE expires_at < ?",
		} {
			res, err := tx.ExecContext(ctx, q, before.UnixMilli())
			if err != nil {
				return translate(err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		const clear = `UPDATE refresh_tokens SET successor = NULL, successor_until = NULL
			WHERE successor_until < ?`
		_, err := tx.ExecContext(ctx, clear, before.UnixMilli())
		return translate(err)
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired tokens: %w", err)
	}
	return int(total), nil
}
