package mongo

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// collAPIKeys holds secret API keys (storage.APIKeyStore), one document
// per key keyed by the hex of its secret hash: the per-request lookup
// (GetAPIKeyByHash) is an _id read, the one filter every server (FerretDB
// v1 too) answers from an index. The key's own id is key_id, unique with
// the organisation (org_key_unique), which serves the management reads;
// rotated_from is unique where set (rotated_from_unique, sparse), so of two
// rotations of one key only one successor can be inserted.
const collAPIKeys = "api_keys"

type apiKeyDoc struct {
	Hash        string    `bson:"_id"` // hex of SecretHash
	KeyID       string    `bson:"key_id"`
	OrgID       string    `bson:"org_id"`
	OwnerID     string    `bson:"owner_id"`
	Name        string    `bson:"name"`
	Prefix      string    `bson:"prefix"`
	Mode        string    `bson:"mode"`
	Scopes      []string  `bson:"scopes"`
	Secret      string    `bson:"secret"`
	RPM         int       `bson:"rpm"`
	CreatedAt   time.Time `bson:"created_at"`
	ExpiresAt   time.Time `bson:"expires_at,omitempty"`
	RevokedAt   time.Time `bson:"revoked_at,omitempty"`
	LastUsedAt  time.Time `bson:"last_used_at,omitempty"`
	LastUsedIP  string    `bson:"last_used_ip,omitempty"`
	RotatedFrom string    `bson:"rotated_from,omitempty"`
	ReplacedBy  string    `bson:"replaced_by,omitempty"`
	Ins         int64     `bson:"ins"`
}

func newAPIKeyDoc(k storage.APIKey) apiKeyDoc {
	return apiKeyDoc{Hash: hex.EncodeToString(k.SecretHash), KeyID: k.ID, OrgID: k.OrgID, OwnerID: k.OwnerID,
		Name: k.Name, Prefix: k.Prefix, Mode: k.Mode, Scopes: k.Scopes, Secret: k.Secret, RPM: k.RPM,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, LastUsedAt: k.LastUsedAt,
		LastUsedIP: k.LastUsedIP, RotatedFrom: k.RotatedFrom, ReplacedBy: k.ReplacedBy, Ins: nextIns()}
}

func (d apiKeyDoc) apiKey() storage.APIKey {
	h, _ := hex.DecodeString(d.Hash) // written by newAPIKeyDoc
	return storage.APIKey{ID: d.KeyID, OrgID: d.OrgID, OwnerID: d.OwnerID, Name: d.Name, Prefix: d.Prefix,
		Mode: d.Mode, Scopes: d.Scopes, SecretHash: h, Secret: d.Secret, RPM: d.RPM,
		CreatedAt: utc(d.CreatedAt), ExpiresAt: utc(d.ExpiresAt), RevokedAt: utc(d.RevokedAt),
		LastUsedAt: utc(d.LastUsedAt), LastUsedIP: d.LastUsedIP, RotatedFrom: d.RotatedFrom, ReplacedBy: d.ReplacedBy}
}

// ownedKey is the filter of the organisation's key id.
func ownedKey(orgID, id string) bson.D {
	return bson.D{{Key: "key_id", Value: id}, {Key: "org_id", Value: orgID}}
}

// CreateAPIKey inserts a new key; a taken hash (_id) or id
// (org_key_unique) is ErrConflict.
func (s *Store) CreateAPIKey(ctx context.Context, k storage.APIKey) error {
	if err := storage.CheckAPIKey(k); err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.coll(collAPIKeys).InsertOne(ctx, newAPIKeyDoc(k))
	return wrap(translate(err), "create api key")
}

// GetAPIKey returns key id of organisation orgID.
func (s *Store) GetAPIKey(ctx context.Context, orgID, id string) (storage.APIKey, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOne[apiKeyDoc](ctx, s.coll(collAPIKeys), ownedKey(orgID, id))
	if err != nil {
		return storage.APIKey{}, fmt.Errorf("get api key %s: %w", id, err)
	}
	return d.apiKey(), nil
}

// GetAPIKeyByHash returns the key with one of hashes (an _id read).
func (s *Store) GetAPIKeyByHash(ctx context.Context, hashes [][]byte) (storage.APIKey, error) {
	if err := storage.CheckAPIKeyHashes(hashes); err != nil {
		return storage.APIKey{}, err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: hex.EncodeToString(hashes[0])}}
	if len(hashes) > 1 {
		in := make(bson.A, len(hashes))
		for i, h := range hashes {
			in[i] = hex.EncodeToString(h)
		}
		filter = bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: in}}}}
	}
	d, err := findOne[apiKeyDoc](ctx, s.coll(collAPIKeys), filter)
	if err != nil {
		return storage.APIKey{}, fmt.Errorf("get api key by hash: %w", err)
	}
	return d.apiKey(), nil
}

