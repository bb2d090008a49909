package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/helpr-chat/helpr/storage"
)

var _ storage.Store = (*Store)(nil)

// Collection names.
const (
	collOrgs          = "organizations"
	collAgents        = "agents"
	collWidgets       = "widgets"
	collVisitors      = "visitors"
	collConversations = "conversations"
	collMessages      = "messages"
	collSessions      = "sessions"
	collAccess        = "access_tokens"
	collRefresh       = "refresh_tokens"
	collClaims        = "refresh_claims"
	collAudit         = "audit_events"
	collAgentReads    = "agent_reads"
	// collMeta holds the store's own bookkeeping: one small document per
	// data migration, keyed by its name (backfill.go).
	collMeta = "store_meta"
)

// Store is the MongoDB backend of storage.Store. It is safe for concurrent
// use, and several Stores (one per node) may share a database: nothing is
// kept in memory between calls.
type Store struct {
	client  *mongo.Client
	db      *mongo.Database
	timeout time.Duration
	log     zerolog.Logger
	// backfill bounds backfillWords.
	backfill backfillConfig
	// locks queue this Store's writes to each conversation (locks.go).
	locks convLocks
}

// Option adjusts Open. With no options Open uses the defaults documented on
// each option.
type Option func(*config)

type config struct {
	timeout  time.Duration
	log      zerolog.Logger
	backfill backfillConfig
}

// backfillConfig bounds the search-words backfill of one Open: messages
// per round, and the time after which it pauses (tests shrink both).
type backfillConfig struct {
	batch  int
	budget time.Duration
}

func defaultConfig() config {
	return config{timeout: 5 * time.Second, log: zerolog.Nop(),
		backfill: backfillConfig{batch: defaultBackfillBatch, budget: defaultBackfillBudget}}
}

// WithTimeout bounds every method call, all of its round trips included
// (default 5s; values <= 0 are ignored). A caller's earlier deadline wins.
func WithTimeout(d time.Duration) Option {
	return func(o *config) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithLogger makes Open log its data migrations to l (the search-words
// backfill: finished, paused, and at debug level each round). By default
// nothing is logged.
func WithLogger(l zerolog.Logger) Option {
	return func(o *config) { o.log = l }
}

// Open connects to the MongoDB deployment at uri, uses database (created
// on first write), checks the server answers, creates the indexes the
// store relies on (idempotently: reopening is harmless; retired ones are
// dropped), and gives search words to messages stored before they existed
// (once, in bounded rounds; see the package documentation). Writes use the
// majority write concern with journaling unless uri sets its own, so a
// write that returned nil survives a crash of the primary.
func Open(ctx context.Context, uri, database string, opts ...Option) (*Store, error) {
	o := defaultConfig()
	for _, opt := range opts {
		opt(&o)
	}
	if database == "" {
		return nil, errors.New("open mongodb: empty database name")
	}
	journal := true
	co := options.Client().
		SetWriteConcern(&writeconcern.WriteConcern{W: writeconcern.WCMajority, Journal: &journal}).
		ApplyURI(uri)
	client, err := mongo.Connect(co)
	if err != nil {
		return nil, fmt.Errorf("open mongodb: %w", err)
	}
	s := &Store{client: client, db: client.Database(database), timeout: o.timeout, log: o.log,
		backfill: o.backfill, locks: newConvLocks()}
	if err := s.start(ctx); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open mongodb database %s: %w", database, err)
	}
	return s, nil
}

// openTimeout bounds Open (building indexes on large existing collections
// takes a while); the caller's context may cut it shorter.
const openTimeout = 2 * time.Minute

// start pings the server, creates the indexes, links unchained audit
// events (backfillAuditChain) and runs the search-words backfill (after
// the indexes, so that the messages it updates are indexed as written).
func (s *Store) start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if err := s.ensureIndexes(ctx); err != nil {
		return err
	}
	if err := s.backfillAuditChain(ctx); err != nil {
		return err
	}
	return s.backfillWords(ctx)
}

// op bounds one method call with the store's timeout.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// cleanup returns a context for compensating writes: it survives the
// caller's cancellation, with its own timeout.
func (s *Store) cleanup(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
}

// coll returns the named collection.
func (s *Store) coll(name string) *mongo.Collection { return s.db.Collection(name) }

// Ping reports whether the primary answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("ping mongodb: %w", err)
	}
	return nil
}

// Close disconnects the client. No method may be called afterwards.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.client.Disconnect(ctx); err != nil {
		return fmt.Errorf("close mongodb: %w", err)
	}
	return nil
}
