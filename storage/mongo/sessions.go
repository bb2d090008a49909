package mongo

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/helpr-chat/helpr/storage"
)

type sessionDoc struct {
	ID          string    `bson:"_id"`
	OrgID       string    `bson:"org_id"`
	SubjectKind string    `bson:"subject_kind"`
	SubjectID   string    `bson:"subject_id"`
	RememberMe  bool      `bson:"remember_me"`
	IP          string    `bson:"ip"`
	UserAgent   string    `bson:"user_agent"`
	Generation  int64     `bson:"generation"`
	CreatedAt   time.Time `bson:"created_at,omitempty"`
	LastSeenAt  time.Time `bson:"last_seen_at,omitempty"`
	RevokedAt   time.Time `bson:"revoked_at,omitempty"`
	Ins         int64     `bson:"ins"`
}

func (d sessionDoc) session() storage.Session {
	return storage.Session{ID: d.ID, OrgID: d.OrgID, SubjectKind: storage.SubjectKind(d.SubjectKind),
		SubjectID: d.SubjectID, RememberMe: d.RememberMe, IP: d.IP, UserAgent: d.UserAgent,
		Generation: d.Generation, CreatedAt: utc(d.CreatedAt), LastSeenAt: utc(d.LastSeenAt),
		RevokedAt: utc(d.RevokedAt)}
}

func newSessionDoc(s storage.Session) sessionDoc {
	return sessionDoc{ID: s.ID, OrgID: s.OrgID, SubjectKind: string(s.SubjectKind), SubjectID: s.SubjectID,
		RememberMe: s.RememberMe, IP: s.IP, UserAgent: s.UserAgent, Generation: s.Generation,
		CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, RevokedAt: s.RevokedAt, Ins: nextIns()}
}

// accessDoc is an access token, keyed by the hex of its hash (a string
// _id, which FerretDB v1 looks up by index).
type accessDoc struct {
	ID        string    `bson:"_id"`
	SessionID string    `bson:"session_id"`
	ExpiresAt time.Time `bson:"expires_at,omitempty"`
}

// refreshDoc is a refresh token, keyed like accessDoc. Successor and
// SuccessorUntil are set with RotatedAt (the sealed successor pair, kept
// for the grace window) and unset by RevokeSession and DeleteExpiredTokens.
type refreshDoc struct {
	ID             string    `bson:"_id"`
	SessionID      string    `bson:"session_id"`
	Generation     int64     `bson:"generation"`
	ExpiresAt      time.Time `bson:"expires_at,omitempty"`
	RotatedAt      time.Time `bson:"rotated_at,omitempty"`
	Successor      string    `bson:"successor,omitempty"`
	SuccessorUntil time.Time `bson:"successor_until,omitempty"`
}

func (d refreshDoc) token() storage.RefreshToken {
	return storage.RefreshToken{Hash: unhex(d.ID), SessionID: d.SessionID, Generation: d.Generation,
		ExpiresAt: utc(d.ExpiresAt), RotatedAt: utc(d.RotatedAt),
		SealedSuccessor: d.Successor, SuccessorUntil: utc(d.SuccessorUntil)}
}

// unsetSuccessor removes the sealed successor of the refresh tokens it is
// applied to.
var unsetSuccessor = bson.D{{Key: "$unset", Value: bson.D{{Key: "successor", Value: ""}, {Key: "successor_until", Value: ""}}}}

// tokenID is the _id of a token hash.
func tokenID(hash []byte) string { return hex.EncodeToString(hash) }

// unhex decodes a token _id; the store only writes valid hex.
func unhex(id string) []byte {
	b, _ := hex.DecodeString(id)
	return b
}

