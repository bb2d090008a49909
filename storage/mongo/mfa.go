package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

var _ storage.MFAStore = (*Store)(nil)

// Collections of storage.MFAStore: one mfa document per agent (_id
// org_id/agent_id) and one document per backup code (_id its random id).
const (
	collMFA         = "mfa"
	collBackupCodes = "mfa_backup_codes"
)

// mfaDoc is an agent's second-factor record. Secrets arrive sealed.
type mfaDoc struct {
	ID            string    `bson:"_id"`
	OrgID         string    `bson:"org_id"`
	AgentID       string    `bson:"agent_id"`
	PendingID     string    `bson:"pending_id,omitempty"`
	PendingSecret string    `bson:"pending_secret,omitempty"`
	PendingAt     time.Time `bson:"pending_at,omitempty"`
	Secret        string    `bson:"secret,omitempty"`
	EnabledAt     time.Time `bson:"enabled_at,omitempty"`
	LastStep      int64     `bson:"last_step"`
	Failures      int       `bson:"failures"`
	NextAttemptAt time.Time `bson:"next_attempt_at,omitempty"`
}

func (d mfaDoc) state() storage.MFAState {
	return storage.MFAState{OrgID: d.OrgID, AgentID: d.AgentID, PendingID: d.PendingID,
		PendingSecret: d.PendingSecret, PendingAt: utc(d.PendingAt), Secret: d.Secret,
		EnabledAt: utc(d.EnabledAt), LastStep: d.LastStep, Failures: d.Failures,
		NextAttemptAt: utc(d.NextAttemptAt)}
}

// backupCodeDoc is one backup code (a keyed hash).
type backupCodeDoc struct {
	ID        string    `bson:"_id"`
	OrgID     string    `bson:"org_id"`
	AgentID   string    `bson:"agent_id"`
	Hash      []byte    `bson:"code_hash"`
	CreatedAt time.Time `bson:"created_at,omitempty"`
	UsedAt    time.Time `bson:"used_at,omitempty"`
	Ins       int64     `bson:"ins"`
}

func (d backupCodeDoc) code() storage.BackupCode {
	return storage.BackupCode{ID: d.ID, Hash: d.Hash, CreatedAt: utc(d.CreatedAt)}
}

func mfaKey(orgID, agentID string) string { return orgID + "/" + agentID }

// lockMFA takes this Store's lock stripe of an agent's second factors, so
// its conditional updates never interleave on FerretDB v1 (see doc.go).
func (s *Store) lockMFA(ctx context.Context, orgID, agentID string) (unlock func(), err error) {
	return s.lockStripe(ctx, "mfa:"+mfaKey(orgID, agentID), "mfa record")
}

// GetMFA returns the agent's record.
func (s *Store) GetMFA(ctx context.Context, orgID, agentID string) (storage.MFAState, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOne[mfaDoc](ctx, s.coll(collMFA), byID(mfaKey(orgID, agentID)))
	if err != nil {
		return storage.MFAState{}, fmt.Errorf("get mfa: %w", err)
	}
	return d.state(), nil
}

// mfaChange runs one conditional update of the agent's record under its
// lock; when nothing matched, a read tells ErrNotFound from ErrConflict.
func (s *Store) mfaChange(ctx context.Context, orgID, agentID string, cond, update bson.D) error {
	unlock, err := s.lockMFA(ctx, orgID, agentID)
	if err != nil {
		return err
	}
	defer unlock()
	return s.mfaChangeLocked(ctx, orgID, agentID, cond, update)
}

func (s *Store) mfaChangeLocked(ctx context.Context, orgID, agentID string, cond, update bson.D) error {
	key := mfaKey(orgID, agentID)
	err := updateOne(ctx, s.coll(collMFA), append(bson.D{{Key: "_id", Value: key}}, cond...), update)
	if errors.Is(err, storage.ErrNotFound) {
		if _, err = findOne[mfaDoc](ctx, s.coll(collMFA), byID(key)); err == nil {
			err = fmt.Errorf("%w: refused by the record's state", storage.ErrConflict)
		}
	}
	return err
}

