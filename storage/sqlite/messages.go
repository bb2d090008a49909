package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// Message list limits (ListMessages).
const (
	defaultMessageLimit = 100
	maxMessageLimit     = 500
)

const messageCols = `id, org_id, conversation_id, seq, COALESCE(client_id, ''),
	sender_kind, sender_id, text, created_at`

// knownSender reports whether k passes the messages table's CHECK.
func knownSender(k storage.SenderKind) bool {
	return k == storage.SenderVisitor || k == storage.SenderAgent || k == storage.SenderSystem
}

func scanMessage(sc scanner) (storage.Message, error) {
	var m storage.Message
	err := sc.Scan(&m.ID, &m.OrgID, &m.ConversationID, &m.Seq, &m.ClientID,
		&m.SenderKind, &m.SenderID, &m.Text, at(&m.CreatedAt))
	return m, translate(err)
}

// AppendMessage stores m in its conversation under the next sequence
// number, in one transaction that also advances the conversation's LastSeq
// and sets its UpdatedAt to m.CreatedAt, its Preview to
// storage.PreviewOf(m.Text) (computed before the commit, off the single
// writer) and its LastSenderKind to m.SenderKind, in the same UPDATE. A message with the same
// (ConversationID, ClientID) is returned instead, with created == false,
// even once the conversation is closed. An empty ClientID is never
// deduplicated. An empty ID is generated. ErrNotFound if the conversation
// does not exist in m.OrgID; ErrConversationClosed if it is closed: the
// bump's WHERE clause requires status 'open', so the check is the write.
//
// Concurrent calls are group-committed: they share one transaction and one
// fsync, each returning once the commit holding its message is durable
// (see committer). A lone call commits at once.
func (s *Store) AppendMessage(ctx context.Context, m storage.Message) (storage.Message, bool, error) {
	res := s.appendVia(ctx, m, false)
	return res.stored, res.created, res.err
}

// AppendMessageChecked is AppendMessage for a sender that must be a
// participant of an open conversation (see storage.MessageStore). The
// checks are in the WHERE clause of the UPDATE that takes the sequence
// number, which returns the updated conversation: an accepted message
// costs the same statements as AppendMessage (client id lookup, bump,
// insert), with no read of the conversation. Only a bump that matched no
// row runs a query to tell a closed conversation from a missing or
// foreign one (whyNoBump), and only a duplicate reads the conversation.
// Group-committed like AppendMessage.
func (s *Store) AppendMessageChecked(ctx context.Context, m storage.Message) (storage.Appended, error) {
	res := s.appendVia(ctx, m, true)
	if res.err != nil {
		return storage.Appended{}, res.err
	}
	return storage.Appended{Message: res.stored, Created: res.created, Conversation: res.conv}, nil
}

// appendVia stores m through the group committer, with the participant
// checks of AppendMessageChecked when checked.
func (s *Store) appendVia(ctx context.Context, m storage.Message, checked bool) appendResult {
	// A generated ID and a known sender kind cannot make the insert fail
	// for this message alone, so it needs no savepoint in a group commit.
	risky := m.ID != "" || !knownSender(m.SenderKind)
	if m.ID == "" {
		m.ID = storage.NewID("msg")
	}
	res := s.groupAppend(ctx, m, storage.PreviewOf(m.Text), risky, checked)
	if res.err != nil {
		return appendResult{err: fmt.Errorf("append message to %s: %w", m.ConversationID, res.err)}
	}
	return res
}

