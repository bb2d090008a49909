package storage

import "time"

// Role is an agent's permission level within its organisation.
type Role string

// Agent roles, from most to least privileged.
const (
	RoleOwner Role = "owner"
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleAgent }

// CanManage reports whether r may add agents, change roles and manage widgets.
func (r Role) CanManage() bool { return r == RoleOwner || r == RoleAdmin }

// SubjectKind says who holds a session: an agent or a visitor.
type SubjectKind string

// Subject kinds.
const (
	SubjectAgent   SubjectKind = "agent"
	SubjectVisitor SubjectKind = "visitor"
)

// ConversationStatus is the life-cycle state of a conversation.
type ConversationStatus string

// Conversation states.
const (
	ConversationOpen   ConversationStatus = "open"
	ConversationClosed ConversationStatus = "closed"
)

// SenderKind says who wrote a message.
type SenderKind string

// Sender kinds. System messages record assignment, transfer and closing.
const (
	SenderVisitor SenderKind = "visitor"
	SenderAgent   SenderKind = "agent"
	SenderSystem  SenderKind = "system"
)

// Organization owns every other record.
type Organization struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Agent is a member of an organisation's team. Email is the login name,
// unique within the organisation (not across organisations: one person may
// belong to several) and stored lower-cased.
type Agent struct {
	ID           string
	OrgID        string
	Name         string
	Email        string
	Role         Role
	PasswordHash string // PHC string (argon2id) or a legacy bcrypt hash
	CreatedAt    time.Time
	DeletedAt    time.Time // set by erasure; zero while the account exists
	// DeactivatedAt is set by offboarding (DeactivateAgent); zero while the
	// agent may sign in. A deactivated agent keeps its history and can be
	// erased later.
	DeactivatedAt time.Time
}

// Deleted reports whether the agent's account was erased.
func (a Agent) Deleted() bool { return !a.DeletedAt.IsZero() }

// Deactivated reports whether the agent was offboarded: it cannot sign in
// by any method and its sessions are revoked.
func (a Agent) Deactivated() bool { return !a.DeactivatedAt.IsZero() }

// Widget is an embeddable chat entry point with a publishable key and the
// exact origins allowed to use it.
type Widget struct {
	ID             string
	OrgID          string
	Name           string
	PublishableKey string // "pk_…", unique across organisations
	AllowedOrigins []string
	Prechat        PrechatFields
	OfflineMessage string // shown when no agent is online; "" means the product's default text
	CreatedAt      time.Time
	// PreviousKey is the key RotateWidgetKey replaced, still accepted (by
	// the API) while now < PreviousKeyUntil; "" when never rotated.
	PreviousKey      string
	PreviousKeyUntil time.Time
}

// FieldMode says how a widget's pre-chat form treats one field.
type FieldMode string

// The field modes. The empty FieldMode means the field's default (see
// PrechatFields).
const (
	FieldRequired FieldMode = "required"
	FieldOptional FieldMode = "optional"
	FieldHidden   FieldMode = "hidden"
)

// PrechatFields configures a widget's pre-chat form. An empty mode means the
// default: name required, email optional, phone optional (see Effective).
type PrechatFields struct {
	Name, Email, Phone FieldMode
}

// Effective returns p with every empty mode replaced by its default.
func (p PrechatFields) Effective() PrechatFields {
	return PrechatFields{
		Name:  orMode(p.Name, FieldRequired),
		Email: orMode(p.Email, FieldOptional),
		Phone: orMode(p.Phone, FieldOptional),
	}
}

func orMode(m, def FieldMode) FieldMode {
	if m == "" {
		return def
	}
	return m
}

// Visitor is a person chatting through a widget. Name, Email and Phone are
// PII: backends receive and return them sealed (encrypted envelopes, see
// security.SealedStore), never in plaintext. EmailIndex is the blind index of
// the normalised email (a keyed HMAC), empty when there is no email; it is
// what exact-match lookups by email use.
type Visitor struct {
	ID         string
	OrgID      string
	WidgetID   string
	Name       string
	Email      string
	Phone      string
	EmailIndex []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	DeletedAt  time.Time // set by erasure; zero while the visitor exists
}

// Deleted reports whether the visitor was erased.
func (v Visitor) Deleted() bool { return !v.DeletedAt.IsZero() }