// BeginTOTP stores the pending enrolment unless TOTP is enabled: an insert
// for a new record, else an update filtered on enabled_at absent.
func (s *Store) BeginTOTP(ctx context.Context, p storage.PendingTOTP) error {
	if p.OrgID == "" || p.AgentID == "" || p.ID == "" || p.Secret == "" {
		return errors.New("begin totp: empty org, agent, id or secret")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockMFA(ctx, p.OrgID, p.AgentID)
	if err != nil {
		return err
	}
	defer unlock()
	d := mfaDoc{ID: mfaKey(p.OrgID, p.AgentID), OrgID: p.OrgID, AgentID: p.AgentID, PendingID: p.ID,
		PendingSecret: p.Secret, PendingAt: p.CreatedAt}
	_, err = s.coll(collMFA).InsertOne(ctx, d)
	if err == nil || !isDuplicate(err) {
		return wrap(translate(err), "begin totp")
	}
	set := bson.D{{Key: "pending_id", Value: p.ID}, {Key: "pending_secret", Value: p.Secret}}
	if !p.CreatedAt.IsZero() {
		set = append(set, bson.E{Key: "pending_at", Value: p.CreatedAt})
	}
	cond := bson.D{{Key: "enabled_at", Value: nil}}
	return wrap(s.mfaChangeLocked(ctx, p.OrgID, p.AgentID, cond, bson.D{{Key: "$set", Value: set}}), "begin totp")
}

// EnableTOTP stores the backup codes, then enables the pending secret with
// one conditional update (removing the codes again if it is refused).
func (s *Store) EnableTOTP(ctx context.Context, orgID, agentID, pendingID string, step int64, codes []storage.BackupCode, at time.Time) error {
	if pendingID == "" {
		return errors.New("enable totp: empty pending id")
	}
	if err := checkBackupCodes(codes); err != nil {
		return fmt.Errorf("enable totp: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockMFA(ctx, orgID, agentID)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := findOne[mfaDoc](ctx, s.coll(collMFA), byID(mfaKey(orgID, agentID)))
	if err != nil {
		return fmt.Errorf("enable totp: %w", err)
	}
	if !st.EnabledAt.IsZero() || st.PendingID != pendingID {
		return fmt.Errorf("enable totp: %w: not the pending enrolment", storage.ErrConflict)
	}
	if err := s.replaceCodes(ctx, orgID, agentID, codes); err != nil {
		return fmt.Errorf("enable totp: %w", err)
	}
	cond := bson.D{{Key: "enabled_at", Value: nil}, {Key: "pending_id", Value: pendingID}}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "secret", Value: st.PendingSecret}, {Key: "enabled_at", Value: at},
			{Key: "last_step", Value: step}}},
		{Key: "$unset", Value: bson.D{{Key: "pending_id", Value: ""}, {Key: "pending_secret", Value: ""},
			{Key: "pending_at", Value: ""}}},
	}
	if err := s.mfaChangeLocked(ctx, orgID, agentID, cond, update); err != nil {
		_ = s.replaceCodes(ctx, orgID, agentID, nil)
		return fmt.Errorf("enable totp: %w", err)
	}
	return nil
}

// checkBackupCodes refuses a set no backend may store.
func checkBackupCodes(codes []storage.BackupCode) error {
	if len(codes) > storage.MaxBackupCodes {
		return fmt.Errorf("%d backup codes, at most %d", len(codes), storage.MaxBackupCodes)
	}
	for _, c := range codes {
		if c.ID == "" || len(c.Hash) == 0 {
			return errors.New("backup code without id or hash")
		}
	}
	return nil
}

// replaceCodes deletes the agent's backup codes, then inserts codes: a
// failure in between leaves the agent with none (fails closed).
func (s *Store) replaceCodes(ctx context.Context, orgID, agentID string, codes []storage.BackupCode) error {
	agent := bson.D{{Key: "org_id", Value: orgID}, {Key: "agent_id", Value: agentID}}
	if _, err := s.coll(collBackupCodes).DeleteMany(ctx, agent); err != nil {
		return fmt.Errorf("delete backup codes: %w", translate(err))
	}
	if len(codes) == 0 {
		return nil
	}
	docs := make([]any, len(codes))
	for i, c := range codes {
		docs[i] = backupCodeDoc{ID: c.ID, OrgID: orgID, AgentID: agentID, Hash: c.Hash,
			CreatedAt: c.CreatedAt, Ins: nextIns()}
	}
	if _, err := s.coll(collBackupCodes).InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("insert backup codes: %w", translate(err))
	}
	return nil
}

// DisableTOTP clears the secrets with one conditional update, then
// deletes the backup codes.
func (s *Store) DisableTOTP(ctx context.Context, orgID, agentID string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockMFA(ctx, orgID, agentID)
	if err != nil {
		return err
	}
	defer unlock()
	filter := bson.D{{Key: "_id", Value: mfaKey(orgID, agentID)}, {Key: "enabled_at", Value: bson.D{{Key: "$ne", Value: nil}}}}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "last_step", Value: int64(0)}}},
		{Key: "$unset", Value: bson.D{{Key: "secret", Value: ""}, {Key: "enabled_at", Value: ""},
			{Key: "pending_id", Value: ""}, {Key: "pending_secret", Value: ""}, {Key: "pending_at", Value: ""}}},
	}
	if err := updateOne(ctx, s.coll(collMFA), filter, update); err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	return wrap(s.replaceCodes(ctx, orgID, agentID, nil), "disable totp")
}

// enabledFilter matches a record with TOTP on.
func enabledFilter() bson.E {
	return bson.E{Key: "enabled_at", Value: bson.D{{Key: "$ne", Value: nil}}}
}

