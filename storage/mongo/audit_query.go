package mongo

import (
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// QueryAudit returns the organisation's chained events matching q, newest
// first. q.Limit <= 0 means 100; it is capped at MaxAuditQueryLimit.
func (s *Store) QueryAudit(ctx context.Context, orgID string, q storage.AuditQuery) ([]storage.AuditEvent, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	seq := bson.D{{Key: "$gt", Value: 0}}
	if q.BeforeSeq > 0 {
		seq = append(seq, bson.E{Key: "$lt", Value: q.BeforeSeq})
	}
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "seq", Value: seq}}
	if q.Action != "" {
		filter = append(filter, bson.E{Key: "action", Value: q.Action})
	}
	if q.ActorID != "" {
		filter = append(filter, bson.E{Key: "actor_id", Value: q.ActorID})
	}
	if !q.Since.IsZero() {
		filter = append(filter, bson.E{Key: "created_at", Value: bson.D{{Key: "$gte", Value: q.Since}}})
	}
	n := clamp(q.Limit, defaultAuditLimit, storage.MaxAuditQueryLimit)
	list, err := findAll[auditDoc](ctx, s.coll(collAudit), filter, sorted(n, desc("seq")))
	return convert(list, auditDoc.event), wrap(err, "query audit of %s", orgID)
}

// AuditOrgs returns the organisations that have audit events, ascending.
func (s *Store) AuditOrgs(ctx context.Context) ([]string, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	// An aggregation, not distinct: FerretDB v1's distinct answer does not
	// decode with driver v2.
	pipeline := bson.A{bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$org_id"}}}}}
	cur, err := s.coll(collAudit).Aggregate(ctx, pipeline)
	if err != nil {
		return nil, wrap(translate(err), "list audit organisations")
	}
	var groups []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &groups); err != nil {
		return nil, wrap(translate(err), "list audit organisations")
	}
	orgs := make([]string, len(groups))
	for i, g := range groups {
		orgs[i] = g.ID
	}
	slices.Sort(orgs)
	return orgs, nil
}

// AuditChain returns up to limit events of the organisation after
// afterSeq in chain order (afterSeq < 0: unchained events first).
func (s *Store) AuditChain(ctx context.Context, orgID string, afterSeq int64, limit int) ([]storage.AuditEvent, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}}
	if afterSeq >= 0 {
		filter = append(filter, bson.E{Key: "seq", Value: bson.D{{Key: "$gt", Value: afterSeq}}})
	}
	n := clamp(limit, defaultAuditLimit, maxAuditLimit)
	list, err := findAll[auditDoc](ctx, s.coll(collAudit), filter, sorted(n, asc("seq"), asc("ins")))
	return convert(list, auditDoc.event), wrap(err, "read audit chain of %s", orgID)
}
