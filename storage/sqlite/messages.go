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

func scanMessage(sc scanner) (storage.Message, error) {
	var m storage.Message
	err := sc.Scan(&m.ID, &m.OrgID, &m.ConversationID, &m.Seq, &m.ClientID,
		&m.SenderKind, &m.SenderID, &m.Text, at(&m.CreatedAt))
	return m, translate(err)
}

// AppendMessage stores m in its conversation under the next sequence
// number, in one transaction that also advances the conversation's LastSeq
// and sets its UpdatedAt to m.CreatedAt. A message with the same
// (ConversationID, ClientID) is returned instead, with created == false.
// An empty ClientID is never deduplicated. An empty ID is generated.
// ErrNotFound if the conversation does not exist in m.OrgID.
func (s *Store) AppendMessage(ctx context.Context, m storage.Message) (storage.Message, bool, error) {
	if m.ID == "" {
		m.ID = storage.NewID("msg")
	}
	var stored storage.Message
	var created bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		stored, created, err = appendMessage(ctx, tx, m)
		return err
	})
	if err != nil {
		return storage.Message{}, false, fmt.Errorf("append message to %s: %w", m.ConversationID, err)
	}
	return stored, created, nil
}

func appendMessage(ctx context.Context, tx *sql.Tx, m storage.Message) (storage.Message, bool, error) {
	if m.ClientID != "" {
		prev, err := messageByClientID(ctx, tx, m)
		if !errors.Is(err, storage.ErrNotFound) {
			return prev, false, err // found (err == nil) or failed
		}
	}
	const bump = `UPDATE conversations SET last_seq = last_seq + 1, updated_at = COALESCE(?, updated_at)
		WHERE id = ? AND org_id = ? RETURNING last_seq`
	if err := tx.QueryRowContext(ctx, bump, ms(m.CreatedAt), m.ConversationID, m.OrgID).Scan(&m.Seq); err != nil {
		return storage.Message{}, false, translate(err)
	}
	const insert = `INSERT INTO messages (id, org_id, conversation_id, seq, client_id,
		sender_kind, sender_id, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := tx.ExecContext(ctx, insert, m.ID, m.OrgID, m.ConversationID, m.Seq,
		nullIfEmpty(m.ClientID), string(m.SenderKind), m.SenderID, m.Text, ms(m.CreatedAt))
	if err != nil {
		return storage.Message{}, false, translate(err)
	}
	return m, true, nil
}

func messageByClientID(ctx context.Context, tx *sql.Tx, m storage.Message) (storage.Message, error) {
	const q = "SELECT " + messageCols + ` FROM messages
		WHERE conversation_id = ? AND client_id = ? AND org_id = ?`
	return scanMessage(tx.QueryRowContext(ctx, q, m.ConversationID, m.ClientID, m.OrgID))
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
