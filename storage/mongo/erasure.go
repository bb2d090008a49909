package mongo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// EraseSubject anonymises e.SubjectID of e.OrgID in idempotent steps, each
// safe to repeat, in this order: the record (a visitor loses name, email,
// phone and email index; an agent loses name and password hash and its
// email becomes the lower-cased pseudonym; DeletedAt is set), then its
// sessions (unrevoked ones revoked at e.At; all lose IP and user agent),
// then an agent's passkeys (deleted),
// then the organisation's audit events (the subject's id replaced by the
// pseudonym; the events it performed lose IP and user agent).
// Conversations (previews included) and messages stay, and so do an erased
// agent's read marks (agent_reads): they hold only the agent id, which its
// messages keep too.
//
// The record goes first so that an agent whose pseudonym is another
// agent's email fails (ErrConflict) before anything changed. The other
// steps run on every call, so a call interrupted after the record step is
// completed by the next one, and erasing an erased subject changes nothing
// unless something named it since. ErrNotFound if the subject is not in
// the organisation.
func (s *Store) EraseSubject(ctx context.Context, e storage.Erasure) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("erase %s %s: %w", e.Kind, e.SubjectID, err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	err := s.eraseRecord(ctx, e)
	if err == nil {
		err = s.revokeSubject(ctx, e)
	}
	if err == nil {
		err = s.eraseMFA(ctx, e)
	}
	if err == nil {
		err = s.erasePasskeys(ctx, e)
	}
	if err == nil {
		err = s.forgetSignInIPs(ctx, e)
	}
	if err == nil {
		err = s.eraseCustomerUser(ctx, e)
	}
	if err == nil {
		err = s.pseudonymiseAudit(ctx, e)
	}
	return wrap(err, "erase %s %s", e.Kind, e.SubjectID)
}

// eraseRecord clears the subject's record unless it is already erased.
func (s *Store) eraseRecord(ctx context.Context, e storage.Erasure) error {
	coll := s.coll(collVisitors)
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "name", Value: ""}, {Key: "email", Value: ""},
			{Key: "phone", Value: ""}, {Key: "deleted_at", Value: e.At}}},
		{Key: "$unset", Value: bson.D{{Key: "email_index", Value: ""}}},
	}
	if e.Kind == storage.SubjectAgent {
		coll = s.coll(collAgents)
		update = bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: ""}, {Key: "password_hash", Value: ""},
			{Key: "email", Value: strings.ToLower(e.Pseudonym)}, {Key: "deleted_at", Value: e.At}}}}
	}
	filter := bson.D{{Key: "_id", Value: e.SubjectID}, {Key: "org_id", Value: e.OrgID}, {Key: "deleted_at", Value: nil}}
	err := updateOne(ctx, coll, filter, update)
	if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	// Nothing updated: already erased, or not in the organisation.
	if e.Kind == storage.SubjectAgent {
		_, err = findOwned[agentDoc](ctx, coll, e.OrgID, e.SubjectID)
	} else {
		_, err = findOwned[visitorDoc](ctx, coll, e.OrgID, e.SubjectID)
	}
	return err
}

// revokeSubject revokes every unrevoked session of the subject at e.At and
// clears the IP address and user agent of all of its sessions.
func (s *Store) revokeSubject(ctx context.Context, e storage.Erasure) error {
	subject := bson.D{{Key: "org_id", Value: e.OrgID}, {Key: "subject_kind", Value: string(e.Kind)},
		{Key: "subject_id", Value: e.SubjectID}}
	unrevoked := append(subject[:len(subject):len(subject)], bson.E{Key: "revoked_at", Value: nil})
	revoke := bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: e.At}}}}
	if _, err := s.coll(collSessions).UpdateMany(ctx, unrevoked, revoke); err != nil {
		return fmt.Errorf("revoke sessions: %w", translate(err))
	}
	clear := bson.D{{Key: "$set", Value: bson.D{{Key: "ip", Value: ""}, {Key: "user_agent", Value: ""}}}}
	if _, err := s.coll(collSessions).UpdateMany(ctx, subject, clear); err != nil {
		return fmt.Errorf("clear sessions: %w", translate(err))
	}
	return nil
}

// pseudonymiseAudit replaces the subject's id by the pseudonym in the
// organisation's audit events, and clears the IP address and user agent of
// the events the subject performed. Each replaced field loses the salt of
// its commitment (storage.AuditCommitments), so no hash changes.
func (s *Store) pseudonymiseAudit(ctx context.Context, e storage.Erasure) error {
	for _, step := range []struct{ field, what string }{{"actor_id", "actor"}, {"target_id", "target"}} {
		set := bson.D{{Key: step.field, Value: e.Pseudonym}, {Key: step.what + "_salt", Value: ""}}
		if step.field == "actor_id" {
			set = append(set, bson.E{Key: "ip", Value: ""}, bson.E{Key: "user_agent", Value: ""},
				bson.E{Key: "client_salt", Value: ""})
		}
		filter := bson.D{{Key: "org_id", Value: e.OrgID}, {Key: step.field, Value: e.SubjectID}}
		if _, err := s.coll(collAudit).UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: set}}); err != nil {
			return fmt.Errorf("pseudonymise audit %s: %w", step.what, translate(err))
		}
	}
	return nil
}
