package hub

import (
	"context"
	"fmt"
	"sync"

	"github.com/helpr-chat/helpr/storage"
)

// Membership is a subscriber's place in a conversation's room, returned by
// Join. Its methods are safe for concurrent use.
type Membership struct {
	hub     *Hub
	room    *room
	member  *member
	lastSeq int64
	once    sync.Once
}

// LastSeq returns the sequence of the last message delivered by the end of
// Join (replayed or buffered meanwhile), or the clamped afterSeq when there
// was nothing to deliver: the client is up to date to here.
func (ms *Membership) LastSeq() int64 { return ms.lastSeq }

// Leave stops delivery: once it returns, the subscriber receives nothing
// more from this membership. It is idempotent.
func (ms *Membership) Leave() {
	ms.once.Do(func() {
		ms.member.close()
		ms.hub.removeMember(ms.room, ms.member)
		ms.hub.release(ms.room)
	})
}

// Join subscribes sub to a conversation and resumes it after afterSeq: it
// registers the membership first (live frames are buffered meanwhile),
// replays the stored messages with seq > afterSeq in order, flushes the
// buffered frames it has not delivered yet, and then goes live. The client
// receives every message after afterSeq exactly once, in order, even while
// others send concurrently.
//
// Agents may join any conversation of their organisation, visitors only
// their own (anything else is storage.ErrNotFound). A closed conversation
// can be joined to read its history. afterSeq beyond the conversation's
// last sequence is treated as its last sequence; negative is ErrInvalid.
func (h *Hub) Join(ctx context.Context, a Actor, conversationID string, afterSeq int64, sub Subscriber) (*Membership, error) {
	if sub == nil || afterSeq < 0 {
		return nil, fmt.Errorf("%w: join needs a subscriber and afterSeq >= 0", ErrInvalid)
	}
	c, err := h.authorize(ctx, a, conversationID)
	if err != nil {
		return nil, err
	}
	m := &member{sub: sub, maxPending: h.maxPending, syncing: true, last: min(afterSeq, c.LastSeq)}
	r := h.acquire(a.OrgID, conversationID)
	ms := &Membership{hub: h, room: r, member: m}
	// A refused broker subscription (Redis away) does not refuse the join:
	// the member is registered, local delivery and the replay work, and the
	// sweep subscribes the room again, filling from the store what other
	// nodes published meanwhile.
	h.report(h.addMember(r, m, c.LastSeq))
	if err := h.sync(ctx, a.OrgID, conversationID, m); err != nil {
		ms.Leave()
		return nil, err
	}
	ms.lastSeq = m.lastSeq()
	return ms, nil
}

// sync replays and flushes until the member is live.
func (h *Hub) sync(ctx context.Context, orgID, conversationID string, m *member) error {
	for {
		if err := h.replay(ctx, orgID, conversationID, m); err != nil {
			return err
		}
		if m.finishSync() {
			return nil
		}
	}
}

// replay delivers the stored messages after the member's last sequence,
// page by page, until a short page shows the store has no more.
func (h *Hub) replay(ctx context.Context, orgID, conversationID string, m *member) error {
	for {
		msgs, err := h.store.ListMessages(ctx, orgID, conversationID, m.lastSeq(), h.pageSize)
		if err != nil {
			return fmt.Errorf("replay %s: %w", conversationID, err)
		}
		for i := range msgs {
			f, err := h.messageFrame(&msgs[i])
			if err != nil {
				return err
			}
			m.replayed(f)
		}
		if len(msgs) < h.pageSize {
			return nil
		}
	}
}

// messageFrame encodes a stored message as its frame.
func (h *Hub) messageFrame(msg *storage.Message) (Frame, error) {
	data, err := h.codec.Encode(Event{
		Type: EventMessage, OrgID: msg.OrgID, ConversationID: msg.ConversationID, Message: msg,
	})
	if err != nil {
		return Frame{}, fmt.Errorf("encode message %s: %w", msg.ID, err)
	}
	return Frame{ConversationID: msg.ConversationID, Seq: msg.Seq, Data: data}, nil
}

// SubscribeInbox delivers the organisation's conversation and presence
// events to an agent's subscriber until cancel is called (idempotent; after
// it returns nothing more is delivered). For anyone but an agent it
// subscribes nothing and cancel is a no-op.
func (h *Hub) SubscribeInbox(a Actor, sub Subscriber) (cancel func()) {
	if requireAgent(a) != nil || sub == nil {
		return func() {}
	}
	m := &member{sub: sub}
	r := h.acquire(a.OrgID, "")
	h.report(h.addMember(r, m, 0)) // local delivery works without the broker
	var once sync.Once
	return func() {
		once.Do(func() {
			m.close()
			h.removeMember(r, m)
			h.release(r)
		})
	}
}
