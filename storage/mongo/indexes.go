package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// index is one index the store creates at Open.
type index struct {
	name   string
	keys   bson.D
	unique bool
}

// indexes lists, per collection, the indexes besides _id. Records are
// keyed by their ids (_id), tokens by the hex of their hash, so those are
// unique without an entry here.
var indexes = map[string][]index{
	collAgents: {
		// An email is unique within an organisation; leading with email,
		// the index also serves ListAgentsByEmail (sign-in across
		// organisations).
		{"email_org_unique", keys(asc("email"), asc("org_id")), true},
		{"org_created", keys(asc("org_id"), asc("created_at"), asc("ins")), false},
	},
	collWidgets: {
		{"publishable_key_unique", keys(asc("publishable_key")), true},
		{"previous_key_unique", keys(asc("previous_key")), true}, // sparse: see sparseIndexes
		{"org_created", keys(asc("org_id"), asc("created_at"), asc("ins")), false},
	},
	collVisitors: {
		{"org_email_index", keys(asc("org_id"), asc("email_index")), false},
		{"org_created", keys(asc("org_id"), desc("created_at"), desc("_id")), false}, // ListVisitors
	},
	collConversations: {
		{"org_updated", keys(asc("org_id"), desc("updated_at"), desc("_id")), false},
		{"org_status_updated", keys(asc("org_id"), asc("status"), desc("updated_at"), desc("_id")), false},
		{"org_assignee_updated", keys(asc("org_id"), asc("assignee_id"), desc("updated_at"), desc("_id")), false},
		{"org_visitor_updated", keys(asc("org_id"), asc("visitor_id"), desc("updated_at"), desc("_id")), false},
	},
	collMessages: {
		{"conversation_seq_unique", keys(asc("conversation_id"), asc("seq")), true},
		{"conversation_client_unique", keys(asc("conversation_id"), asc("client_key")), true},
		{"org_created", keys(asc("org_id"), desc("created_at"), desc("ins")), false},
		// SearchMessages: a multikey index, one key per element of words.
		// The query's range on words rules out index order for the sort
		// (a range over a multikey field never yields created_at order), so
		// sort keys after words would only enlarge every key: the matches
		// are sorted in memory, at most maxSearchLimit kept.
		{"org_words", keys(asc("org_id"), asc("words")), false},
	},
	collSessions: {
		{"subject_created", keys(asc("org_id"), asc("subject_kind"), asc("subject_id"), desc("created_at"), desc("ins")), false},
	},
	collAccess: {
		{"session", keys(asc("session_id")), false},
		{"expires", keys(asc("expires_at")), false},
	},
	collRefresh: {
		{"session", keys(asc("session_id")), false},
		{"expires", keys(asc("expires_at")), false},
		{"successor_until", keys(asc("successor_until")), false}, // DeleteExpiredTokens
	},
	collClaims: {
		{"expires", keys(asc("expires_at")), false},
	},
	collAgentReads: {
		{"org_agent_conversation_unique", keys(asc("org_id"), asc("agent_id"), asc("conversation_id")), true},
	},
	collOneTime: {
		// The key is also the _id (purpose:id); this states it on the fields.
		{"purpose_id_unique", keys(asc("purpose"), asc("token_id")), true},
		{"org_purpose_created", keys(asc("org_id"), asc("purpose"), desc("created_at"), desc("ins")), false}, // ListOneTime
		{"org_subject", keys(asc("org_id"), asc("subject_id")), false},                                       // RevokeOneTimeForSubject
		{"expires", keys(asc("expires_at")), false},                                                          // DeleteExpiredOneTime
	},
	collSignInIPs: {
		{"org_agent", keys(asc("org_id"), asc("agent_id")), false}, // First, erasure
	},
	collBackupCodes: {
		{"org_agent_created", keys(asc("org_id"), asc("agent_id"), asc("created_at"), asc("ins")), false}, // ListBackupCodes, replace, erasure
	},
	collPasskeys: {
		{"credential_unique", keys(asc("cred_key")), true},                                                // GetPasskeyByCredential
		{"org_agent_created", keys(asc("org_id"), asc("agent_id"), asc("created_at"), asc("ins")), false}, // ListPasskeys, DeleteAgentPasskeys
	},
	collMail: {
		{"pending_next", keys(asc("sent_at"), asc("failed_at"), asc("next_at"), asc("ins")), false}, // ClaimMail
		{"sent", keys(asc("sent_at")), false},                                                       // DeleteDoneMail
		{"failed", keys(asc("failed_at")), false},                                                   // DeleteDoneMail
	},
	collMailClaims: {
		{"expires", keys(asc("expires_at")), false}, // DeleteDoneMail
	},
	collWebhookEndpoints: {
		{"org_created", keys(asc("org_id"), asc("created_at"), asc("ins")), false}, // ListWebhookEndpoints
	},
	collWebhookDeliveries: {
		{"status_due", keys(asc("status"), asc("due_at"), asc("next_attempt_at"), asc("ins")), false},             // ClaimWebhookDeliveries
		{"org_endpoint_created", keys(asc("org_id"), asc("endpoint_id"), desc("created_at"), desc("_id")), false}, // ListWebhookDeliveries, DeleteWebhookEndpoint
		{"org_visitor", keys(asc("org_id"), asc("visitor_id")), false},                                            // ForgetWebhookVisitor
	},
	collWebhookClaims: {
		{"expires", keys(asc("expires_at")), false},
	},
	collCustomerUsers: {
		{"external_index_unique", keys(asc("external_index")), true},                 // sparse: erased users have none; the index hashes the org id in
		{"org_created", keys(asc("org_id"), desc("created_at"), desc("_id")), false}, // ListCustomerUsers
		{"org_visitor", keys(asc("org_id"), asc("visitor_id")), false},               // erasure
	},
	collAPIKeys: {
		{"org_key_unique", keys(asc("key_id"), asc("org_id")), true},                 // GetAPIKey and the scoped writes
		{"org_created", keys(asc("org_id"), desc("created_at"), desc("ins")), false}, // ListAPIKeys
		{"rotated_from_unique", keys(asc("rotated_from")), true},                     // sparse: one successor per key
	},
	collAudit: {
		{"link_unique", keys(asc("link")), true}, // sparse: see sparseIndexes
		{"org_seq", keys(asc("org_id"), desc("seq")), false},
		{"org_action_seq", keys(asc("org_id"), asc("action"), desc("seq")), false},
		{"org_created", keys(asc("org_id"), desc("created_at"), desc("ins")), false},
		{"org_actor", keys(asc("org_id"), asc("actor_id")), false},
		{"org_target", keys(asc("org_id"), asc("target_id")), false},
	},
}

