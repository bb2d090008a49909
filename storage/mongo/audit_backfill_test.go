package mongo

import (
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/internal/testsvc"

	"github.com/helpr-chat/helpr/storage"
)

// insertLegacyAudit inserts an audit event the way versions before the
// hash chain did: no seq, link, hashes or outcome.
func insertLegacyAudit(t *testing.T, s *Store, id, orgID string, ms int64) {
	t.Helper()
	doc := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}, {Key: "actor_kind", Value: "agent"},
		{Key: "actor_id", Value: "agt_1"}, {Key: "action", Value: "auth.login"}, {Key: "target_id", Value: "ses_1"},
		{Key: "ip", Value: "203.0.113.7"}, {Key: "user_agent", Value: "UA"}, {Key: "detail", Value: ""},
		{Key: "created_at", Value: time.UnixMilli(ms).UTC()}, {Key: "ins", Value: nextIns()}}
	if _, err := s.coll(collAudit).InsertOne(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
}

// TestAuditBackfillChainsOldEvents: events stored before the chain are
// linked, oldest first, by the next Open, and verify; appends go on from
// there.
func TestAuditBackfillChainsOldEvents(t *testing.T) {
	s, db := openFresh(t)
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	insertLegacyAudit(t, s, "aud_a2", "org_a", 2000)
	insertLegacyAudit(t, s, "aud_a1", "org_a", 1000)
	insertLegacyAudit(t, s, "aud_b1", "org_b", 1500)
	_, err := s.coll(collMeta).DeleteOne(t.Context(), bson.D{{Key: "_id", Value: auditBackfillID}})
	ok(err)
	v, err := storage.VerifyAuditChains(t.Context(), s)
	ok(err)
	if v.Break == nil || !strings.Contains(v.Break.Reason, "no sequence number") {
		t.Fatalf("unchained events before the backfill: %+v", v)
	}
	ok(s.Close())

	s = openOn(t, testsvc.MongoURI(t), db)
	defer s.Close()
	v, err = storage.VerifyAuditChains(t.Context(), s)
	ok(err)
	if v.Break != nil || v.Events != 3 || v.Orgs != 2 {
		t.Fatalf("after the backfill: %+v", v)
	}
	chain, err := s.AuditChain(t.Context(), "org_a", 0, 0)
	ok(err)
	if len(chain) != 2 || chain[0].ID != "aud_a1" || chain[1].ID != "aud_a2" {
		t.Errorf("org_a chain: %v", chain)
	}
	ok(s.AppendAudit(t.Context(), storage.AuditEvent{OrgID: "org_a", Action: "auth.logout"}))
	if n, brk, err := storage.VerifyAuditChain(t.Context(), s, "org_a"); err != nil || brk != nil || n != 3 {
		t.Errorf("append after the backfill: %d, %v, %v", n, brk, err)
	}
}
