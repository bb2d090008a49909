package mongo

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// collSignInIPs holds storage.SignInIPStore's addresses, one document per
// agent and address hash.
const collSignInIPs = "signin_ips"

// signInIPDoc is one address an agent signed in from. _id is
// org:agent:hex(ip_hash), so one address has one document however many
// nodes record it at once (the unique _id arbitrates).
type signInIPDoc struct {
	ID          string    `bson:"_id"`
	OrgID       string    `bson:"org_id"`
	AgentID     string    `bson:"agent_id"`
	IPHash      []byte    `bson:"ip_hash"`
	FirstSeenAt time.Time `bson:"first_seen_at"`
	LastSeenAt  time.Time `bson:"last_seen_at"`
}

// maxSignInIPTries bounds the compare-and-swap retries of RecordSignInIP
// (each retry means another sign-in of the same address won a round).
const maxSignInIPTries = 8

// RecordSignInIP reads the address's document and then inserts it (the
// unique _id refuses a second insert) or advances last_seen_at with a
// compare-and-swap on the value read, retrying when another call won: of
// concurrent calls for a new or stale address exactly one reports New on
// MongoDB. On FerretDB v1, whose updates read then write, that holds for
// a new address (the insert) and, for a stale one, among calls through
// one Store (they queue on a lock stripe).
func (s *Store) RecordSignInIP(ctx context.Context, v storage.SignInIP, staleAt time.Time) (storage.SignInIPVisit, error) {
	if v.OrgID == "" || v.AgentID == "" || len(v.IPHash) == 0 || v.At.IsZero() {
		return storage.SignInIPVisit{}, errors.New("record sign-in ip: need an organisation, agent, hash and time")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := v.OrgID + ":" + v.AgentID + ":" + hex.EncodeToString(v.IPHash)
	unlock, err := s.lockStripe(ctx, "signin:"+key, "sign-in ip lock")
	if err != nil {
		return storage.SignInIPVisit{}, err
	}
	defer unlock()
	for range maxSignInIPTries {
		visit, done, err := s.recordSignInIPOnce(ctx, key, v, staleAt)
		if err != nil {
			return storage.SignInIPVisit{}, wrap(err, "record sign-in ip of agent %s", v.AgentID)
		}
		if done {
			return visit, nil
		}
	}
	return storage.SignInIPVisit{}, fmt.Errorf("record sign-in ip of agent %s: %w: too much contention", v.AgentID, storage.ErrConflict)
}

// recordSignInIPOnce is one round: done is false when another writer
// changed the document between the read and the write.
func (s *Store) recordSignInIPOnce(ctx context.Context, key string, v storage.SignInIP, staleAt time.Time) (storage.SignInIPVisit, bool, error) {
	coll := s.coll(collSignInIPs)
	d, err := findOne[signInIPDoc](ctx, coll, byID(key))
	if errors.Is(err, storage.ErrNotFound) {
		doc := signInIPDoc{ID: key, OrgID: v.OrgID, AgentID: v.AgentID, IPHash: v.IPHash,
			FirstSeenAt: v.At, LastSeenAt: v.At}
		_, err = coll.InsertOne(ctx, doc)
		if err = translate(err); errors.Is(err, storage.ErrConflict) {
			return storage.SignInIPVisit{}, false, nil
		}
		if err != nil {
			return storage.SignInIPVisit{}, false, err
		}
		first, err := s.onlySignInIP(ctx, v)
		return storage.SignInIPVisit{New: true, First: first}, true, err
	}
	if err != nil {
		return storage.SignInIPVisit{}, false, err
	}
	last := utc(d.LastSeenAt)
	visit := storage.SignInIPVisit{New: !last.After(staleAt)}
	if !v.At.After(last) {
		return visit, true, nil // last_seen_at only grows
	}
	filter := bson.D{{Key: "_id", Value: key}, {Key: "last_seen_at", Value: d.LastSeenAt}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen_at", Value: v.At}}}}
	err = updateOne(ctx, coll, filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.SignInIPVisit{}, false, nil
	}
	return visit, err == nil, err
}

// onlySignInIP reports whether the agent has exactly one recorded address
// (the one just inserted).
func (s *Store) onlySignInIP(ctx context.Context, v storage.SignInIP) (bool, error) {
	filter := bson.D{{Key: "org_id", Value: v.OrgID}, {Key: "agent_id", Value: v.AgentID}}
	n, err := s.coll(collSignInIPs).CountDocuments(ctx, filter, options.Count().SetLimit(2))
	if err != nil {
		return false, translate(err)
	}
	return n == 1, nil
}

// forgetSignInIPs deletes an erased agent's sign-in addresses (erasure).
func (s *Store) forgetSignInIPs(ctx context.Context, e storage.Erasure) error {
	if e.Kind != storage.SubjectAgent {
		return nil
	}
	filter := bson.D{{Key: "org_id", Value: e.OrgID}, {Key: "agent_id", Value: e.SubjectID}}
	_, err := s.coll(collSignInIPs).DeleteMany(ctx, filter)
	return translate(err)
}
