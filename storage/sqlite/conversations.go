package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Conversation list limits (storage.ConversationFilter.Limit).
const (
	defaultConversationLimit = 50
	maxConversationLimit     = 200
)

const conversationCols = `id, org_id, visitor_id, widget_id, assignee_id, status, last_seq,
	visitor_read_seq, agent_read_seq, preview, last_sender_kind, created_at, updated_at, closed_at`

func scanConversation(sc scanner) (storage.Conversation, error) {
	var c storage.Conversation
	err := sc.Scan(&c.ID, &c.OrgID, &c.VisitorID, &c.WidgetID, &c.AssigneeID, &c.Status,
		&c.LastSeq, &c.VisitorReadSeq, &c.AgentReadSeq, &c.Preview, &c.LastSenderKind,
		at(&c.CreatedAt), at(&c.UpdatedAt), at(&c.ClosedAt))
	return c, translate(err)
}

// CreateConversation stores a new conversation with LastSeq and both read
// sequences 0 and no preview. An empty Status is stored as open.
func (s *Store) CreateConversation(ctx context.Context, c storage.Conversation) error {
	if c.Status == "" {
		c.Status = storage.ConversationOpen
	}
	if c.ID == "" || (c.Status != storage.ConversationOpen && c.Status != storage.ConversationClosed) {
		return fmt.Errorf("create conversation: need an id and a valid status, got %q, %q", c.ID, c.Status)
	}
	const q = `INSERT INTO conversations (id, org_id, visitor_id, widget_id, assignee_id, status,
		created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := s.w.ExecContext(ctx, q, c.ID, c.OrgID, c.VisitorID, c.WidgetID, c.AssigneeID,
		string(c.Status), ms(c.CreatedAt), ms(c.UpdatedAt), ms(c.ClosedAt))
	if err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, translate(err))
	}
	return nil
}

// GetConversation returns conversation id of organisation orgID.
func (s *Store) GetConversation(ctx context.Context, orgID, id string) (storage.Conversation, error) {
	const q = "SELECT " + conversationCols + " FROM conversations WHERE id = ? AND org_id = ?"
	c, err := scanConversation(s.r.QueryRowContext(ctx, q, id, orgID))
	if err != nil {
		return storage.Conversation{}, fmt.Errorf("get conversation %s: %w", id, err)
	}
	return c, nil
}

// ListConversations returns the organisation's conversations matching f,
// ordered by UpdatedAt descending, then ID descending.
func (s *Store) ListConversations(ctx context.Context, orgID string, f storage.ConversationFilter) ([]storage.Conversation, error) {
	q, args := conversationQuery(orgID, f)
	list, err := queryList(ctx, s.r, scanConversation, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list conversations of %s: %w", orgID, err)
	}
	return list, nil
}

func conversationQuery(orgID string, f storage.ConversationFilter) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT " + conversationCols + " FROM conversations WHERE org_id = ?")
	args := []any{orgID}
	add := func(cond string, arg any) {
		b.WriteString(" AND " + cond)
		args = append(args, arg)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.AssigneeID != "" {
		add("assignee_id = ?", f.AssigneeID)
	}
	if f.Unassigned {
		add("assignee_id = ?", "")
	}
	if f.VisitorID != "" {
		add("visitor_id = ?", f.VisitorID)
	}
	if !f.Before.IsZero() {
		add("updated_at < ?", f.Before.UnixMilli())
	}
	if c := f.Cursor; c != nil {
		// A row-value comparison: SQLite turns it into a range on the
		// (…, updated_at DESC, id DESC) index the query already uses.
		b.WriteString(" AND (updated_at, id) < (?, ?)")
		args = append(args, c.UpdatedAt.UnixMilli(), c.ID)
	}
	b.WriteString(" ORDER BY updated_at DESC, id DESC LIMIT ?")
	args = append(args, clamp(f.Limit, defaultConversationLimit, maxConversationLimit))
	return b.String(), args
}

// clamp returns def for n <= 0 and at most max.
func clamp(n, def, max int) int {
	if n <= 0 {
		return def
	}
	return min(n, max)
}

// SetAssignee sets the assignee to `to` only if it currently equals `from`
// ("" meaning unassigned); otherwise ErrConflict. UpdatedAt becomes at.
func (s *Store) SetAssignee(ctx context.Context, orgID, id, from, to string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = `UPDATE conversations SET assignee_id = ?, updated_at = ?
			WHERE id = ? AND org_id = ? AND assignee_id = ?`
		res, err := tx.ExecContext(ctx, q, to, ms(at), id, orgID, from)
		if err != nil {
			return translate(err)
		}
		if err := oneRow(res); !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if err := conversationExists(ctx, tx, orgID, id); err != nil {
			return err
		}
		return fmt.Errorf("%w: assignee is not %q", storage.ErrConflict, from)
	})
	if err != nil {
		return fmt.Errorf("set assignee of %s: %w", id, err)
	}
	return nil
}

func conversationExists(ctx context.Context, tx *sql.Tx, orgID, id string) error {
	var one int
	const q = "SELECT 1 FROM conversations WHERE id = ? AND org_id = ?"
	return translate(tx.QueryRowContext(ctx, q, id, orgID).Scan(&one))
}

// CloseConversation marks the conversation closed at `at`, setting
// ClosedAt and UpdatedAt. Closing a closed conversation changes nothing.
func (s *Store) CloseConversation(ctx context.Context, orgID, id string, at time.Time) error {
	const q = `UPDATE conversations SET status = 'closed', closed_at = ?, updated_at = ?
		WHERE id = ? AND org_id = ? AND status <> 'closed'`
	if err := s.setStatus(ctx, orgID, id, q, ms(at), ms(at), id, orgID); err != nil {
		return fmt.Errorf("close conversation %s: %w", id, err)
	}
	return nil
}

// ReopenConversation makes a closed conversation open, assigned to
// assigneeID, with ClosedAt cleared and UpdatedAt set to at, in one
// conditional UPDATE. An open conversation is left as it is (nil).
// ErrNotFound if the conversation is not in orgID.
func (s *Store) ReopenConversation(ctx context.Context, orgID, id, assigneeID string, at time.Time) error {
	const q = `UPDATE conversations SET status = 'open', closed_at = NULL, assignee_id = ?, updated_at = ?
		WHERE id = ? AND org_id = ? AND status = 'closed'`
	if err := s.setStatus(ctx, orgID, id, q, assigneeID, ms(at), id, orgID); err != nil {
		return fmt.Errorf("reopen conversation %s: %w", id, err)
	}
	return nil
}

// setStatus runs a conditional status UPDATE q with args on conversation id
// of orgID: no row changed is fine when the conversation exists (it was
// already in that status), ErrNotFound when it does not.
func (s *Store) setStatus(ctx context.Context, orgID, id, q string, args ...any) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return translate(err)
		}
		if err := oneRow(res); !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		return conversationExists(ctx, tx, orgID, id)
	})
}

// readSeqColumn maps a side to its column; only these fixed names ever
// reach the SQL text.
var readSeqColumn = map[storage.SenderKind]string{
	storage.SenderVisitor: "visitor_read_seq",
	storage.SenderAgent:   "agent_read_seq",
}

// MarkRead raises the side's read sequence to seq, never lowering it and
// never beyond LastSeq, and returns the resulting value. side must be
// SenderVisitor or SenderAgent.
func (s *Store) MarkRead(ctx context.Context, orgID, id string, side storage.SenderKind, seq int64) (int64, error) {
	col, ok := readSeqColumn[side]
	if !ok {
		return 0, fmt.Errorf("mark read %s: invalid side %q", id, side)
	}
	q := "UPDATE conversations SET " + col + " = MAX(" + col + ", MIN(?, last_seq))" +
		" WHERE id = ? AND org_id = ? RETURNING " + col
	var got int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		return translate(tx.QueryRowContext(ctx, q, seq, id, orgID).Scan(&got))
	})
	if err != nil {
		return 0, fmt.Errorf("mark read %s: %w", id, err)
	}
	return got, nil
}
