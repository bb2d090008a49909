package mongo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// collPasskeys holds agents' passkeys (storage.PasskeyStore), one document
// per passkey keyed by its id; the unique index credential_unique makes a
// credential id unique across organisations and serves the sign-in lookup.
const collPasskeys = "passkeys"

// passkeyDoc is a stored passkey. CredKey is the credential id in
// unpadded base64url (a string key every server indexes alike).
type passkeyDoc struct {
	ID             string    `bson:"_id"`
	OrgID          string    `bson:"org_id"`
	AgentID        string    `bson:"agent_id"`
	CredKey        string    `bson:"cred_key"`
	Name           string    `bson:"name"`
	PublicKey      []byte    `bson:"public_key"`
	SignCount      int64     `bson:"sign_count"`
	AAGUID         []byte    `bson:"aaguid,omitempty"`
	Transports     []string  `bson:"transports"`
	UserVerified   bool      `bson:"user_verified"`
	BackupEligible bool      `bson:"backup_eligible"`
	BackupState    bool      `bson:"backup_state"`
	CreatedAt      time.Time `bson:"created_at"`
	LastUsedAt     time.Time `bson:"last_used_at,omitempty"`
	Ins            int64     `bson:"ins"`
}

func credKey(credentialID []byte) string { return base64.RawURLEncoding.EncodeToString(credentialID) }

func newPasskeyDoc(p storage.Passkey) passkeyDoc {
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	return passkeyDoc{ID: p.ID, OrgID: p.OrgID, AgentID: p.AgentID, CredKey: credKey(p.CredentialID),
		Name: p.Name, PublicKey: p.PublicKey, SignCount: int64(p.SignCount), AAGUID: p.AAGUID,
		Transports: transports, UserVerified: p.UserVerified, BackupEligible: p.BackupEligible,
		BackupState: p.BackupState, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt, Ins: nextIns()}
}

func (d passkeyDoc) passkey() storage.Passkey {
	cred, _ := base64.RawURLEncoding.DecodeString(d.CredKey) // written by credKey
	transports := d.Transports
	if len(transports) == 0 {
		transports = nil
	}
	return storage.Passkey{ID: d.ID, OrgID: d.OrgID, AgentID: d.AgentID, CredentialID: cred,
		Name: d.Name, PublicKey: d.PublicKey, SignCount: uint32(d.SignCount), AAGUID: d.AAGUID,
		Transports: transports, UserVerified: d.UserVerified, BackupEligible: d.BackupEligible,
		BackupState: d.BackupState, CreatedAt: utc(d.CreatedAt), LastUsedAt: utc(d.LastUsedAt)}
}

// ownedPasskey is the filter of the agent's passkey id.
func ownedPasskey(orgID, agentID, id string) bson.D {
	return bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}, {Key: "agent_id", Value: agentID}}
}

// CreatePasskey inserts a new passkey; the _id and credential_unique
// indexes turn a taken id or credential id into ErrConflict.
func (s *Store) CreatePasskey(ctx context.Context, p storage.Passkey) error {
	if err := storage.CheckPasskey(p); err != nil {
		return fmt.Errorf("create passkey: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.coll(collPasskeys).InsertOne(ctx, newPasskeyDoc(p))
	return wrap(translate(err), "create passkey")
}

// GetPasskeyByCredential returns the passkey with credentialID (any
// organisation).
func (s *Store) GetPasskeyByCredential(ctx context.Context, credentialID []byte) (storage.Passkey, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "cred_key", Value: credKey(credentialID)}}
	d, err := findOne[passkeyDoc](ctx, s.coll(collPasskeys), filter)
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("get passkey by credential: %w", err)
	}
	return d.passkey(), nil
}

