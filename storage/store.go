package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store is everything a backend provides. Consumers should depend on the
// narrow interfaces below (or smaller ones of their own), not on Store.
//
// All methods are safe for concurrent use. Every write is durable when the
// method returns nil: a crash afterwards loses nothing it reported stored.
type Store interface {
	OrgStore
	AgentStore
	WidgetStore
	VisitorStore
	ConversationStore
	MessageStore
	SessionStore
	AuditStore
	ErasureStore
	MetaStore
	OneTimeStore
	SignInIPStore
	MFAStore
	PasskeyStore
	MailStore
	WebhookStore
	APIKeyStore
	CustomerUserStore
	// Ping reports whether the backend is reachable (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the backend. No method may be called afterwards.
	Close() error
}

// OrgStore keeps organisations.
type OrgStore interface {
	// CreateOrgWithOwner stores an organisation and its first agent
	// atomically: both or neither. ErrConflict if either id is taken (the
	// owner's email is free in a new organisation by definition).
	CreateOrgWithOwner(ctx context.Context, org Organization, owner Agent) error
	// GetOrg returns the organisation with id.
	GetOrg(ctx context.Context, id string) (Organization, error)
}

// AgentStore keeps agents. Emails are compared lower-cased. An email is
// unique within an organisation, not across them: one person may be an
// agent of several organisations, and creating an agent reveals nothing
// about other tenants.
type AgentStore interface {
	// CreateAgent stores a new agent. ErrConflict if the email is taken in
	// the agent's organisation (or the id is taken).
	CreateAgent(ctx context.Context, a Agent) error
	// GetAgent returns agent id of organisation orgID.
	GetAgent(ctx context.Context, orgID, id string) (Agent, error)
	// ListAgentsByEmail returns the non-erased agents of every organisation
	// with login email email, oldest first, at most MaxAgentsByEmail of them
	// (sign-in checks the password against each). None is an empty list,
	// not an error.
	ListAgentsByEmail(ctx context.Context, email string) ([]Agent, error)
	// ListAgents returns the organisation's team ordered by creation:
	// erased agents are left out (GetAgent still returns them, with
	// DeletedAt set, so ids in history resolve).
	ListAgents(ctx context.Context, orgID string) ([]Agent, error)
	// SetAgentRole changes an agent's role. Erased agents are ErrNotFound
	// here and in SetAgentPasswordHash and a CreateSession rehash: erasure
	// is final.
	SetAgentRole(ctx context.Context, orgID, id string, role Role) error
	// SetAgentPasswordHash replaces an agent's password hash.
	SetAgentPasswordHash(ctx context.Context, orgID, id, hash string) error
	// DeactivateAgent sets the agent's DeactivatedAt to at (offboarding) if
	// it is not deactivated yet, in one conditional write: of concurrent
	// calls exactly one succeeds. ErrConflict if it already is (the first
	// time is kept); ErrNotFound if the organisation has no such agent or
	// it was erased. The agent stays in ListAgents (with DeactivatedAt).
	DeactivateAgent(ctx context.Context, orgID, id string, at time.Time) error
}

// MaxAgentsByEmail is the most agents ListAgentsByEmail returns: the
// organisations one email can sign in to from one login form.
const MaxAgentsByEmail = 20

// WidgetStore keeps widgets.
type WidgetStore interface {
	// CreateWidget stores a widget. ErrConflict on a duplicate publishable key.
	CreateWidget(ctx context.Context, w Widget) error
	// GetWidget returns widget id of organisation orgID.
	GetWidget(ctx context.Context, orgID, id string) (Widget, error)
	// GetWidgetByKey finds a widget by its publishable key across
	// organisations: the key is the tenant-identifying key for visitors.
	// It also matches a widget's PreviousKey, whatever PreviousKeyUntil
	// says: the caller compares that time with its clock.
	GetWidgetByKey(ctx context.Context, publishableKey string) (Widget, error)
	// RotateWidgetKey makes newKey the widget's publishable key, the old
	// key its PreviousKey and previousUntil its PreviousKeyUntil, in one
	// write (a previous key from an earlier rotation is dropped).
	// ErrNotFound if orgID has no widget id; ErrConflict if newKey is taken.
	RotateWidgetKey(ctx context.Context, orgID, id, newKey string, previousUntil time.Time) error
	// ListWidgets returns the organisation's widgets ordered by creation.
	ListWidgets(ctx context.Context, orgID string) ([]Widget, error)
	// UpdateWidget replaces the name, allowed origins, pre-chat modes and
	// offline message of widget w.ID of organisation w.OrgID (its key and
	// creation time stay). ErrNotFound when no such widget exists in that
	// organisation.
	UpdateWidget(ctx context.Context, w Widget) error
}