// UseTOTPStep raises last_step to step with one update filtered on
// last_step < step.
func (s *Store) UseTOTPStep(ctx context.Context, orgID, agentID string, step int64) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockMFA(ctx, orgID, agentID)
	if err != nil {
		return err
	}
	defer unlock()
	key := mfaKey(orgID, agentID)
	filter := bson.D{{Key: "_id", Value: key}, enabledFilter(), {Key: "last_step", Value: bson.D{{Key: "$lt", Value: step}}}}
	err = updateOne(ctx, s.coll(collMFA), filter, bson.D{{Key: "$set", Value: bson.D{{Key: "last_step", Value: step}}}})
	if errors.Is(err, storage.ErrNotFound) {
		if _, err = findOne[mfaDoc](ctx, s.coll(collMFA), bson.D{{Key: "_id", Value: key}, enabledFilter()}); err == nil {
			err = fmt.Errorf("%w: step already used", storage.ErrConflict)
		}
	}
	return wrap(err, "use totp step")
}

// ListBackupCodes returns the agent's unused codes, oldest first.
func (s *Store) ListBackupCodes(ctx context.Context, orgID, agentID string) ([]storage.BackupCode, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "agent_id", Value: agentID}, {Key: "used_at", Value: nil}}
	list, err := findAll[backupCodeDoc](ctx, s.coll(collBackupCodes), filter,
		sorted(storage.MaxBackupCodes, asc("created_at"), asc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list backup codes: %w", err)
	}
	out := convert(list, backupCodeDoc.code)
	if out == nil {
		out = []storage.BackupCode{}
	}
	return out, nil
}

// ConsumeBackupCode marks the code used with one update filtered on
// used_at absent.
func (s *Store) ConsumeBackupCode(ctx context.Context, orgID, agentID, id string, at time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockMFA(ctx, orgID, agentID)
	if err != nil {
		return err
	}
	defer unlock()
	filter := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}, {Key: "agent_id", Value: agentID},
		{Key: "used_at", Value: nil}}
	err = updateOne(ctx, s.coll(collBackupCodes), filter, bson.D{{Key: "$set", Value: bson.D{{Key: "used_at", Value: at}}}})
	return wrap(err, "consume backup code")
}

// ReplaceBackupCodes replaces the codes if TOTP is on.
func (s *Store) ReplaceBackupCodes(ctx context.Context, orgID, agentID string, codes []storage.BackupCode) error {
	if err := checkBackupCodes(codes); err != nil {
		return fmt.Errorf("replace backup codes: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockMFA(ctx, orgID, agentID)
	if err != nil {
		return err
	}
	defer unlock()
	filter := bson.D{{Key: "_id", Value: mfaKey(orgID, agentID)}, enabledFilter()}
	if _, err := findOne[mfaDoc](ctx, s.coll(collMFA), filter); err != nil {
		return fmt.Errorf("replace backup codes: %w", err)
	}
	return wrap(s.replaceCodes(ctx, orgID, agentID, codes), "replace backup codes")
}

// ChargeMFAAttempt counts an attempt with one update filtered on the
// failure count seen and the backoff having passed.
func (s *Store) ChargeMFAAttempt(ctx context.Context, orgID, agentID string, seen int, now, next time.Time) error {
	if seen >= storage.MaxMFAFailures {
		return fmt.Errorf("charge mfa attempt: %w: locked", storage.ErrConflict)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	cond := bson.D{{Key: "failures", Value: seen}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "next_attempt_at", Value: nil}},
		bson.D{{Key: "next_attempt_at", Value: bson.D{{Key: "$lte", Value: now}}}},
	}}}
	set := bson.D{{Key: "$inc", Value: bson.D{{Key: "failures", Value: 1}}}}
	if next.IsZero() {
		set = append(set, bson.E{Key: "$unset", Value: bson.D{{Key: "next_attempt_at", Value: ""}}})
	} else {
		set = append(set, bson.E{Key: "$set", Value: bson.D{{Key: "next_attempt_at", Value: next}}})
	}
	return wrap(s.mfaChange(ctx, orgID, agentID, cond, set), "charge mfa attempt")
}

// ClearMFAFailures resets the counter and the backoff.
func (s *Store) ClearMFAFailures(ctx context.Context, orgID, agentID string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "failures", Value: 0}}},
		{Key: "$unset", Value: bson.D{{Key: "next_attempt_at", Value: ""}}}}
	_, err := s.coll(collMFA).UpdateOne(ctx, byID(mfaKey(orgID, agentID)), update)
	return wrap(translate(err), "clear mfa failures")
}

// eraseMFA deletes an erased agent's second factors (idempotent).
func (s *Store) eraseMFA(ctx context.Context, e storage.Erasure) error {
	if e.Kind != storage.SubjectAgent {
		return nil
	}
	if _, err := s.coll(collMFA).DeleteOne(ctx, byID(mfaKey(e.OrgID, e.SubjectID))); err != nil {
		return fmt.Errorf("delete mfa: %w", translate(err))
	}
	agent := bson.D{{Key: "org_id", Value: e.OrgID}, {Key: "agent_id", Value: e.SubjectID}}
	if _, err := s.coll(collBackupCodes).DeleteMany(ctx, agent); err != nil {
		return fmt.Errorf("delete backup codes: %w", translate(err))
	}
	return nil
}