// ListAPIKeys returns the organisation's keys, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string) ([]storage.APIKey, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}}
	list, err := findAll[apiKeyDoc](ctx, s.coll(collAPIKeys), filter, sorted(0, desc("created_at"), desc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list api keys of %s: %w", orgID, err)
	}
	return convert(list, apiKeyDoc.apiKey), nil
}

// RotateAPIKey rotates without a transaction: after reading the old key
// (ErrNotFound, or ErrConflict when revoked or replaced) it inserts next,
// whose rotated_from is unique (of racing rotations one insert wins, the
// others are ErrConflict), then marks the old key replaced in a conditional
// update (not revoked, not replaced). When that matches nothing (a
// revocation came first) next is deleted again and the answer is
// ErrConflict.
func (s *Store) RotateAPIKey(ctx context.Context, orgID, oldID string, next storage.APIKey, oldExpiresAt time.Time) error {
	if err := storage.CheckAPIKeyRotation(orgID, oldID, next, oldExpiresAt); err != nil {
		return err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	old, err := findOne[apiKeyDoc](ctx, s.coll(collAPIKeys), ownedKey(orgID, oldID))
	if err != nil {
		return fmt.Errorf("rotate api key %s: %w", oldID, err)
	}
	if !old.RevokedAt.IsZero() || old.ReplacedBy != "" {
		return fmt.Errorf("rotate api key %s: %w: already rotated or revoked", oldID, storage.ErrConflict)
	}
	nd := newAPIKeyDoc(next)
	if _, err := s.coll(collAPIKeys).InsertOne(ctx, nd); err != nil {
		return fmt.Errorf("rotate api key %s: %w", oldID, translate(err))
	}
	filter := bson.D{{Key: "_id", Value: old.Hash}, {Key: "revoked_at", Value: nil}, {Key: "replaced_by", Value: nil}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "replaced_by", Value: next.ID}, {Key: "expires_at", Value: oldExpiresAt}}}}
	err = updateOne(ctx, s.coll(collAPIKeys), filter, update)
	if err == nil {
		return nil
	}
	cctx, ccancel := s.cleanup(ctx)
	defer ccancel()
	_, derr := s.coll(collAPIKeys).DeleteOne(cctx, bson.D{{Key: "_id", Value: nd.Hash}})
	if errors.Is(err, storage.ErrNotFound) {
		err = fmt.Errorf("%w: key revoked while rotating", storage.ErrConflict)
	}
	return fmt.Errorf("rotate api key %s: %w", oldID, errors.Join(err, translate(derr)))
}

// RevokeAPIKey sets revoked_at once.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error {
	if at.IsZero() {
		return errors.New("revoke api key: zero time")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := append(ownedKey(orgID, id), bson.E{Key: "revoked_at", Value: nil})
	err := updateOne(ctx, s.coll(collAPIKeys), filter, bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: at}}}})
	if errors.Is(err, storage.ErrNotFound) {
		_, err = findOne[apiKeyDoc](ctx, s.coll(collAPIKeys), ownedKey(orgID, id)) // revoked already: nil
	}
	return wrap(err, "revoke api key %s", id)
}

// UpdateAPIKey replaces the key's name and rpm.
func (s *Store) UpdateAPIKey(ctx context.Context, orgID, id, name string, rpm int) error {
	if rpm <= 0 {
		return fmt.Errorf("update api key: rpm %d must be positive", rpm)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: name}, {Key: "rpm", Value: rpm}}}}
	return wrap(updateOne(ctx, s.coll(collAPIKeys), ownedKey(orgID, id), update), "update api key %s", id)
}

// TouchAPIKey records a use; last_used_at never goes back.
func (s *Store) TouchAPIKey(ctx context.Context, orgID, id string, at time.Time, ip string) error {
	if at.IsZero() {
		return errors.New("touch api key: zero time")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := append(ownedKey(orgID, id), bson.E{Key: "$or", Value: bson.A{
		bson.D{{Key: "last_used_at", Value: nil}},
		bson.D{{Key: "last_used_at", Value: bson.D{{Key: "$lte", Value: at}}}},
	}})
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "last_used_at", Value: at}, {Key: "last_used_ip", Value: ip}}}}
	err := updateOne(ctx, s.coll(collAPIKeys), filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		_, err = findOne[apiKeyDoc](ctx, s.coll(collAPIKeys), ownedKey(orgID, id)) // a later use is kept
	}
	return wrap(err, "touch api key %s", id)
}