// VisitorStore keeps visitors.
type VisitorStore interface {
	// CreateVisitor stores a new visitor.
	CreateVisitor(ctx context.Context, v Visitor) error
	// GetVisitor returns visitor id of organisation orgID.
	GetVisitor(ctx context.Context, orgID, id string) (Visitor, error)
	// UpdateVisitor replaces the visitor's name, email, phone, email index
	// and last-seen time (matched by OrgID and ID). An erased visitor is
	// ErrNotFound: erasure is final.
	UpdateVisitor(ctx context.Context, v Visitor) error
	// FindVisitorByEmailIndex returns the organisation's non-erased visitor
	// whose EmailIndex equals one of indexes (several while blind-index keys
	// rotate), the most recently seen first if several match; ErrNotFound if
	// none does.
	FindVisitorByEmailIndex(ctx context.Context, orgID string, indexes [][]byte) (Visitor, error)
	// ScanVisitors returns up to limit visitors of every organisation with
	// ID > afterID, ordered by ID, erased ones included. It is for
	// maintenance (key re-encryption), never for request handling. limit <= 0
	// means 500; backends cap it at 5000.
	ScanVisitors(ctx context.Context, afterID string, limit int) ([]Visitor, error)
	// ListVisitors returns up to limit visitors of organisation orgID,
	// newest first (CreatedAt descending, then ID descending), erased ones
	// included (DeletedAt set), starting strictly after cursor (nil: from
	// the newest). limit <= 0 means 50; backends cap it at 200.
	ListVisitors(ctx context.Context, orgID string, cursor *VisitorCursor, limit int) ([]Visitor, error)
}

// ConversationFilter narrows ListConversations. Zero fields do not filter.
type ConversationFilter struct {
	Status     ConversationStatus
	AssigneeID string
	Unassigned bool // only conversations with no assignee
	VisitorID  string
	// Before, when non-zero, returns conversations updated strictly before it
	// (keyset pagination; results are ordered by UpdatedAt descending, then ID).
	Before time.Time
	// Cursor, when set, returns conversations strictly after it in the
	// list order (UpdatedAt descending, then ID descending): the keyset
	// cursor of GET /conversations. It combines with every other field.
	Cursor *ConversationCursor
	Limit  int // 0 means 50; backends cap it at 200
}

// ConversationStore keeps conversations.
type ConversationStore interface {
	// CreateConversation stores a new conversation (LastSeq 0).
	CreateConversation(ctx context.Context, c Conversation) error
	// GetConversation returns conversation id of organisation orgID.
	GetConversation(ctx context.Context, orgID, id string) (Conversation, error)
	// ListConversations returns the organisation's conversations matching f,
	// newest activity first.
	ListConversations(ctx context.Context, orgID string, f ConversationFilter) ([]Conversation, error)
	// SetAssignee sets the assignee to `to` only if it currently equals
	// `from` ("" meaning unassigned); otherwise ErrConflict. It updates
	// UpdatedAt to at.
	SetAssignee(ctx context.Context, orgID, id, from, to string, at time.Time) error
	// CloseConversation marks the conversation closed at `at`. Closing a
	// closed conversation is a no-op.
	CloseConversation(ctx context.Context, orgID, id string, at time.Time) error
	// ReopenConversation makes a closed conversation open again, assigned
	// to assigneeID ("" leaves it unassigned), with ClosedAt zeroed and
	// UpdatedAt set to at. Reopening an open conversation changes nothing
	// and returns nil. ErrNotFound if the conversation is not in orgID.
	// The status check is part of the write (a conditional update), so of
	// concurrent reopens exactly one changes the conversation.
	ReopenConversation(ctx context.Context, orgID, id, assigneeID string, at time.Time) error
	// MarkRead raises the side's read sequence to seq (never lowers it, and
	// never beyond LastSeq) and returns the resulting value.
	MarkRead(ctx context.Context, orgID, id string, side SenderKind, seq int64) (int64, error)
	// MarkAgentRead raises agent agentID's own read mark of the
	// conversation to seq, never lowering it and never beyond LastSeq (a
	// negative seq counts as 0), raises the conversation's AgentReadSeq to
	// at least the same value, and returns the agent's resulting mark. The
	// agent id is not checked against the team: callers pass an
	// authenticated agent of orgID. ErrNotFound if the conversation is not
	// in orgID. Concurrent calls never lower a mark (both values only grow,
	// by max); whether the two values change in one atomic write is up to
	// the backend, but AgentReadSeq is never left below a mark this method
	// reported.
	MarkAgentRead(ctx context.Context, orgID, conversationID, agentID string, seq int64) (int64, error)
	// AgentReadSeqs returns agent agentID's own read marks for the
	// organisation's conversations among conversationIDs, keyed by
	// conversation id. A conversation the agent never marked (or one of
	// another organisation, or unknown) has no entry: its mark is 0. An
	// empty list returns an empty map without a query; more than
	// MaxAgentReadIDs ids is an error (callers page, as ListConversations
	// returns at most 200).
	AgentReadSeqs(ctx context.Context, orgID, agentID string, conversationIDs []string) (map[string]int64, error)
}

