package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// Audit list limits (ListAudit).
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

type auditDoc struct {
	ID        string    `bson:"_id"`
	OrgID     string    `bson:"org_id"`
	ActorKind string    `bson:"actor_kind"`
	ActorID   string    `bson:"actor_id"`
	Action    string    `bson:"action"`
	TargetID  string    `bson:"target_id"`
	IP        string    `bson:"ip"`
	UserAgent string    `bson:"user_agent"`
	Detail    string    `bson:"detail"`
	CreatedAt time.Time `bson:"created_at,omitempty"`
	Ins       int64     `bson:"ins"`
}

func (d auditDoc) event() storage.AuditEvent {
	return storage.AuditEvent{ID: d.ID, OrgID: d.OrgID, ActorKind: storage.SubjectKind(d.ActorKind),
		ActorID: d.ActorID, Action: d.Action, TargetID: d.TargetID, IP: d.IP, UserAgent: d.UserAgent,
		Detail: d.Detail, CreatedAt: utc(d.CreatedAt)}
}

// AppendAudit stores e. An empty ID is generated.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	if e.ID == "" {
		e.ID = storage.NewID("aud")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	doc := auditDoc{ID: e.ID, OrgID: e.OrgID, ActorKind: string(e.ActorKind), ActorID: e.ActorID,
		Action: e.Action, TargetID: e.TargetID, IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail,
		CreatedAt: e.CreatedAt, Ins: nextIns()}
	if _, err := s.coll(collAudit).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, translate(err))
	}
	return nil
}

// ListAudit returns the organisation's most recent events, newest first
// (events of the same millisecond in reverse insertion order). limit <= 0
// means 100; it is capped at 1000.
func (s *Store) ListAudit(ctx context.Context, orgID string, limit int) ([]storage.AuditEvent, error) {
	list, err := s.listAudit(ctx, bson.D{{Key: "org_id", Value: orgID}}, limit)
	return list, wrap(err, "list audit of %s", orgID)
}

// ListAuditForSubject returns the organisation's most recent events whose
// actor or target is subjectID, newest first. limit <= 0 means 100; it is
// capped at 1000.
func (s *Store) ListAuditForSubject(ctx context.Context, orgID, subjectID string, limit int) ([]storage.AuditEvent, error) {
	if subjectID == "" {
		return nil, fmt.Errorf("list audit for subject: empty subject id")
	}
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "actor_id", Value: subjectID}}, bson.D{{Key: "target_id", Value: subjectID}}}}}
	list, err := s.listAudit(ctx, filter, limit)
	return list, wrap(err, "list audit of %s for %s", orgID, subjectID)
}

func (s *Store) listAudit(ctx context.Context, filter bson.D, limit int) ([]storage.AuditEvent, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	n := clamp(limit, defaultAuditLimit, maxAuditLimit)
	list, err := findAll[auditDoc](ctx, s.coll(collAudit), filter, sorted(n, desc("created_at"), desc("ins")))
	return convert(list, auditDoc.event), err
}
