package mongo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// Audit list limits (ListAudit, AuditChain).
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
	// maxAuditAttempts bounds the retries of an append that keeps losing
	// its link to appends of other nodes.
	maxAuditAttempts = 64
)

// auditDoc is an audit event. Link is "<org_id>/<seq>", unique (a sparse
// index: documents written before the chain have none until the backfill
// links them), so two appends can never both take one place in a chain.
type auditDoc struct {
	ID           string    `bson:"_id"`
	OrgID        string    `bson:"org_id"`
	ActorKind    string    `bson:"actor_kind"`
	ActorID      string    `bson:"actor_id"`
	Action       string    `bson:"action"`
	TargetID     string    `bson:"target_id"`
	IP           string    `bson:"ip"`
	UserAgent    string    `bson:"user_agent"`
	Detail       string    `bson:"detail"`
	Outcome      string    `bson:"outcome"`
	CreatedAt    time.Time `bson:"created_at,omitempty"`
	Ins          int64     `bson:"ins"`
	Seq          int64     `bson:"seq,omitempty"`
	Link         string    `bson:"link,omitempty"`
	PrevHash     string    `bson:"prev_hash"`
	Hash         string    `bson:"hash"`
	ActorDigest  string    `bson:"actor_digest"`
	ActorSalt    string    `bson:"actor_salt"`
	TargetDigest string    `bson:"target_digest"`
	TargetSalt   string    `bson:"target_salt"`
	ClientDigest string    `bson:"client_digest"`
	ClientSalt   string    `bson:"client_salt"`
}

func (d auditDoc) event() storage.AuditEvent {
	return storage.AuditEvent{ID: d.ID, OrgID: d.OrgID, ActorKind: storage.SubjectKind(d.ActorKind),
		ActorID: d.ActorID, Action: d.Action, TargetID: d.TargetID, IP: d.IP, UserAgent: d.UserAgent,
		Detail: d.Detail, Outcome: d.Outcome, CreatedAt: utc(d.CreatedAt),
		Seq: d.Seq, PrevHash: d.PrevHash, Hash: d.Hash, Commits: storage.AuditCommitments{
			Actor:  storage.AuditCommitment{Digest: d.ActorDigest, Salt: d.ActorSalt},
			Target: storage.AuditCommitment{Digest: d.TargetDigest, Salt: d.TargetSalt},
			Client: storage.AuditCommitment{Digest: d.ClientDigest, Salt: d.ClientSalt}}}
}

func newAuditDoc(e storage.AuditEvent) auditDoc {
	c := e.Commits
	return auditDoc{ID: e.ID, OrgID: e.OrgID, ActorKind: string(e.ActorKind), ActorID: e.ActorID,
		Action: e.Action, TargetID: e.TargetID, IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail,
		Outcome: e.Outcome, CreatedAt: e.CreatedAt, Ins: nextIns(), Seq: e.Seq, Link: auditLink(e.OrgID, e.Seq),
		PrevHash: e.PrevHash, Hash: e.Hash, ActorDigest: c.Actor.Digest, ActorSalt: c.Actor.Salt,
		TargetDigest: c.Target.Digest, TargetSalt: c.Target.Salt, ClientDigest: c.Client.Digest, ClientSalt: c.Client.Salt}
}

// auditLink is the unique key of a place in a chain. The seq follows the
// last "/", so no two (org, seq) pairs share a link.
func auditLink(orgID string, seq int64) string { return orgID + "/" + strconv.FormatInt(seq, 10) }

// AppendAudit stores e as the next link of its organisation's chain: it
// reads the head and inserts the link after it; the unique link index
// refuses a place another append took first, and the append then reads
// the new head and tries again (after a short random pause). Appends
// through one Store to one organisation queue on a lock, so only other
// nodes' appends race. An empty ID is generated.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	if e.ID == "" {
		e.ID = storage.NewID("aud")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockConversation(ctx, "audit/"+e.OrgID)
	if err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	defer unlock()
	return wrap(s.insertLink(ctx, e), "append audit %s", e.Action)
}

func (s *Store) insertLink(ctx context.Context, e storage.AuditEvent) error {
	for attempt := range maxAuditAttempts {
		head, err := s.auditHead(ctx, e.OrgID)
		if err != nil {
			return err
		}
		l := storage.ChainAudit(e, head)
		_, err = s.coll(collAudit).InsertOne(ctx, newAuditDoc(l))
		if err == nil || !isDuplicate(err) {
			return translate(err)
		}
		now, err := s.auditHead(ctx, e.OrgID)
		if err != nil {
			return err
		}
		if now.Seq < l.Seq { // the place was free: the id is taken
			return fmt.Errorf("%w: audit event id %s is taken", storage.ErrConflict, e.ID)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
	return fmt.Errorf("no free place in the audit chain after %d attempts", maxAuditAttempts)
}

// auditHead reads the newest link of the organisation's chain.
func (s *Store) auditHead(ctx context.Context, orgID string) (storage.AuditHead, error) {
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "seq", Value: bson.D{{Key: "$gt", Value: 0}}}}
	list, err := findAll[auditDoc](ctx, s.coll(collAudit), filter, sorted(1, desc("seq")))
	if err != nil || len(list) == 0 {
		return storage.AuditHead{}, err
	}
	return storage.AuditHead{Seq: list[0].Seq, Hash: list[0].Hash}, nil
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