// MaxAgentReadIDs is the most conversation ids one AgentReadSeqs call
// takes.
const MaxAgentReadIDs = 500

// CheckAgentReadIDs is the argument check of AgentReadSeqs every backend
// runs: an error for more than MaxAgentReadIDs ids.
func CheckAgentReadIDs(conversationIDs []string) error {
	if len(conversationIDs) > MaxAgentReadIDs {
		return fmt.Errorf("agent read seqs: %d conversation ids, at most %d per call", len(conversationIDs), MaxAgentReadIDs)
	}
	return nil
}

// MessageStore keeps messages.
type MessageStore interface {
	// AppendMessage stores m in its conversation, assigning the next
	// sequence number, setting the conversation's LastSeq, UpdatedAt,
	// Preview (PreviewOf m.Text) and LastSenderKind in the same atomic
	// write, and returns the stored message with created == true. If a
	// message with the same (ConversationID, ClientID) exists, it returns
	// that message with created == false and changes nothing. ErrNotFound
	// if the conversation does not exist in m.OrgID. Concurrent appends to
	// one conversation get distinct consecutive sequence numbers, and the
	// conversation ends up describing the one with the highest.
	// ErrConversationClosed if the conversation is closed at the moment of
	// the write: the status check is part of the write that assigns the
	// sequence number (no extra round trip), so of an append and a close
	// racing on different nodes either the append is stored below the
	// close's LastSeq or it is refused; nothing is stored once a close
	// returned. A repeat (same ClientID) of a message stored before the
	// close still returns it with created == false, so a sender whose ack
	// was lost learns it was stored.
	AppendMessage(ctx context.Context, m Message) (stored Message, created bool, err error)
	// AppendMessageChecked is AppendMessage for a sender that must be a
	// participant, checked in the write itself rather than by a read
	// before it: m is stored (same sequence, LastSeq, Preview,
	// LastSenderKind and UpdatedAt semantics) only if the conversation
	// (m.ConversationID, m.OrgID) exists, is open and m's sender takes
	// part in it. A visitor (SenderKind SenderVisitor) takes part only in
	// the conversation whose VisitorID is m.SenderID; any other sender
	// kind (an agent of the organisation) in every conversation of
	// m.OrgID. A missing conversation, one of another organisation and
	// another visitor's are all ErrNotFound, so existence is never
	// revealed; a closed one is ErrConversationClosed. A duplicate (same
	// ConversationID and ClientID, sent by a participant) returns the
	// stored message with Created == false and changes nothing, even once
	// the conversation is closed; whether the duplicate's sender is m's is
	// left to the caller. Appended.Conversation is the conversation as
	// stored after the append (LastSeq == the message's Seq, its Preview,
	// ...), or, for a duplicate, as currently stored. Backends document
	// what the call costs; it is never more than AppendMessage.
	AppendMessageChecked(ctx context.Context, m Message) (Appended, error)
	// ListMessages returns up to limit messages with Seq > afterSeq in
	// ascending Seq order. limit <= 0 means 100; backends cap it at 500.
	ListMessages(ctx context.Context, orgID, conversationID string, afterSeq int64, limit int) ([]Message, error)
	// SearchMessages returns up to limit messages of the organisation whose
	// text matches every word of query, newest first. Each query word (see
	// SearchWords) matches as the prefix of a word of the text,
	// case-insensitively: "ord" finds "order" but "der" does not. The query
	// is plain words, never backend syntax: any character is safe.
	SearchMessages(ctx context.Context, orgID, query string, limit int) ([]Message, error)
}

