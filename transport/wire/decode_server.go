package wire

import (
	"encoding/json"
)

// ServerFrame is one decoded server frame, for clients (the bench harness,
// tests): Type, Ref and, for every type but pong, one non-nil payload.
type ServerFrame struct {
	Type         string
	Ref          string
	Ready        *Ready
	Ack          *Ack
	Message      *Message
	Joined       *Joined
	Conversation *Conversation
	Receipt      *Receipt
	Presence     *Presence
	Typing       *Typing
	Error        *Error
}

// DecodeServer decodes one server frame (one line of SplitFrames). It is
// lenient where DecodeClient is strict: unknown fields are ignored, so
// clients keep working when the server adds fields. An unknown type is an
// *Error with CodeUnknownType (clients should skip such frames); anything
// that is not a JSON object with a type is CodeBadFrame.
func DecodeServer(b []byte) (ServerFrame, error) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil || env.Type == "" {
		return ServerFrame{}, NewError(CodeBadFrame, "not a server frame")
	}
	f := ServerFrame{Type: env.Type, Ref: env.Ref}
	target, ok := f.target()
	if !ok {
		return f, NewError(CodeUnknownType, "unknown frame type")
	}
	if target == nil {
		return f, nil
	}
	data := env.Data
	if len(data) == 0 || string(data) == "null" {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, target); err != nil {
		return ServerFrame{Type: f.Type, Ref: f.Ref}, NewError(CodeValidationFailed, "malformed "+f.Type+" data")
	}
	return f, nil
}

// target allocates the payload for f.Type and returns a pointer to it; nil
// for frames without data, false for unknown types.
func (f *ServerFrame) target() (any, bool) {
	switch f.Type {
	case TypeReady:
		f.Ready = new(Ready)
		return f.Ready, true
	case TypeAck:
		f.Ack = new(Ack)
		return f.Ack, true
	case TypeMessage:
		f.Message = new(Message)
		return f.Message, true
	case TypeJoined:
		f.Joined = new(Joined)
		return f.Joined, true
	case TypeConversation:
		f.Conversation = new(Conversation)
		return f.Conversation, true
	case TypeReceipt:
		f.Receipt = new(Receipt)
		return f.Receipt, true
	case TypePresence:
		f.Presence = new(Presence)
		return f.Presence, true
	case TypeTyping:
		f.Typing = new(Typing)
		return f.Typing, true
	case TypeError:
		f.Error = new(Error)
		return f.Error, true
	case TypePong:
		return nil, true
	}
	return nil, false
}
