package wire

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Schema limits of client frames (docs/protocol.md).
const (
	MaxIDLen       = 64   // conversation and agent ids: 1..64 printable ASCII
	MaxClientIDLen = 64   // client_id: 1..64 of [A-Za-z0-9._:-]
	MaxRefLen      = 64   // ref: 0..64 printable ASCII
	MaxTextChars   = 4000 // message text: 1..4000 characters
	MaxTokenLen    = 2048 // auth token: 1..2048 bytes (a chat JWT is ~500)
)

// Presence statuses a client may set.
const (
	StatusOnline = "online"
	StatusAway   = "away"
)

// Activity scopes an agent may watch (inbox.watch).
const (
	ScopeAll  = "all"
	ScopeMine = "mine"
	ScopeNone = "none"
)

// validationf returns a validation_failed error. Callers pass field names
// and limits only, never client values.
func validationf(format string, args ...any) *Error {
	return NewError(CodeValidationFailed, fmt.Sprintf(format, args...))
}

// printableASCII reports whether s is visible ASCII (0x21..0x7E): no
// spaces, no control characters.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func checkID(field, v string) error {
	if len(v) == 0 || len(v) > MaxIDLen || !printableASCII(v) {
		return validationf("%s must be 1 to %d printable ASCII characters", field, MaxIDLen)
	}
	return nil
}

// CheckRef validates an envelope ref: at most 64 printable ASCII characters.
func CheckRef(ref string) error {
	if len(ref) > MaxRefLen || !printableASCII(ref) {
		return refError()
	}
	return nil
}

func refError() *Error {
	return validationf("ref must be at most %d printable ASCII characters", MaxRefLen)
}

func isClientIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == ':' || c == '-'
}

func checkClientID(v string) error {
	ok := len(v) > 0 && len(v) <= MaxClientIDLen
	for i := 0; ok && i < len(v); i++ {
		ok = isClientIDByte(v[i])
	}
	if !ok {
		return validationf("client_id must be 1 to %d characters of A-Z a-z 0-9 . _ : -", MaxClientIDLen)
	}
	return nil
}

// CheckText validates message text: valid UTF-8, 1..4000 characters (code
// points), and no control characters (C0, DEL, C1) other than tab, line
// feed and carriage return.
func CheckText(text string) error {
	if !utf8.ValidString(text) {
		return validationf("text must be valid UTF-8")
	}
	n := 0
	for _, r := range text {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return validationf("text must not contain control characters other than tab and line breaks")
		}
		n++
	}
	if n == 0 || n > MaxTextChars {
		return validationf("text must be 1 to %d characters", MaxTextChars)
	}
	return nil
}

func checkSeq(field string, v int64) error {
	if v < 0 {
		return validationf("%s must be a non-negative integer", field)
	}
	return nil
}

// Validate checks the token's length (1..512 bytes).
func (a *Auth) Validate() error {
	if len(a.Token) == 0 || len(a.Token) > MaxTokenLen {
		return validationf("token must be 1 to %d bytes", MaxTokenLen)
	}
	return nil
}

// Validate accepts the empty value: conversation.start has no fields.
func (*ConversationStart) Validate() error { return nil }

// Validate checks the conversation id.
func (c *ConversationRef) Validate() error { return checkID("conversation_id", c.ConversationID) }

// Validate checks the conversation id and that after_seq is not negative.
func (c *ConversationJoin) Validate() error {
	if err := checkID("conversation_id", c.ConversationID); err != nil {
		return err
	}
	return checkSeq("after_seq", c.AfterSeq)
}

// Validate checks both ids.
func (c *ConversationTransfer) Validate() error {
	if err := checkID("conversation_id", c.ConversationID); err != nil {
		return err
	}
	return checkID("agent_id", c.AgentID)
}

// Validate checks the conversation id, the client id and the text.
func (m *MessageSend) Validate() error {
	if err := checkID("conversation_id", m.ConversationID); err != nil {
		return err
	}
	if err := checkClientID(m.ClientID); err != nil {
		return err
	}
	return CheckText(m.Text)
}

// Validate checks a client's typing frame: a conversation id, and no
// sender fields (the server fills them in).
func (t *Typing) Validate() error {
	if t.SenderKind != "" || t.SenderID != "" {
		return validationf("sender_kind and sender_id are set by the server")
	}
	return checkID("conversation_id", t.ConversationID)
}

// Validate checks the conversation id and that seq is not negative.
func (r *Read) Validate() error {
	if err := checkID("conversation_id", r.ConversationID); err != nil {
		return err
	}
	return checkSeq("seq", r.Seq)
}

// Validate checks that the status is "online" or "away".
func (p *PresenceSet) Validate() error {
	if p.Status != StatusOnline && p.Status != StatusAway {
		return validationf("status must be %q or %q", StatusOnline, StatusAway)
	}
	return nil
}

// Validate checks the scope.
func (w *InboxWatch) Validate() error {
	if w.Scope != ScopeAll && w.Scope != ScopeMine && w.Scope != ScopeNone {
		return validationf("scope must be %q, %q or %q", ScopeAll, ScopeMine, ScopeNone)
	}
	return nil
}