// SessionStart is everything CreateSession writes in one transaction.
type SessionStart struct {
	Session Session
	Access  AccessToken
	Refresh *RefreshToken // nil for sessions without refresh (visitors)
	// RehashPassword, when set, replaces the agent's password hash in the
	// same write (legacy hash upgrade on login).
	RehashPassword *PasswordRehash
}

// PasswordRehash names an agent whose hash is replaced with NewHash.
type PasswordRehash struct {
	OrgID   string
	AgentID string
	NewHash string
}

// Rotation is one refresh-token exchange: OldHash is marked rotated at At,
// Next and Access are inserted, and the session's generation becomes
// Next.Generation — atomically, and only if OldHash has not been rotated
// before and the session is not revoked.
type Rotation struct {
	OldHash []byte
	At      time.Time
	Next    RefreshToken // its SealedSuccessor and SuccessorUntil are ignored
	Access  AccessToken
	// SealedSuccessor, with SuccessorUntil, is stored on the old token's row
	// in the same atomic write that marks it rotated: the successors sealed
	// by the security layer, so that a request one generation behind within
	// the grace window gets the same pair. The store keeps them until
	// DeleteExpiredTokens passes SuccessorUntil or the session is revoked.
	SealedSuccessor string
	SuccessorUntil  time.Time
}

// SessionStore keeps sessions and their token hashes. Lookups by hash are
// not organisation-scoped: a token hash identifies its tenant.
type SessionStore interface {
	// CreateSession writes a new session with its first tokens.
	CreateSession(ctx context.Context, s SessionStart) error
	// GetSession returns session id (any organisation).
	GetSession(ctx context.Context, id string) (Session, error)
	// GetAccessGrant looks up an access token by hash with its session.
	// Expired or revoked grants are returned as they are; the caller decides.
	GetAccessGrant(ctx context.Context, hash []byte) (AccessGrant, error)
	// GetRefreshToken looks up a refresh token by hash.
	GetRefreshToken(ctx context.Context, hash []byte) (RefreshToken, error)
	// RotateRefresh performs r atomically. ErrConflict if the old token was
	// already rotated or its session revoked; ErrNotFound if it does not exist.
	RotateRefresh(ctx context.Context, r Rotation) error
	// RevokeSession marks the session revoked at `at` (idempotent; the first
	// time is kept). Its tokens stay stored but no longer authorise; the
	// sealed successors of its refresh tokens are removed.
	RevokeSession(ctx context.Context, id string, at time.Time) error
	// ListSessions returns a subject's sessions (including revoked ones),
	// newest first.
	ListSessions(ctx context.Context, orgID string, kind SubjectKind, subjectID string) ([]Session, error)
	// TouchSession records activity on a session.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteExpiredTokens removes token hashes that expired before `before`
	// and returns how many were removed. It also removes (uncounted) the
	// sealed successors whose SuccessorUntil is before `before`.
	DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error)
}

// Erasure anonymises one data subject (the GDPR right to erasure).
type Erasure struct {
	OrgID     string
	Kind      SubjectKind
	SubjectID string
	// Pseudonym replaces SubjectID in audit events; for agents it also
	// becomes the email (keeping the column unique and login impossible).
	Pseudonym string
	At        time.Time
}

// Validate reports an erasure that no backend may carry out: an unknown
// subject kind, a missing organisation, subject, pseudonym or time, or a
// pseudonym equal to the subject id.
func (e Erasure) Validate() error {
	switch {
	case e.Kind != SubjectVisitor && e.Kind != SubjectAgent:
		return fmt.Errorf("unknown subject kind %q", e.Kind)
	case e.OrgID == "" || e.SubjectID == "":
		return errors.New("need an organisation and a subject")
	case e.Pseudonym == "" || e.Pseudonym == e.SubjectID:
		return errors.New("need a pseudonym distinct from the subject id")
	case e.At.IsZero():
		return errors.New("zero time")
	}
	return nil
}

