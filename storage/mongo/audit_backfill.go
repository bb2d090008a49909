package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// auditBackfillID is the store_meta document that marks the audit chain
// backfill done.
const auditBackfillID = "audit_chain"

// auditBackfillBatch events are read per round of the backfill.
const auditBackfillBatch = 500

// backfillAuditChain links the audit events stored before the hash chain
// existed (no seq) into their organisations' chains, oldest first, after
// whatever each chain holds by then, and marks the backfill done so later
// Opens read only the mark. Each event is linked by one update filtered on
// its having no seq; the unique link index arbitrates with appends and
// other nodes' backfills (a lost place is retried after the new head), so
// several nodes may run it together on MongoDB. On FerretDB v1, whose
// conditional updates are not atomic, start one node first on a database
// that has unchained events.
func (s *Store) backfillAuditChain(ctx context.Context) error {
	state, err := findOne[backfillDoc](ctx, s.coll(collMeta), bson.D{{Key: "_id", Value: auditBackfillID}})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("read audit chain backfill: %w", err)
	}
	if !state.DoneAt.IsZero() {
		return nil
	}
	filter := bson.D{{Key: "seq", Value: bson.D{{Key: "$exists", Value: false}}}}
	for {
		list, err := findAll[auditDoc](ctx, s.coll(collAudit), filter,
			sorted(auditBackfillBatch, asc("org_id"), asc("created_at"), asc("ins")))
		if err != nil {
			return fmt.Errorf("read unchained audit events: %w", err)
		}
		for _, d := range list {
			if err := s.chainLegacy(ctx, d.event()); err != nil {
				return fmt.Errorf("chain audit event %s: %w", d.ID, err)
			}
		}
		if len(list) < auditBackfillBatch {
			break
		}
	}
	done := bson.D{{Key: "$set", Value: bson.D{{Key: "done_at", Value: time.Now()}}}}
	return s.saveMeta(ctx, auditBackfillID, done)
}

// chainLegacy gives unchained event e the next place in its chain.
func (s *Store) chainLegacy(ctx context.Context, e storage.AuditEvent) error {
	for attempt := range maxAuditAttempts {
		head, err := s.auditHead(ctx, e.OrgID)
		if err != nil {
			return err
		}
		d := newAuditDoc(storage.ChainAudit(e, head))
		set := bson.D{{Key: "seq", Value: d.Seq}, {Key: "link", Value: d.Link}, {Key: "prev_hash", Value: d.PrevHash},
			{Key: "hash", Value: d.Hash}, {Key: "actor_digest", Value: d.ActorDigest}, {Key: "actor_salt", Value: d.ActorSalt},
			{Key: "target_digest", Value: d.TargetDigest}, {Key: "target_salt", Value: d.TargetSalt},
			{Key: "client_digest", Value: d.ClientDigest}, {Key: "client_salt", Value: d.ClientSalt}}
		filter := bson.D{{Key: "_id", Value: e.ID}, {Key: "seq", Value: bson.D{{Key: "$exists", Value: false}}}}
		_, err = s.coll(collAudit).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: set}})
		if !isDuplicate(err) {
			return translate(err) // nil also when another node linked it first
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
	return fmt.Errorf("no free place in the audit chain after %d attempts", maxAuditAttempts)
}
