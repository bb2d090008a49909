package ws

import (
	"context"
	"errors"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/wire"
)

// handleFrame is the per-frame security middleware followed by dispatch:
// the token is re-validated through the session cache (so logout,
// revocation and expiry act on the very next frame), the connection's token
// bucket is charged, and the frame is decoded and schema-validated. Each
// failure answers with an error frame or closes with a documented code.
func (c *conn) handleFrame(ctx context.Context, typ websocket.MessageType, data []byte) {
	c.s.cfg.Metrics.FramesIn.Inc()
	if !c.checkToken(ctx) {
		return
	}
	if !c.bucket.Take() {
		c.limited++
		if c.limited > maxConsecutiveRateLimited {
			c.fail(closeFor(errRateLimited))
			return
		}
		c.sendError(refOf(typ, data), wire.CodeRateLimited, "too many frames; slow down")
		return
	}
	c.limited = 0
	if typ != websocket.MessageText {
		c.badFrame("", wire.CodeBadFrame, "frames are UTF-8 JSON text messages")
		return
	}
	f, err := wire.DecodeClient(data)
	if err != nil {
		var werr *wire.Error
		if !errors.As(err, &werr) {
			werr = &wire.Error{Code: string(wire.CodeBadFrame), Message: "malformed frame"}
		}
		c.badFrame(f.Ref, wire.ErrorCode(werr.Code), werr.Message)
		return
	}
	c.badFrames = 0
	c.dispatch(ctx, f)
}

// badFrame answers a frame that could not be decoded; a run of them closes
// the connection as a protocol violation.
func (c *conn) badFrame(ref string, code wire.ErrorCode, message string) {
	c.badFrames++
	if c.badFrames > maxConsecutiveBadFrames {
		c.fail(closeFor(errProtocol))
		return
	}
	c.sendError(ref, code, message)
}

// dispatch routes a decoded frame to its handler.
func (c *conn) dispatch(ctx context.Context, f wire.ClientFrame) {
	switch {
	case f.Auth != nil:
		c.reauth(ctx, f.Ref, f.Auth)
	case f.MessageSend != nil:
		if done, ok := c.admitSend(f.Ref); ok {
			c.sendMessage(ctx, f.Ref, f.MessageSend)
			done()
		}
	case f.Typing != nil:
		c.reply(f.Ref, c.s.cfg.Hub.Typing(ctx, c.actor, f.Typing.ConversationID, f.Typing.Active))
	case f.Read != nil:
		_, err := c.s.cfg.Hub.MarkRead(ctx, c.actor, f.Read.ConversationID, f.Read.Seq)
		c.reply(f.Ref, err)
	case f.Join != nil:
		c.join(ctx, f.Ref, f.Join.ConversationID, f.Join.AfterSeq)
	case f.Leave != nil:
		c.leave(f.Leave.ConversationID)
	case f.Start != nil:
		c.startConversation(ctx, f.Ref)
	case f.Claim != nil:
		c.conversationResult(f.Ref)(c.s.cfg.Hub.Claim(ctx, c.actor, f.Claim.ConversationID))
	case f.Transfer != nil:
		c.conversationResult(f.Ref)(c.s.cfg.Hub.Transfer(ctx, c.actor, f.Transfer.ConversationID, f.Transfer.AgentID))
	case f.Close != nil:
		c.conversationResult(f.Ref)(c.s.cfg.Hub.Close(ctx, c.actor, f.Close.ConversationID))
	case f.Reopen != nil:
		c.conversationResult(f.Ref)(c.s.cfg.Hub.Reopen(ctx, c.actor, f.Reopen.ConversationID))
	case f.PresenceSet != nil:
		c.reply(f.Ref, c.setPresence(f.PresenceSet.Status))
	case f.InboxWatch != nil:
		c.reply(f.Ref, c.setInboxWatch(f.InboxWatch.Scope))
	case f.Type == wire.TypePing:
		c.sendFrame(wire.TypePong, f.Ref, nil)
	}
}

// reply answers ref with an error frame when err is set; success of these
// frames is visible through the events they cause.
func (c *conn) reply(ref string, err error) {
	if err == nil {
		return
	}
	code, message, internal := errorFrameFor(err)
	if internal {
		c.s.cfg.Logger.Error().Err(err).Str("subject", c.principal.SubjectID).Msg("frame failed")
	}
	if code == wire.CodeUnavailable {
		c.s.outage.warn("frame", err)
	}
	c.sendError(ref, code, message)
}

// refOf is the ref of a frame refused before decoding (rate limited), so
// that the client can tell which frame to resend; "" when it has none.
func refOf(typ websocket.MessageType, data []byte) string {
	if typ != websocket.MessageText {
		return ""
	}
	f, _ := wire.DecodeClient(data)
	return f.Ref
}
