package mongo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

type orgDoc struct {
	ID        string    `bson:"_id"`
	Name      string    `bson:"name"`
	CreatedAt time.Time `bson:"created_at,omitempty"`
}

type agentDoc struct {
	ID           string    `bson:"_id"`
	OrgID        string    `bson:"org_id"`
	Name         string    `bson:"name"`
	Email        string    `bson:"email"` // lower-cased; unique per org_id
	Role         string    `bson:"role"`
	PasswordHash string    `bson:"password_hash"`
	CreatedAt    time.Time `bson:"created_at,omitempty"`
	DeletedAt    time.Time `bson:"deleted_at,omitempty"`
	// DeactivatedAt is absent while the agent may sign in.
	DeactivatedAt time.Time `bson:"deactivated_at,omitempty"`
	Ins           int64     `bson:"ins"`
}

func (d agentDoc) org() string { return d.OrgID }

func (d agentDoc) agent() storage.Agent {
	return storage.Agent{ID: d.ID, OrgID: d.OrgID, Name: d.Name, Email: d.Email,
		Role: storage.Role(d.Role), PasswordHash: d.PasswordHash,
		CreatedAt: utc(d.CreatedAt), DeletedAt: utc(d.DeletedAt), DeactivatedAt: utc(d.DeactivatedAt)}
}

func newAgentDoc(a storage.Agent) (agentDoc, error) {
	if a.ID == "" || !a.Role.Valid() {
		return agentDoc{}, fmt.Errorf("need an id and a valid role, got %q, %q", a.ID, a.Role)
	}
	return agentDoc{ID: a.ID, OrgID: a.OrgID, Name: a.Name, Email: strings.ToLower(a.Email),
		Role: string(a.Role), PasswordHash: a.PasswordHash, CreatedAt: a.CreatedAt,
		DeletedAt: a.DeletedAt, DeactivatedAt: a.DeactivatedAt, Ins: nextIns()}, nil
}

// CreateOrgWithOwner stores org and its first agent, both or neither,
// without a transaction: the owner goes in first, then the organisation; if that fails the owner is
// deleted again. A crash between the two leaves an owner without an
// organisation, which can sign in to nothing. owner.OrgID may be empty (it
// is set to org.ID) but must not name another organisation. ErrConflict if
// either id is taken.
func (s *Store) CreateOrgWithOwner(ctx context.Context, org storage.Organization, owner storage.Agent) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if owner.OrgID == "" {
		owner.OrgID = org.ID
	}
	if org.ID == "" || owner.OrgID != org.ID {
		return fmt.Errorf("create org: owner must belong to the new org %q", org.ID)
	}
	doc, err := newAgentDoc(owner)
	if err != nil {
		return fmt.Errorf("create org %s: %w", org.ID, err)
	}
	if _, err := s.coll(collAgents).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create org %s: owner: %w", org.ID, translate(err))
	}
	_, err = s.coll(collOrgs).InsertOne(ctx, orgDoc{ID: org.ID, Name: org.Name, CreatedAt: org.CreatedAt})
	if err == nil {
		return nil
	}
	cctx, ccancel := s.cleanup(ctx)
	defer ccancel()
	_, undo := s.coll(collAgents).DeleteOne(cctx, bson.D{{Key: "_id", Value: owner.ID}})
	return fmt.Errorf("create org %s: %w", org.ID, errors.Join(translate(err), wrap(undo, "remove owner")))
}

// GetOrg returns the organisation with id.
func (s *Store) GetOrg(ctx context.Context, id string) (storage.Organization, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOne[orgDoc](ctx, s.coll(collOrgs), bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return storage.Organization{}, fmt.Errorf("get org %s: %w", id, err)
	}
	return storage.Organization{ID: d.ID, Name: d.Name, CreatedAt: utc(d.CreatedAt)}, nil
}

// CreateAgent stores a new agent with its email lower-cased. ErrConflict if
// the email is taken in the agent's organisation or the id is taken.
func (s *Store) CreateAgent(ctx context.Context, a storage.Agent) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	doc, err := newAgentDoc(a)
	if err != nil {
		return fmt.Errorf("create agent: %w", err)
	}
	if _, err := s.coll(collAgents).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create agent %s: %w", a.ID, translate(err))
	}
	return nil
}

// GetAgent returns agent id of organisation orgID, erased or not.
func (s *Store) GetAgent(ctx context.Context, orgID, id string) (storage.Agent, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOwned[agentDoc](ctx, s.coll(collAgents), orgID, id)
	if err != nil {
		return storage.Agent{}, fmt.Errorf("get agent %s: %w", id, err)
	}
	return d.agent(), nil
}

// ListAgentsByEmail returns the non-erased agents of every organisation
// with login email email (compared lower-cased), oldest first, at most
// storage.MaxAgentsByEmail.
func (s *Store) ListAgentsByEmail(ctx context.Context, email string) ([]storage.Agent, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "email", Value: strings.ToLower(email)}, {Key: "deleted_at", Value: nil}}
	list, err := findAll[agentDoc](ctx, s.coll(collAgents), filter,
		sorted(storage.MaxAgentsByEmail, asc("created_at"), asc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list agents by email: %w", err) // no PII in errors
	}
	return convert(list, agentDoc.agent), nil
}

// ListAgents returns the organisation's non-erased agents ordered by
// creation.
func (s *Store) ListAgents(ctx context.Context, orgID string) ([]storage.Agent, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "deleted_at", Value: nil}}
	list, err := findAll[agentDoc](ctx, s.coll(collAgents), filter, sorted(0, asc("created_at"), asc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list agents of %s: %w", orgID, err)
	}
	return convert(list, agentDoc.agent), nil
}

// SetAgentRole changes an agent's role. An erased agent is ErrNotFound.
func (s *Store) SetAgentRole(ctx context.Context, orgID, id string, role storage.Role) error {
	if !role.Valid() {
		return fmt.Errorf("set agent %s role: invalid role %q", id, role)
	}
	return wrap(s.setAgent(ctx, orgID, id, "role", string(role)), "set agent %s role", id)
}

// SetAgentPasswordHash replaces an agent's password hash. An erased agent
// is ErrNotFound: erasure is final.
func (s *Store) SetAgentPasswordHash(ctx context.Context, orgID, id, hash string) error {
	return wrap(s.setAgent(ctx, orgID, id, "password_hash", hash), "set agent %s password", id)
}

// setAgent sets one field of a non-erased agent of the organisation.
func (s *Store) setAgent(ctx context.Context, orgID, id, field, value string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}, {Key: "deleted_at", Value: nil}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: field, Value: value}}}}
	return updateOne(ctx, s.coll(collAgents), filter, update)
}
