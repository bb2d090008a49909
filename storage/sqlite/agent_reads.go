package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// sqlRaiseAgentMark inserts or raises the agent's mark to min(seq, last_seq)
// (at least 0) and returns the resulting mark; no row is returned when the
// conversation is not in the organisation. The WHERE is also what SQLite's
// upsert grammar needs after INSERT … SELECT.
const sqlRaiseAgentMark = `INSERT INTO agent_reads (org_id, conversation_id, agent_id, seq)
	SELECT org_id, id, ?, MAX(0, MIN(?, last_seq)) FROM conversations WHERE id = ? AND org_id = ?
	ON CONFLICT (conversation_id, agent_id) DO UPDATE SET seq = MAX(seq, excluded.seq)
	RETURNING seq`

// MarkAgentRead raises the agent's own read mark to seq (at least 0, never
// lowered, never beyond LastSeq) and the conversation's AgentReadSeq to at
// least the resulting mark, in one transaction, and returns the mark.
// ErrNotFound if the conversation is not in orgID.
func (s *Store) MarkAgentRead(ctx context.Context, orgID, conversationID, agentID string, seq int64) (int64, error) {
	var mark int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, sqlRaiseAgentMark, agentID, seq, conversationID, orgID)
		if err := translate(row.Scan(&mark)); err != nil {
			return err
		}
		const side = `UPDATE conversations SET agent_read_seq = MAX(agent_read_seq, ?)
			WHERE id = ? AND org_id = ?`
		_, err := tx.ExecContext(ctx, side, mark, conversationID, orgID)
		return translate(err)
	})
	if err != nil {
		return 0, fmt.Errorf("mark %s read by agent %s: %w", conversationID, agentID, err)
	}
	return mark, nil
}

// AgentReadSeqs returns the agent's read marks of the organisation's
// conversations among conversationIDs (at most storage.MaxAgentReadIDs),
// keyed by conversation id; unmarked conversations have no entry. One
// query, answered from agent_reads' primary key.
func (s *Store) AgentReadSeqs(ctx context.Context, orgID, agentID string, conversationIDs []string) (map[string]int64, error) {
	if err := storage.CheckAgentReadIDs(conversationIDs); err != nil {
		return nil, err
	}
	marks := make(map[string]int64, len(conversationIDs))
	if len(conversationIDs) == 0 {
		return marks, nil
	}
	q := `SELECT conversation_id, seq FROM agent_reads WHERE agent_id = ? AND org_id = ?
		AND conversation_id IN (?` + strings.Repeat(", ?", len(conversationIDs)-1) + `)`
	args := make([]any, 0, len(conversationIDs)+2)
	args = append(args, agentID, orgID)
	for _, id := range conversationIDs {
		args = append(args, id)
	}
	if err := scanMarks(ctx, s.r, marks, q, args); err != nil {
		return nil, fmt.Errorf("agent %s read seqs: %w", agentID, err)
	}
	return marks, nil
}

// scanMarks runs q and adds each (conversation id, seq) row to marks.
func scanMarks(ctx context.Context, db *sql.DB, marks map[string]int64, q string, args []any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return err
		}
		marks[id] = seq
	}
	return rows.Err()
}