// appendMessage appends r's message inside tx using the prepared
// statements st, and sets the conversation's preview (r.preview) with its
// seq; r.checked adds AppendMessageChecked's checks and the conversation
// to the result. The result's err is the item's failure; partial reports
// one after the conversation's seq was taken, which leaves a write in tx
// that must be rolled back.
func appendMessage(ctx context.Context, tx *sql.Tx, st *appendStmts, r *appendReq) (res appendResult, partial bool) {
	m := r.msg
	if m.ClientID != "" {
		row := tx.StmtContext(ctx, st.byClientID).QueryRowContext(ctx, m.ConversationID, m.ClientID, m.OrgID)
		prev, err := scanMessage(row)
		switch {
		case err == nil && r.checked:
			return duplicate(ctx, tx, st, m, prev), false
		case !errors.Is(err, storage.ErrNotFound):
			return appendResult{stored: prev, err: err}, false // found (err == nil) or failed
		}
	}
	seq, conv, err := bump(ctx, tx, st, r)
	if err != nil {
		return appendResult{err: whyNoBump(ctx, tx, r, translate(err))}, false
	}
	m.Seq = seq
	_, err = tx.StmtContext(ctx, st.insert).ExecContext(ctx, m.ID, m.OrgID, m.ConversationID, m.Seq,
		nullIfEmpty(m.ClientID), string(m.SenderKind), m.SenderID, m.Text, ms(m.CreatedAt))
	if err != nil {
		return appendResult{err: translate(err)}, true
	}
	return appendResult{stored: m, created: true, conv: conv}, false
}

// bump takes the conversation's next sequence number and sets its preview
// and last sender; for a checked request only if the sender takes part,
// returning the updated conversation too.
func bump(ctx context.Context, tx *sql.Tx, st *appendStmts, r *appendReq) (int64, storage.Conversation, error) {
	m := r.msg
	args := []any{ms(m.CreatedAt), r.preview, string(m.SenderKind), m.ConversationID, m.OrgID}
	if !r.checked {
		var seq int64
		err := tx.StmtContext(ctx, st.bump).QueryRowContext(ctx, args...).Scan(&seq)
		return seq, storage.Conversation{}, err
	}
	args = append(args, m.SenderKind != storage.SenderVisitor, m.SenderID)
	c, err := scanConversation(tx.StmtContext(ctx, st.bumpChecked).QueryRowContext(ctx, args...))
	return c.LastSeq, c, err
}

// duplicate answers a checked append whose client id is taken by prev:
// prev with the conversation as stored, or ErrNotFound when m's sender is
// a visitor not taking part in it.
func duplicate(ctx context.Context, tx *sql.Tx, st *appendStmts, m, prev storage.Message) appendResult {
	c, err := scanConversation(tx.StmtContext(ctx, st.conversation).QueryRowContext(ctx, m.ConversationID, m.OrgID))
	switch {
	case err != nil:
		return appendResult{err: err}
	case !takesPart(c.VisitorID, m):
		return appendResult{err: storage.ErrNotFound}
	}
	return appendResult{stored: prev, conv: c}
}

// takesPart reports whether m's sender takes part in the conversation of
// visitorID: any sender but a visitor does, a visitor only in its own.
func takesPart(visitorID string, m storage.Message) bool {
	return m.SenderKind != storage.SenderVisitor || visitorID == m.SenderID
}

// whyNoBump explains a sequence bump that matched no row (err is
// ErrNotFound): ErrConversationClosed if the conversation exists in m.OrgID
// (and, for a checked request, the sender takes part in it) but is not
// open, else err. It runs only on that failure path, so an append to an
// open conversation pays no extra query.
func whyNoBump(ctx context.Context, tx *sql.Tx, r *appendReq, err error) error {
	if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	m := r.msg
	var status, visitorID string
	row := tx.QueryRowContext(ctx, "SELECT status, visitor_id FROM conversations WHERE id = ? AND org_id = ?",
		m.ConversationID, m.OrgID)
	switch serr := row.Scan(&status, &visitorID); {
	case serr != nil:
		return translate(serr)
	case r.checked && !takesPart(visitorID, m):
		return err
	case status != string(storage.ConversationOpen):
		return storage.ErrConversationClosed
	}
	return err
}

// ListMessages returns up to limit messages of the conversation with
// Seq > afterSeq in ascending Seq order (limit <= 0 means 100, capped at
// 500). A conversation of another organisation has no messages.
func (s *Store) ListMessages(ctx context.Context, orgID, conversationID string, afterSeq int64, limit int) ([]storage.Message, error) {
	const q = "SELECT " + messageCols + ` FROM messages
		WHERE conversation_id = ? AND org_id = ? AND seq > ? ORDER BY seq LIMIT ?`
	n := clamp(limit, defaultMessageLimit, maxMessageLimit)
	list, err := queryList(ctx, s.r, scanMessage, q, conversationID, orgID, afterSeq, n)
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", conversationID, err)
	}
	return list, nil
}
