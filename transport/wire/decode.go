package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// ClientFrame is one decoded, validated client frame: the envelope's Type and
// Ref and, for every type but ping, exactly one non-nil payload pointer.
type ClientFrame struct {
	Type        string
	Ref         string // "" when the client sent none
	Auth        *Auth
	Start       *ConversationStart
	Join        *ConversationJoin
	Leave       *ConversationRef
	Claim       *ConversationRef
	Transfer    *ConversationTransfer
	Close       *ConversationRef
	Reopen      *ConversationRef
	MessageSend *MessageSend
	Typing      *Typing
	Read        *Read
	PresenceSet *PresenceSet
	InboxWatch  *InboxWatch
}

// Payload returns the frame's payload pointer, or nil for a ping.
func (f ClientFrame) Payload() any {
	switch {
	case f.Auth != nil:
		return f.Auth
	case f.Start != nil:
		return f.Start
	case f.Join != nil:
		return f.Join
	case f.Leave != nil:
		return f.Leave
	case f.Claim != nil:
		return f.Claim
	case f.Transfer != nil:
		return f.Transfer
	case f.Close != nil:
		return f.Close
	case f.Reopen != nil:
		return f.Reopen
	case f.MessageSend != nil:
		return f.MessageSend
	case f.Typing != nil:
		return f.Typing
	case f.Read != nil:
		return f.Read
	case f.PresenceSet != nil:
		return f.PresenceSet
	case f.InboxWatch != nil:
		return f.InboxWatch
	}
	return nil
}

// DecodeClient decodes one client frame (one WebSocket message) and
// validates it against the schema in docs/protocol.md. Unlike encoding/json
// it matches member names exactly and refuses duplicate and unknown names,
// unpaired surrogate escapes and non-integer numbers, so that what helpr
// validates is what every other JSON reader would see.
//
// Every error is an *Error with code CodeBadFrame, CodeUnknownType or
// CodeValidationFailed and a message that names the problem without
// echoing the client's value. On error the returned frame still carries
// Type (when known) and Ref (when valid), so the error frame can echo Ref;
// its payload pointers are nil. The frame never aliases b.
func DecodeClient(b []byte) (ClientFrame, error) {
	var f ClientFrame
	if len(b) > MaxFrameBytes {
		return f, NewError(CodeBadFrame, "frame is larger than 32 KiB")
	}
	if err := checkJSON(b); err != nil {
		return f, err
	}
	env, err := readEnvelope(b)
	if err != nil {
		return f, err
	}
	if !isClientType(env.typ) {
		return f, NewError(CodeUnknownType, "unknown frame type")
	}
	f.Type = env.typ
	if err := CheckRef(env.ref); err != nil {
		return f, err
	}
	f.Ref = env.ref
	return f, decodePayload(&f, env.data)
}

// checkJSON refuses anything that is not one well-formed UTF-8 JSON value.
func checkJSON(b []byte) error {
	if !utf8.Valid(b) {
		return NewError(CodeBadFrame, "frame is not valid UTF-8")
	}
	if json.Valid(b) {
		return nil
	}
	var first json.RawMessage
	if json.NewDecoder(bytes.NewReader(b)).Decode(&first) == nil {
		return NewError(CodeBadFrame, "data after the JSON object: send one frame per message")
	}
	return NewError(CodeBadFrame, "frame is not valid JSON")
}

func isClientType(t string) bool {
	switch t {
	case TypeAuth, TypeConversationStart, TypeConversationJoin, TypeConversationLeave,
		TypeConversationClaim, TypeConversationTransfer, TypeConversationClose, TypeConversationReopen,
		TypeMessageSend, TypeTyping, TypeRead, TypePresenceSet, TypeInboxWatch, TypePing:
		return true
	}
	return false
}

// clientPayload is a client payload type: it lists its fields for the decoder
// and validates itself.
type clientPayload[T any] interface {
	*T
	Validate() error
	fields() []field
}

// decodeTo decodes data into a new T, validates it and stores it in *dst.
func decodeTo[T any, P clientPayload[T]](dst **T, data []byte) error {
	v := P(new(T))
	if err := decodeFields(data, v.fields()); err != nil {
		return err
	}
	if err := v.Validate(); err != nil {
		return err
	}
	*dst = v
	return nil
}

func decodePayload(f *ClientFrame, data []byte) error {
	switch f.Type {
	case TypeAuth:
		return decodeTo(&f.Auth, data)
	case TypeConversationStart:
		return decodeTo(&f.Start, data)
	case TypeConversationJoin:
		return decodeTo(&f.Join, data)
	case TypeConversationLeave:
		return decodeTo(&f.Leave, data)
	case TypeConversationClaim:
		return decodeTo(&f.Claim, data)
	case TypeConversationTransfer:
		return decodeTo(&f.Transfer, data)
	case TypeConversationClose:
		return decodeTo(&f.Close, data)
	case TypeConversationReopen:
		return decodeTo(&f.Reopen, data)
	case TypeMessageSend:
		return decodeTo(&f.MessageSend, data)
	case TypeTyping:
		return decodeTo(&f.Typing, data)
	case TypeRead:
		return decodeTo(&f.Read, data)
	case TypePresenceSet:
		return decodeTo(&f.PresenceSet, data)
	case TypeInboxWatch:
		return decodeTo(&f.InboxWatch, data)
	default: // ping
		return decodeFields(data, nil)
	}
}