// Conversation is one chat between a visitor and the organisation's agents.
// LastSeq is the sequence number of its newest message (0 when empty).
// VisitorReadSeq and AgentReadSeq are the highest sequence each side has
// marked read; AgentReadSeq is the agent side as a whole (what the visitor
// sees as "Read"), at least every agent's own mark (see MarkAgentRead).
// Preview (PreviewOf the newest message's text) and LastSenderKind (who
// wrote it) are "" while the conversation is empty; AppendMessage sets them
// with LastSeq.
type Conversation struct {
	ID             string
	OrgID          string
	VisitorID      string
	WidgetID       string
	AssigneeID     string // "" while unassigned
	Status         ConversationStatus
	LastSeq        int64
	VisitorReadSeq int64
	AgentReadSeq   int64
	Preview        string     // the newest message's text, shortened (PreviewOf)
	LastSenderKind SenderKind // sender kind of the newest message; "" when empty
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       time.Time // zero while open
}

// Message is one stored chat message. Seq is assigned by the store: 1 for a
// conversation's first message, then consecutive. ClientID is the sender's
// idempotency key, unique within the conversation.
type Message struct {
	ID             string
	OrgID          string
	ConversationID string
	Seq            int64
	ClientID       string
	SenderKind     SenderKind
	SenderID       string
	Text           string
	CreatedAt      time.Time
}

// Appended is the result of MessageStore.AppendMessageChecked: the stored
// message, whether this call created it (false for a duplicate client id),
// and the conversation as stored after the append.
type Appended struct {
	// Message is the stored message: the new one, or for a duplicate the
	// one stored first under its client id.
	Message Message
	// Created is false when Message was stored by an earlier call.
	Created bool
	// Conversation is the conversation as stored after the append (for a
	// duplicate: as currently stored).
	Conversation Conversation
}

// Session is one sign-in: a token family. Its access and refresh tokens are
// stored only as SHA-256 hashes. Generation counts refresh rotations; the
// current refresh token has Generation == Session.Generation.
type Session struct {
	ID          string
	OrgID       string
	SubjectKind SubjectKind
	SubjectID   string
	RememberMe  bool
	IP          string
	UserAgent   string
	Generation  int64
	CreatedAt   time.Time
	LastSeenAt  time.Time
	RevokedAt   time.Time // zero while active
}

// Revoked reports whether the session has been revoked.
func (s Session) Revoked() bool { return !s.RevokedAt.IsZero() }

// AccessToken is the stored form of an access token.
type AccessToken struct {
	Hash      []byte // SHA-256 of the token, 32 bytes
	SessionID string
	ExpiresAt time.Time
}

// RefreshToken is the stored form of a refresh token. RotatedAt is zero
// until the token is exchanged for its successor.
type RefreshToken struct {
	Hash       []byte // SHA-256 of the token, 32 bytes
	SessionID  string
	Generation int64
	ExpiresAt  time.Time
	RotatedAt  time.Time
	// SealedSuccessor is what Rotation.SealedSuccessor stored when this token
	// was rotated, until SuccessorUntil: opaque to the store, "" when there
	// is none (not rotated, removed by DeleteExpiredTokens after
	// SuccessorUntil, or by RevokeSession). Written only by RotateRefresh.
	SealedSuccessor string
	SuccessorUntil  time.Time
}

// Rotated reports whether the token has already been exchanged.
func (r RefreshToken) Rotated() bool { return !r.RotatedAt.IsZero() }

// AccessGrant is what an access-token lookup returns: the token joined with
// its session, enough to authorise a request without another query.
type AccessGrant struct {
	TokenHash []byte
	ExpiresAt time.Time
	Session   Session
}

// AuditEvent records a security-relevant action. Detail must never hold a
// secret, a token or PII.
type AuditEvent struct {
	ID        string
	OrgID     string
	ActorKind SubjectKind // "" for anonymous actors
	ActorID   string
	Action    string // e.g. "auth.login", "auth.login_failed", "agent.created"
	TargetID  string
	IP        string
	UserAgent string
	Detail    string
	// Outcome is AuditSuccess or AuditFailure ("" is read as success).
	Outcome   string
	CreatedAt time.Time
	// Seq, PrevHash, Hash and Commits make the event a link of its
	// organisation's hash chain (storage/auditchain.go). AppendAudit
	// assigns them, ignoring what the caller set; reads return them.
	Seq      int64  // 1, 2, 3… per organisation, without holes
	PrevHash string // Hash of the organisation's previous event, "" for Seq 1
	Hash     string // AuditHash of the event
	Commits  AuditCommitments
}

// Audit outcomes.
const (
	AuditSuccess = "success"
	AuditFailure = "failure"
)

// AcceptsKey reports whether key opens widget w at now: its publishable
// key, or the key a rotation replaced while now < PreviousKeyUntil.
func (w Widget) AcceptsKey(key string, now time.Time) bool {
	if key == "" {
		return false
	}
	return key == w.PublishableKey || key == w.PreviousKey && now.Before(w.PreviousKeyUntil)
}