func keys(k ...bson.E) bson.D { return bson.D(k) }

// sparseIndexes names the indexes that leave out documents lacking their
// field: audit events written before the hash chain have no link until
// the backfill (audit_backfill.go) gives them one; never-rotated widgets
// and keys lack previous_key and rotated_from, erased customer users
// external_index.
var sparseIndexes = map[string]bool{"link_unique": true,
	"previous_key_unique": true, "rotated_from_unique": true, "external_index_unique": true}

// retiredIndexes lists, per collection, indexes earlier versions created
// that nothing reads any more; Open drops them. The text index served
// $text search, which cannot match word prefixes (SearchMessages uses
// org_words). email_unique made an agent's email unique across
// organisations, which let one tenant learn another's agents (issue 10):
// email_org_unique replaces it.
var retiredIndexes = map[string][]string{
	collMessages: {"text_search"},
	collAgents:   {"email_unique"},
}

// ensureIndexes drops the retired indexes that exist and creates the
// indexes of the indexes table that do not exist yet (by name), so
// reopening sends nothing, one createIndexes command each: FerretDB v1
// drops the connection when one command names several indexes that
// exist, which happens when nodes start together. An
// index that exists under the same name with another definition is not
// noticed; renaming an index is how its definition changes.
func (s *Store) ensureIndexes(ctx context.Context) error {
	for coll, list := range indexes {
		have, err := s.indexNames(ctx, coll)
		if err != nil {
			return err
		}
		if err := s.dropRetired(ctx, coll, have); err != nil {
			return err
		}
		for _, ix := range list {
			if have[ix.name] {
				continue
			}
			o := options.Index().SetName(ix.name)
			if ix.unique {
				o.SetUnique(true)
			}
			if sparseIndexes[ix.name] {
				o.SetSparse(true)
			}
			model := mongo.IndexModel{Keys: ix.keys, Options: o}
			if _, err := s.coll(coll).Indexes().CreateOne(ctx, model); err != nil {
				return fmt.Errorf("create index %s on %s: %w", ix.name, coll, err)
			}
		}
	}
	return nil
}

// dropRetired drops the collection's retired indexes among have. One that
// is already gone (another node dropped it first) is no error.
func (s *Store) dropRetired(ctx context.Context, coll string, have map[string]bool) error {
	for _, name := range retiredIndexes[coll] {
		if !have[name] {
			continue
		}
		err := s.coll(coll).Indexes().DropOne(ctx, name)
		var ce mongo.CommandError
		if errors.As(err, &ce) && (ce.Code == codeIndexNotFound || ce.Code == codeNamespaceNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("drop index %s on %s: %w", name, coll, err)
		}
	}
	return nil
}

// Server error codes: a missing collection, a missing index.
const (
	codeNamespaceNotFound = 26
	codeIndexNotFound     = 27
)

// indexNames returns the names of the collection's indexes (none when the
// collection does not exist yet).
func (s *Store) indexNames(ctx context.Context, coll string) (map[string]bool, error) {
	specs, err := s.coll(coll).Indexes().ListSpecifications(ctx)
	var ce mongo.CommandError
	if errors.As(err, &ce) && ce.Code == codeNamespaceNotFound {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", coll, err)
	}
	names := make(map[string]bool, len(specs))
	for _, spec := range specs {
		names[spec.Name] = true
	}
	return names, nil
}
