package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// CreateOrgWithOwner stores org and its first agent in one transaction.
// owner.OrgID may be empty (it is set to org.ID) but must not name another
// organisation. ErrConflict if either id is taken.
func (s *Store) CreateOrgWithOwner(ctx context.Context, org storage.Organization, owner storage.Agent) error {
	if owner.OrgID == "" {
		owner.OrgID = org.ID
	}
	if org.ID == "" || owner.OrgID != org.ID {
		return fmt.Errorf("create org: owner must belong to the new org %q", org.ID)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)"
		if _, err := tx.ExecContext(ctx, q, org.ID, org.Name, ms(org.CreatedAt)); err != nil {
			return translate(err)
		}
		return insertAgent(ctx, tx, owner)
	})
	if err != nil {
		return fmt.Errorf("create org %s: %w", org.ID, err)
	}
	return nil
}

// GetOrg returns the organisation with id.
func (s *Store) GetOrg(ctx context.Context, id string) (storage.Organization, error) {
	const q = "SELECT id, name, created_at FROM organizations WHERE id = ?"
	var o storage.Organization
	err := s.r.QueryRowContext(ctx, q, id).Scan(&o.ID, &o.Name, at(&o.CreatedAt))
	if err != nil {
		return storage.Organization{}, fmt.Errorf("get org %s: %w", id, translate(err))
	}
	return o, nil
}

const agentCols = "id, org_id, name, email, role, password_hash, created_at, deleted_at, deactivated_at"

func scanAgent(sc scanner) (storage.Agent, error) {
	var a storage.Agent
	err := sc.Scan(&a.ID, &a.OrgID, &a.Name, &a.Email, &a.Role, &a.PasswordHash, at(&a.CreatedAt),
		at(&a.DeletedAt), at(&a.DeactivatedAt))
	return a, translate(err)
}

func insertAgent(ctx context.Context, db execer, a storage.Agent) error {
	if a.ID == "" || !a.Role.Valid() {
		return fmt.Errorf("insert agent: need an id and a valid role, got %q, %q", a.ID, a.Role)
	}
	const q = "INSERT INTO agents (" + agentCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err := db.ExecContext(ctx, q, a.ID, a.OrgID, a.Name, strings.ToLower(a.Email),
		string(a.Role), a.PasswordHash, ms(a.CreatedAt), ms(a.DeletedAt), ms(a.DeactivatedAt))
	return translate(err)
}

// CreateAgent stores a new agent with its email lower-cased. ErrConflict if
// the email is taken in the agent's organisation or the id is taken.
func (s *Store) CreateAgent(ctx context.Context, a storage.Agent) error {
	if err := insertAgent(ctx, s.w, a); err != nil {
		return fmt.Errorf("create agent %s: %w", a.ID, err)
	}
	return nil
}

// GetAgent returns agent id of organisation orgID, erased or not (an erased
// agent has DeletedAt set, so ids in conversations and audit still resolve).
func (s *Store) GetAgent(ctx context.Context, orgID, id string) (storage.Agent, error) {
	const q = "SELECT " + agentCols + " FROM agents WHERE id = ? AND org_id = ?"
	a, err := scanAgent(s.r.QueryRowContext(ctx, q, id, orgID))
	if err != nil {
		return storage.Agent{}, fmt.Errorf("get agent %s: %w", id, err)
	}
	return a, nil
}

// ListAgentsByEmail returns the non-erased agents of every organisation
// with login email email (compared lower-cased), oldest first, at most
// storage.MaxAgentsByEmail.
func (s *Store) ListAgentsByEmail(ctx context.Context, email string) ([]storage.Agent, error) {
	const q = "SELECT " + agentCols + ` FROM agents WHERE email = ? AND deleted_at IS NULL
		ORDER BY created_at, rowid LIMIT ?`
	list, err := queryList(ctx, s.r, scanAgent, q, strings.ToLower(email), storage.MaxAgentsByEmail)
	if err != nil {
		return nil, fmt.Errorf("list agents by email: %w", err) // no PII in errors
	}
	return list, nil
}

// ListAgents returns the organisation's agents ordered by creation. Erased
// agents are left out: the list is the team (role checks such as "another
// owner exists" and assignment rely on it); GetAgent still resolves them.
func (s *Store) ListAgents(ctx context.Context, orgID string) ([]storage.Agent, error) {
	const q = "SELECT " + agentCols + ` FROM agents WHERE org_id = ? AND deleted_at IS NULL
		ORDER BY created_at, rowid`
	list, err := queryList(ctx, s.r, scanAgent, q, orgID)
	if err != nil {
		return nil, fmt.Errorf("list agents of %s: %w", orgID, err)
	}
	return list, nil
}

// SetAgentRole changes an agent's role. An erased agent is ErrNotFound.
func (s *Store) SetAgentRole(ctx context.Context, orgID, id string, role storage.Role) error {
	if !role.Valid() {
		return fmt.Errorf("set agent %s role: invalid role %q", id, role)
	}
	const q = "UPDATE agents SET role = ? WHERE id = ? AND org_id = ? AND deleted_at IS NULL"
	if err := s.execOne(ctx, q, string(role), id, orgID); err != nil {
		return fmt.Errorf("set agent %s role: %w", id, err)
	}
	return nil
}

// SetAgentPasswordHash replaces an agent's password hash. An erased agent
// is ErrNotFound: erasure is final, login stays impossible.
func (s *Store) SetAgentPasswordHash(ctx context.Context, orgID, id, hash string) error {
	const q = "UPDATE agents SET password_hash = ? WHERE id = ? AND org_id = ? AND deleted_at IS NULL"
	if err := s.execOne(ctx, q, hash, id, orgID); err != nil {
		return fmt.Errorf("set agent %s password: %w", id, err)
	}
	return nil
}