// CreateSession writes the session, its tokens and the password rehash (if
// any) without a transaction, in an order that keeps a half-done start
// harmless: the rehash target is checked, the tokens go in (useless
// without their session), then the session (which makes them valid), then
// the rehash; a failure at any step deletes what this call inserted. Token
// SessionIDs may be empty (they take Session.ID) but must not name
// another session. ErrConflict if the session id or a token hash exists;
// ErrNotFound if the rehash names no non-erased agent of its organisation.
func (s *Store) CreateSession(ctx context.Context, st storage.SessionStart) error {
	if err := checkSessionStart(st); err != nil {
		return fmt.Errorf("create session %s: %w", st.Session.ID, err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := s.checkRehash(ctx, st.RehashPassword); err != nil {
		return fmt.Errorf("create session %s: %w", st.Session.ID, err)
	}
	var undo undoList
	err := s.insertTokens(ctx, &undo, st.Session.ID, st.Access, st.Refresh)
	if err == nil {
		err = undo.insert(ctx, s.coll(collSessions), st.Session.ID, newSessionDoc(st.Session))
	}
	if err == nil {
		err = s.applyRehash(ctx, st.RehashPassword)
	}
	if err != nil {
		cctx, ccancel := s.cleanup(ctx)
		defer ccancel()
		return fmt.Errorf("create session %s: %w", st.Session.ID, errors.Join(err, undo.run(cctx)))
	}
	return nil
}

func checkSessionStart(st storage.SessionStart) error {
	id := st.Session.ID
	switch {
	case id == "":
		return fmt.Errorf("empty session id")
	case st.Access.SessionID != "" && st.Access.SessionID != id:
		return fmt.Errorf("access token belongs to session %q", st.Access.SessionID)
	case st.Refresh != nil && st.Refresh.SessionID != "" && st.Refresh.SessionID != id:
		return fmt.Errorf("refresh token belongs to session %q", st.Refresh.SessionID)
	}
	return nil
}

// insertTokens inserts an access token and, if refresh is not nil, a
// refresh token of session sessionID, recording them in undo.
func (s *Store) insertTokens(ctx context.Context, undo *undoList, sessionID string, a storage.AccessToken, refresh *storage.RefreshToken) error {
	if len(a.Hash) == 0 || (refresh != nil && len(refresh.Hash) == 0) {
		return fmt.Errorf("empty token hash")
	}
	if refresh != nil {
		r := refreshDoc{ID: tokenID(refresh.Hash), SessionID: sessionID, Generation: refresh.Generation,
			ExpiresAt: refresh.ExpiresAt, RotatedAt: refresh.RotatedAt}
		if err := undo.insert(ctx, s.coll(collRefresh), r.ID, r); err != nil {
			return err
		}
	}
	d := accessDoc{ID: tokenID(a.Hash), SessionID: sessionID, ExpiresAt: a.ExpiresAt}
	return undo.insert(ctx, s.coll(collAccess), d.ID, d)
}

// rehashFilter selects the non-erased agent a rehash names.
func rehashFilter(r *storage.PasswordRehash) bson.D {
	return bson.D{{Key: "_id", Value: r.AgentID}, {Key: "org_id", Value: r.OrgID}, {Key: "deleted_at", Value: nil}}
}

func (s *Store) checkRehash(ctx context.Context, r *storage.PasswordRehash) error {
	if r == nil {
		return nil
	}
	_, err := findOne[agentDoc](ctx, s.coll(collAgents), rehashFilter(r))
	return wrap(err, "rehash agent %s", r.AgentID)
}

func (s *Store) applyRehash(ctx context.Context, r *storage.PasswordRehash) error {
	if r == nil {
		return nil
	}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "password_hash", Value: r.NewHash}}}}
	return wrap(updateOne(ctx, s.coll(collAgents), rehashFilter(r), update), "rehash agent %s", r.AgentID)
}

// undoList remembers the documents a multi-step write inserted, so that a
// failed step can delete them again.
type undoList []func(ctx context.Context) error

// insert inserts doc (whose _id is id) into coll and remembers it.
func (u *undoList) insert(ctx context.Context, coll *mongo.Collection, id string, doc any) error {
	if _, err := coll.InsertOne(ctx, doc); err != nil {
		return translate(err)
	}
	*u = append(*u, func(ctx context.Context) error {
		_, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
		return err
	})
	return nil
}

// run deletes the remembered documents, newest first.
func (u undoList) run(ctx context.Context) error {
	var errs []error
	for i := len(u) - 1; i >= 0; i-- {
		errs = append(errs, u[i](ctx))
	}
	return wrap(errors.Join(errs...), "undo")
}
