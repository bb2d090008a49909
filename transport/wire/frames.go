package wire

import "encoding/json"

// Envelope is the outer shape of every frame in both directions:
// {"type": "...", "ref": "...", "data": {...}}. Ref is a client-chosen
// request id that the server echoes on the ack, result or error it causes.
type Envelope struct {
	Type string          `json:"type"`
	Ref  string          `json:"ref,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Client → server frame types.
const (
	TypeAuth                 = "auth"
	TypeConversationStart    = "conversation.start"
	TypeConversationJoin     = "conversation.join"
	TypeConversationLeave    = "conversation.leave"
	TypeConversationClaim    = "conversation.claim"
	TypeConversationTransfer = "conversation.transfer"
	TypeConversationClose    = "conversation.close"
	TypeConversationReopen   = "conversation.reopen"
	TypeMessageSend          = "message.send"
	TypeTyping               = "typing"
	TypeRead                 = "read"
	TypePresenceSet          = "presence.set"
	TypeInboxWatch           = "inbox.watch"
	TypePing                 = "ping"
)

// Server → client frame types. TypeTyping is used in both directions.
const (
	TypeReady        = "ready"
	TypeAck          = "ack"
	TypeMessage      = "message"
	TypeJoined       = "joined"
	TypeConversation = "conversation"
	TypeReceipt      = "receipt"
	TypePresence     = "presence"
	TypeError        = "error"
	TypePong         = "pong"
)

// Auth authenticates a connection that did not authenticate at upgrade. On
// an authenticated connection it swaps in a fresh token of the same subject.
type Auth struct {
	Token string `json:"token"`
}

// ConversationStart opens a new conversation for the visitor. It carries no
// fields: the widget and visitor come from the connection's credentials.
type ConversationStart struct{}

// ConversationRef names one conversation (join without history, leave,
// claim, close).
type ConversationRef struct {
	ConversationID string `json:"conversation_id"`
}

// ConversationJoin subscribes to a conversation; the server first replays
// every message with seq > AfterSeq, then streams live ones.
type ConversationJoin struct {
	ConversationID string `json:"conversation_id"`
	AfterSeq       int64  `json:"after_seq"`
}

// ConversationTransfer hands a conversation to another agent.
type ConversationTransfer struct {
	ConversationID string `json:"conversation_id"`
	AgentID        string `json:"agent_id"`
}

// MessageSend posts a message. ClientID is the idempotency key: resending
// the same ClientID returns the original ack, never a duplicate.
type MessageSend struct {
	ConversationID string `json:"conversation_id"`
	ClientID       string `json:"client_id"`
	Text           string `json:"text"`
}

// Typing reports that the sender started (Active) or stopped typing. On the
// way out the server fills SenderKind and SenderID.
type Typing struct {
	ConversationID string `json:"conversation_id"`
	Active         bool   `json:"active"`
	SenderKind     string `json:"sender_kind,omitempty"`
	SenderID       string `json:"sender_id,omitempty"`
}

// Read marks every message up to Seq read by the sender's side.
type Read struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
}

// PresenceSet sets an agent's availability: "online" or "away".
type PresenceSet struct {
	Status string `json:"status"`
}

// InboxWatch narrows the per-message activity an agent's connection
// receives: Scope "all" (the default), "mine" (assigned to the agent, and
// unassigned) or "none".
type InboxWatch struct {
	Scope string `json:"scope"`
}

// Ready is the server's first frame after successful authentication.
type Ready struct {
	Kind      string `json:"kind"` // "agent" or "visitor"
	SubjectID string `json:"subject_id"`
	OrgID     string `json:"org_id"`
	ExpiresAt string `json:"expires_at"` // RFC 3339, when the access token expires
}

// Ack confirms that a message is durably stored.
type Ack struct {
	ConversationID string `json:"conversation_id"`
	ClientID       string `json:"client_id"`
	MessageID      string `json:"message_id"`
	Seq            int64  `json:"seq"`
	CreatedAt      string `json:"created_at"`
	Duplicate      bool   `json:"duplicate,omitempty"`
}

// Message is a stored chat message as delivered to members.
type Message struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	ID             string `json:"id"`
	ClientID       string `json:"client_id"`
	SenderKind     string `json:"sender_kind"`
	SenderID       string `json:"sender_id,omitempty"`
	Text           string `json:"text"`
	CreatedAt      string `json:"created_at"`
}

// Joined ends a join's replay: every message up to LastSeq has been sent.
type Joined struct {
	ConversationID string `json:"conversation_id"`
	LastSeq        int64  `json:"last_seq"`
}

// Conversation is a conversation's state, sent on start, every new
// message, assignment, transfer, claim, close and reopen. Preview is the
// newest message's text, shortened (storage.PreviewOf), and LastSenderKind
// its sender kind; both are absent before the first message. AgentReadSeq
// is the agent side: the highest mark of any agent.
type Conversation struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	VisitorID      string `json:"visitor_id"`
	AssigneeID     string `json:"assignee_id,omitempty"`
	LastSeq        int64  `json:"last_seq"`
	VisitorReadSeq int64  `json:"visitor_read_seq"`
	AgentReadSeq   int64  `json:"agent_read_seq"`
	Preview        string `json:"preview,omitempty"`
	LastSenderKind string `json:"last_sender_kind,omitempty"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

// Receipt tells members that Side ("visitor" or "agent") has read up to Seq.
// For the agent side, AgentID names the agent and Seq is its own mark.
type Receipt struct {
	ConversationID string `json:"conversation_id"`
	Side           string `json:"side"`
	Seq            int64  `json:"seq"`
	AgentID        string `json:"agent_id,omitempty"`
}

// Presence reports a subject's availability: "online", "away" or "offline".
type Presence struct {
	SubjectKind string `json:"subject_kind"`
	SubjectID   string `json:"subject_id"`
	Status      string `json:"status"`
}

// Error reports why a frame was refused. Code is one of the ErrorCode values
// (errors.go, docs/protocol.md) and Message a human-readable explanation that
// never echoes the offending value. *Error is also the Go error returned by
// DecodeClient and the Validate methods.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfter, when set, is how many whole seconds (at least 1) to wait
	// before the refused frame can succeed: sent with rate_limited when a
	// per-visitor limit (conversation.start) refused it.
	RetryAfter int `json:"retry_after,omitempty"`
	// RetryAfterMS, when set, is how many milliseconds to wait before
	// resending: sent with overloaded.
	RetryAfterMS int `json:"retry_after_ms,omitempty"`
}