func (a *Auth) fields() []field { return []field{stringField("token", &a.Token)} }

func (*ConversationStart) fields() []field { return nil }

func (c *ConversationRef) fields() []field {
	return []field{stringField("conversation_id", &c.ConversationID)}
}

func (c *ConversationJoin) fields() []field {
	return []field{
		stringField("conversation_id", &c.ConversationID),
		{name: "after_seq", num: &c.AfterSeq, optional: true},
	}
}

func (c *ConversationTransfer) fields() []field {
	return []field{
		stringField("conversation_id", &c.ConversationID),
		stringField("agent_id", &c.AgentID),
	}
}

func (m *MessageSend) fields() []field {
	return []field{
		stringField("conversation_id", &m.ConversationID),
		stringField("client_id", &m.ClientID),
		stringField("text", &m.Text),
	}
}

func (t *Typing) fields() []field {
	return []field{
		stringField("conversation_id", &t.ConversationID),
		{name: "active", flag: &t.Active},
	}
}

func (r *Read) fields() []field {
	return []field{
		stringField("conversation_id", &r.ConversationID),
		{name: "seq", num: &r.Seq},
	}
}

func (p *PresenceSet) fields() []field { return []field{stringField("status", &p.Status)} }

func (w *InboxWatch) fields() []field { return []field{stringField("scope", &w.Scope)} }

// rawEnvelope is the envelope as read: data is the raw bytes of the data
// member, nil when absent or null.
type rawEnvelope struct {
	typ, ref string
	data     []byte
}

var envelopeNames = [...]string{"type", "ref", "data"}

// readEnvelope reads the top-level object: exactly the members type, ref
// and data, each at most once.
func readEnvelope(b []byte) (rawEnvelope, error) {
	var env rawEnvelope
	var seen [len(envelopeNames)]bool
	s := scanner{b: b}
	err := s.object(func(name []byte) error {
		i := envelopeIndex(name)
		if i < 0 {
			return unknownName(CodeBadFrame, "envelope field", name)
		}
		if seen[i] {
			return NewError(CodeBadFrame, "duplicate envelope field \""+envelopeNames[i]+"\"")
		}
		seen[i] = true
		return env.read(&s, i)
	})
	switch {
	case errors.Is(err, errNotObject):
		return env, NewError(CodeBadFrame, "frame is not a JSON object")
	case err != nil:
		return env, asError(err)
	case !s.atEnd():
		return env, NewError(CodeBadFrame, "data after the JSON object: send one frame per message")
	case env.typ == "":
		return env, NewError(CodeBadFrame, "frame has no type")
	}
	return env, nil
}

func envelopeIndex(name []byte) int {
	for i, n := range envelopeNames {
		if string(name) == n {
			return i
		}
	}
	return -1
}

// read reads the value of envelope member i.
func (env *rawEnvelope) read(s *scanner, i int) error {
	switch i {
	case 0:
		v, err := s.str()
		if errors.Is(err, errSurrogate) {
			return NewError(CodeUnknownType, "unknown frame type")
		}
		env.typ = string(v)
		return envelopeValueError(err, "type must be a string")
	case 1:
		if s.null() {
			return nil
		}
		v, err := s.str()
		if errors.Is(err, errSurrogate) {
			return refError()
		}
		env.ref = string(v)
		return envelopeValueError(err, "ref must be a string")
	default:
		if s.null() {
			return nil
		}
		v, err := s.skipValue()
		env.data = v
		return asError(err)
	}
}

func envelopeValueError(err error, wrongType string) error {
	if errors.Is(err, errWrongType) {
		return NewError(CodeBadFrame, wrongType)
	}
	return asError(err)
}

// asError passes *Error values through and reports any other scanner
// failure as a malformed frame.
func asError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return NewError(CodeBadFrame, "frame is not valid JSON")
}

// unknownName reports an unknown member name, quoting it only when it is a
// short plain identifier (so the message never carries arbitrary input).
func unknownName(code ErrorCode, what string, name []byte) *Error {
	if len(name) == 0 || len(name) > 32 {
		return NewError(code, "unknown "+what)
	}
	for _, c := range name {
		if !isClientIDByte(c) {
			return NewError(code, "unknown "+what)
		}
	}
	return NewError(code, "unknown "+what+" \""+string(name)+"\"")
}