// ErasureStore erases data subjects.
type ErasureStore interface {
	// EraseSubject anonymises a subject in one atomic write. A visitor's
	// name, email, phone and email index are cleared; an agent's name and
	// password hash are cleared, its email becomes the pseudonym, and its
	// passkeys and recorded sign-in addresses (SignInIPStore) are deleted.
	// Either way DeletedAt is set, every session of the subject is revoked
	// and loses its IP address and user agent, and every audit event naming the
	// subject (as actor or target) names Pseudonym instead; the events it
	// performed also lose their IP address and user agent. Conversations
	// (their previews included) and messages stay, and so do an agent's
	// read marks (MarkAgentRead): they hold nothing but the agent id, which
	// its messages and assignments keep too. Erasing an erased subject
	// changes nothing and returns nil. ErrNotFound if the subject is not in
	// the organisation. Erasing a visitor also erases the customer user
	// linked to it (CustomerUser.VisitorID): its external id, index, name
	// and email are cleared and DeletedAt set, so its chat tokens fail.
	EraseSubject(ctx context.Context, e Erasure) error
}

// AuditStore keeps the audit trail, append-only: one hash chain per
// organisation (storage/auditchain.go).
type AuditStore interface {
	// AppendAudit stores e as the next link of its organisation's chain:
	// it reads the chain's head and stores ChainAudit(e, head) in one
	// atomic step, so concurrent appends (from any number of nodes) to one
	// organisation never fork the chain or leave a hole in Seq. The
	// caller's Seq, PrevHash, Hash and Commits are ignored; an empty ID is
	// generated. ErrConflict if the id is taken.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// QueryAudit returns a page of the organisation's events matching q,
	// newest first (descending Seq): at most q.Limit of them (<= 0 means
	// 100; capped at MaxAuditQueryLimit).
	QueryAudit(ctx context.Context, orgID string, q AuditQuery) ([]AuditEvent, error)
	// AuditOrgs returns the ids of the organisations that have audit
	// events, in ascending order ("" — events bound to no organisation,
	// such as sign-in attempts for unknown emails — is one of them).
	AuditOrgs(ctx context.Context) ([]string, error)
	// AuditChain returns up to limit events of the organisation with Seq >
	// afterSeq in ascending Seq order (limit <= 0 means 100; capped at
	// 1000); afterSeq < 0 also returns the events with no sequence number
	// (Seq 0), first. VerifyAuditChain walks a chain with it.
	AuditChain(ctx context.Context, orgID string, afterSeq int64, limit int) ([]AuditEvent, error)
	// ListAudit returns the organisation's most recent events, newest first.
	ListAudit(ctx context.Context, orgID string, limit int) ([]AuditEvent, error)
	// ListAuditForSubject returns the organisation's most recent events whose
	// ActorID or TargetID is subjectID, newest first (data-subject export).
	ListAuditForSubject(ctx context.Context, orgID, subjectID string, limit int) ([]AuditEvent, error)
}

// AuditQuery filters and pages QueryAudit. Zero fields do not filter.
type AuditQuery struct {
	Action  string    // exactly this action
	ActorID string    // exactly this actor
	Since   time.Time // CreatedAt at or after Since
	// BeforeSeq, when positive, keeps events with Seq < BeforeSeq: the
	// cursor of the next page is the Seq of the last event of this one.
	BeforeSeq int64
	Limit     int
}

// MaxAuditQueryLimit caps AuditQuery.Limit.
const MaxAuditQueryLimit = 1000

// MetaStore keeps a few named store-wide values (such as the keyring
// fingerprint, MetaKeyringFingerprint). Values are short non-empty strings.
type MetaStore interface {
	// Meta returns the value stored under name, ErrNotFound if none is.
	Meta(ctx context.Context, name string) (string, error)
	// SwapMeta sets name to value if its current value is old, where old ""
	// means "no value yet", atomically (two nodes racing agree on one
	// winner). It reports whether it wrote; false means the current value
	// is not old (read it again with Meta). value must not be empty.
	SwapMeta(ctx context.Context, name, old, value string) (bool, error)
}

// MetaKeyringFingerprint names the fingerprint of the keyring the store's
// sealed values are written under (security.KeyringFingerprint).
const MetaKeyringFingerprint = "keyring_fingerprint"