// ListPasskeys returns the agent's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, orgID, agentID string) ([]storage.Passkey, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "agent_id", Value: agentID}}
	list, err := findAll[passkeyDoc](ctx, s.coll(collPasskeys), filter,
		sorted(storage.MaxPasskeysPerAgent*2, asc("created_at"), asc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return convert(list, passkeyDoc.passkey), nil
}

// RenamePasskey renames the agent's passkey with one FindOneAndUpdate.
func (s *Store) RenamePasskey(ctx context.Context, orgID, agentID, id, name string) (storage.Passkey, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: name}}}}
	var d passkeyDoc
	err := translate(s.coll(collPasskeys).FindOneAndUpdate(ctx, ownedPasskey(orgID, agentID, id), update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d))
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("rename passkey: %w", err)
	}
	return d.passkey(), nil
}

// DeletePasskey removes the agent's passkey; ErrNotFound if none matched.
func (s *Store) DeletePasskey(ctx context.Context, orgID, agentID, id string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := s.coll(collPasskeys).DeleteOne(ctx, ownedPasskey(orgID, agentID, id))
	if err != nil {
		return fmt.Errorf("delete passkey: %w", translate(err))
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("delete passkey: %w", storage.ErrNotFound)
	}
	return nil
}

// DeleteAgentPasskeys removes every passkey of the agent with one
// DeleteMany.
func (s *Store) DeleteAgentPasskeys(ctx context.Context, orgID, agentID string) (int, error) {
	if agentID == "" {
		return 0, errors.New("delete agent passkeys: empty agent id")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	n, err := s.deleteAgentPasskeys(ctx, orgID, agentID)
	if err != nil {
		return 0, fmt.Errorf("delete agent passkeys: %w", err)
	}
	return n, nil
}

func (s *Store) deleteAgentPasskeys(ctx context.Context, orgID, agentID string) (int, error) {
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "agent_id", Value: agentID}}
	res, err := s.coll(collPasskeys).DeleteMany(ctx, filter)
	if err != nil {
		return 0, translate(err)
	}
	return int(res.DeletedCount), nil
}

// erasePasskeys deletes an erased agent's passkeys (an erasure step, safe
// to repeat; a visitor has none).
func (s *Store) erasePasskeys(ctx context.Context, e storage.Erasure) error {
	if e.Kind != storage.SubjectAgent {
		return nil
	}
	if _, err := s.deleteAgentPasskeys(ctx, e.OrgID, e.SubjectID); err != nil {
		return fmt.Errorf("delete passkeys: %w", err)
	}
	return nil
}

// RecordPasskeyUse advances the sign count with one UpdateOne whose filter
// is storage.SignCountAdvances (both zero, or stored below the new count).
// When it matches nothing, a read tells a missing passkey (ErrNotFound)
// from a counter that did not advance (ErrConflict). The update is atomic
// on MongoDB; FerretDB v1 runs it as read-then-write, so this Store also
// queues its own uses of one passkey on a lock stripe (see doc.go).
func (s *Store) RecordPasskeyUse(ctx context.Context, u storage.PasskeyUse) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockPasskey(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("record passkey use: %w", err)
	}
	defer unlock()
	n := int64(u.SignCount)
	advances := bson.E{Key: "sign_count", Value: bson.D{{Key: "$lt", Value: n}}}
	if n == 0 {
		advances = bson.E{Key: "sign_count", Value: int64(0)}
	}
	filter := bson.D{{Key: "_id", Value: u.ID}, {Key: "org_id", Value: u.OrgID}, advances}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "sign_count", Value: n},
		{Key: "last_used_at", Value: u.At}, {Key: "backup_state", Value: u.BackupState}}}}
	err = updateOne(ctx, s.coll(collPasskeys), filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		if _, err = findOwned[passkeyDoc](ctx, s.coll(collPasskeys), u.OrgID, u.ID); err == nil {
			err = fmt.Errorf("%w: sign count did not advance", storage.ErrConflict)
		}
	}
	return wrap(err, "record passkey use")
}

func (d passkeyDoc) org() string { return d.OrgID }

// lockPasskey takes this Store's lock stripe of one passkey (shared with
// the conversation locks: stripes only queue) or fails when ctx ends first.
func (s *Store) lockPasskey(ctx context.Context, id string) (unlock func(), err error) {
	return s.lockStripe(ctx, "passkey:"+id, "passkey")
}
