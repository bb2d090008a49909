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
	// A generated ID and a known sender kind cannot make the insert fail
	// for this message alone, so it needs no savepoint in a group commit.
	risky := m.ID != "" || !knownSender(m.SenderKind)
	if m.ID == "" {
		m.ID = storage.NewID("msg")
	}
	res := s.groupAppend(ctx, m, storage.PreviewOf(m.Text), risky)
	if res.err != nil {
		return storage.Message{}, false, fmt.Errorf("append message to %s: %w", m.ConversationID, res.err)
	}
	return res.stored, res.created, nil
}

// appendMessage appends m inside tx using the prepared statements st, and
// sets the conversation's preview (PreviewOf m.Text) with its seq.
// partial reports a failure after the conversation's seq was taken, which
// leaves a write in tx that must be rolled back.
func appendMessage(ctx context.Context, tx *sql.Tx, st *appendStmts, m storage.Message, preview string) (stored storage.Message, created, partial bool, err error) {
	if m.ClientID != "" {
		row := tx.StmtContext(ctx, st.byClientID).QueryRowContext(ctx, m.ConversationID, m.ClientID, m.OrgID)
		prev, err := scanMessage(row)
		if !errors.Is(err, storage.ErrNotFound) {
			return prev, false, false, err // found (err == nil) or failed
		}
	}
	bump := tx.StmtContext(ctx, st.bump).QueryRowContext(ctx, ms(m.CreatedAt), preview, string(m.SenderKind),
		m.ConversationID, m.OrgID)
	if err := bump.Scan(&m.Seq); err != nil {
		return storage.Message{}, false, false, whyNoBump(ctx, tx, m, translate(err))
	}
	_, err = tx.StmtContext(ctx, st.insert).ExecContext(ctx, m.ID, m.OrgID, m.ConversationID, m.Seq,
		nullIfEmpty(m.ClientID), string(m.SenderKind), m.SenderID, m.Text, ms(m.CreatedAt))
	if err != nil {
		return storage.Message{}, false, true, translate(err)
	}
	return m, true, false, nil
}

// whyNoBump explains a sequence bump that matched no row (err is
// ErrNotFound): ErrConversationClosed if the conversation exists in m.OrgID
// but is not open, else err. It runs only on that failure path, so an
// append to an open conversation pays no extra query.
func whyNoBump(ctx context.Context, tx *sql.Tx, m storage.Message, err error) error {
	if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	var status string
	row := tx.QueryRowContext(ctx, "SELECT status FROM conversations WHERE id = ? AND org_id = ?", m.ConversationID, m.OrgID)
	switch serr := row.Scan(&status); {
	case serr != nil:
		return translate(serr)
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
