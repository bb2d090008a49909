package hub

import (
	"errors"

	"github.com/helpr-chat/helpr/storage"
)

// Errors returned by the hub, besides storage.ErrNotFound and
// storage.ErrConflict, which pass through wrapped.
var (
	// ErrForbidden reports an action the actor's kind may not perform (a
	// visitor claiming a conversation, an agent starting one) or a malformed
	// actor.
	ErrForbidden = errors.New("hub: forbidden")
	// ErrClosed reports an action on a closed conversation.
	ErrClosed = errors.New("hub: conversation closed")
	// ErrInvalid reports an invalid argument (empty or oversized text or
	// client id, negative sequence, unknown status, nil subscriber).
	ErrInvalid = errors.New("hub: invalid argument")
)

// Codec turns an Event into the bytes a connection writes.
//
// Encode is called once per event, possibly from several goroutines at
// once. It must not modify the event or keep its pointers. The returned
// slice is shared by every receiver of the event and must never be modified
// afterwards by anyone.
type Codec interface {
	Encode(e Event) ([]byte, error)
}

// EventType names the kind of an Event.
type EventType string

// Event types.
const (
	EventMessage      EventType = "message"      // a stored message (Message)
	EventTyping       EventType = "typing"       // ephemeral typing state (Typing)
	EventReceipt      EventType = "receipt"      // a side's read sequence (Receipt)
	EventConversation EventType = "conversation" // a conversation's new state (Conversation)
	EventPresence     EventType = "presence"     // a subject's presence (Presence)
)

// Event is something that happened in an organisation. Exactly the field
// matching Type is set. ConversationID is empty for presence events.
type Event struct {
	Type           EventType
	OrgID          string
	ConversationID string
	Message        *storage.Message
	Conversation   *storage.Conversation
	Typing         *Typing
	Receipt        *Receipt
	Presence       *Presence
}

// Typing says whether a participant is typing in a conversation.
type Typing struct {
	SenderKind storage.SenderKind
	SenderID   string
	Active     bool
}

// Receipt carries a read sequence after MarkRead: the visitor side's, or
// for an agent (AgentID set) that agent's own mark — the agent side is the
// highest of those, so the visitor sees a message read once any agent read it.
type Receipt struct {
	Side    storage.SenderKind
	Seq     int64
	AgentID string // the reading agent; "" for the visitor side
}

// PresenceStatus is a subject's availability.
type PresenceStatus string

// Presence states. Visitors are only online or offline.
const (
	PresenceOnline  PresenceStatus = "online"
	PresenceAway    PresenceStatus = "away"
	PresenceOffline PresenceStatus = "offline"
)

// Presence is a subject's presence in its organisation.
type Presence struct {
	SubjectKind storage.SubjectKind
	SubjectID   string
	Status      PresenceStatus
}

// Frame is one encoded event as handed to a Subscriber. Seq is the message
// sequence number for message events and 0 for every other event. Data is
// shared by all receivers: read it, never modify it.
type Frame struct {
	ConversationID string
	Seq            int64
	Data           []byte
}

// Subscriber receives frames: a connection, typically.
//
// Deliver must not block: it queues the frame or drops it (and then the
// connection should close itself as a slow consumer). It is called from any
// goroutine, and concurrently when one Subscriber serves several
// memberships; calls for one membership are sequential and bring its
// messages in sequence order. It must not call back into the hub.
type Subscriber interface {
	Deliver(f Frame)
}

// Actor is who is acting: an authenticated agent or visitor of OrgID.
type Actor struct {
	OrgID string
	Kind  storage.SubjectKind
	ID    string
}

// valid reports whether a names a subject of a known kind in an organisation.
func (a Actor) valid() bool {
	return a.OrgID != "" && a.ID != "" &&
		(a.Kind == storage.SubjectAgent || a.Kind == storage.SubjectVisitor)
}

// senderKind is the message sender kind matching the actor's kind.
func (a Actor) senderKind() storage.SenderKind {
	if a.Kind == storage.SubjectAgent {
		return storage.SenderAgent
	}
	return storage.SenderVisitor
}
