package main

import (
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// handle runs one decoded frame. Nothing is authorised: the floor only
// relays.
func (c *floorConn) handle(fr wire.ClientFrame) {
	switch fr.Type {
	case wire.TypePing:
		c.enqueue(mustEncode(wire.TypePong, fr.Ref, nil))
	case wire.TypeAuth:
		c.enqueue(mustEncode(wire.TypeReady, fr.Ref, c.ready()))
	case wire.TypeConversationStart:
		c.start(fr.Ref)
	case wire.TypeConversationJoin:
		c.join(fr.Ref, fr.Join)
	case wire.TypeConversationLeave:
		c.leave(fr.Leave.ConversationID)
	case wire.TypeMessageSend:
		c.send(fr.Ref, fr.MessageSend)
	case wire.TypeConversationClaim:
		c.assign(fr.Ref, fr.Claim.ConversationID, func(st *wire.Conversation) { st.AssigneeID = c.who.ID })
	case wire.TypeConversationTransfer:
		c.assign(fr.Ref, fr.Transfer.ConversationID, func(st *wire.Conversation) { st.AssigneeID = fr.Transfer.AgentID })
	case wire.TypeConversationClose:
		c.assign(fr.Ref, fr.Close.ConversationID, func(st *wire.Conversation) { st.Status = "closed" })
	case wire.TypeTyping:
		t := *fr.Typing
		t.SenderKind, t.SenderID = c.who.Kind, c.who.ID
		c.relay(t.ConversationID, wire.TypeTyping, &t)
	case wire.TypeRead:
		c.relay(fr.Read.ConversationID, wire.TypeReceipt,
			&wire.Receipt{ConversationID: fr.Read.ConversationID, Side: c.who.Kind, Seq: fr.Read.Seq})
	case wire.TypePresenceSet: // accepted, nothing to tell
	}
}

// start opens a conversation, answers with its state and joins the sender
// to it (a joined frame without ref), as helpr does for a visitor.
func (c *floorConn) start(ref string) {
	cv := c.f.startConversation(c.who)
	cv.mu.Lock()
	defer cv.mu.Unlock()
	st := cv.state
	c.enqueue(mustEncode(wire.TypeConversation, ref, &st))
	c.addLocked(cv, "")
}

// join adds the connection to a conversation's members; nothing is
// replayed (nothing is stored).
func (c *floorConn) join(ref string, j *wire.ConversationJoin) {
	cv := c.f.conv(j.ConversationID)
	if cv == nil {
		c.enqueue(errorFrame(ref, wire.NewError(wire.CodeNotFound, "conversation not found")))
		return
	}
	cv.mu.Lock()
	defer cv.mu.Unlock()
	c.addLocked(cv, ref)
}

// addLocked makes c a member of cv and sends joined; cv.mu is held, so no
// live message can slip between the two.
func (c *floorConn) addLocked(cv *floorConv, ref string) {
	cv.members[c] = struct{}{}
	c.joined[cv.state.ID] = cv
	c.enqueue(mustEncode(wire.TypeJoined, ref,
		&wire.Joined{ConversationID: cv.state.ID, LastSeq: cv.state.LastSeq}))
}

// leave stops live delivery of one conversation.
func (c *floorConn) leave(id string) {
	cv := c.joined[id]
	if cv == nil {
		return
	}
	delete(c.joined, id)
	cv.mu.Lock()
	delete(cv.members, c)
	cv.mu.Unlock()
}

// leaveAll leaves every joined conversation (the connection ended).
func (c *floorConn) leaveAll() {
	for id := range c.joined {
		c.leave(id)
	}
}

// send gives the message the conversation's next seq, acks it and relays
// it, encoded once, to every member.
func (c *floorConn) send(ref string, m *wire.MessageSend) {
	cv := c.f.conv(m.ConversationID)
	if cv == nil {
		c.enqueue(errorFrame(ref, wire.NewError(wire.CodeNotFound, "conversation not found")))
		return
	}
	msg := wire.Message{ConversationID: m.ConversationID, ID: storage.NewID("msg"), ClientID: m.ClientID,
		SenderKind: c.who.Kind, SenderID: c.who.ID, Text: m.Text, CreatedAt: c.f.stamp()}
	cv.mu.Lock()
	defer cv.mu.Unlock()
	cv.state.LastSeq++
	msg.Seq = cv.state.LastSeq
	c.enqueue(wire.EncodeAck(ref, &wire.Ack{ConversationID: msg.ConversationID, ClientID: msg.ClientID,
		MessageID: msg.ID, Seq: msg.Seq, CreatedAt: msg.CreatedAt}))
	b := wire.EncodeMessage(&msg)
	for member := range cv.members {
		member.enqueue(b)
	}
}

// assign changes a conversation's state (claim, transfer, close), answers
// with it and tells members and the organisation's agents.
func (c *floorConn) assign(ref, id string, change func(*wire.Conversation)) {
	cv := c.f.conv(id)
	if cv == nil {
		c.enqueue(errorFrame(ref, wire.NewError(wire.CodeNotFound, "conversation not found")))
		return
	}
	cv.mu.Lock()
	change(&cv.state)
	cv.state.UpdatedAt = c.f.stamp()
	st := cv.state
	b := mustEncode(wire.TypeConversation, "", &st)
	for member := range cv.members {
		if member.who.Kind != "agent" {
			member.enqueue(b)
		}
	}
	cv.mu.Unlock()
	c.enqueue(mustEncode(wire.TypeConversation, ref, &st))
	c.f.toInbox(cv.orgID, st)
}

// relay sends one frame, encoded once, to a conversation's members.
func (c *floorConn) relay(id, typ string, payload any) {
	cv := c.f.conv(id)
	if cv == nil {
		return
	}
	b := mustEncode(typ, "", payload)
	cv.mu.Lock()
	defer cv.mu.Unlock()
	for member := range cv.members {
		member.enqueue(b)
	}
}
