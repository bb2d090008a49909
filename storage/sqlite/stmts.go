package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// appendStmts are the append path's statements, prepared once on the write
// connection: parsing SQL on every append cost more than running it.
type appendStmts struct {
	byClientID, bump, insert       *sql.Stmt
	bumpChecked, conversation      *sql.Stmt
	savepoint, rollbackTo, release *sql.Stmt
}

const (
	sqlMessageByClientID = "SELECT " + messageCols + ` FROM messages
		WHERE conversation_id = ? AND client_id = ? AND org_id = ?`
	sqlBumpSeq = `UPDATE conversations SET last_seq = last_seq + 1, updated_at = COALESCE(?, updated_at),
		preview = ?, last_sender_kind = ? WHERE id = ? AND org_id = ? AND status = 'open' RETURNING last_seq`
	// sqlBumpSeqChecked is sqlBumpSeq for AppendMessageChecked: the
	// participant check is part of the WHERE clause (the first of its last
	// two arguments is true for a sender that is no visitor, the second is
	// the sender's id), and it returns the conversation as updated.
	sqlBumpSeqChecked = `UPDATE conversations SET last_seq = last_seq + 1, updated_at = COALESCE(?, updated_at),
		preview = ?, last_sender_kind = ? WHERE id = ? AND org_id = ? AND status = 'open'
		AND (? OR visitor_id = ?) RETURNING ` + conversationCols
	sqlConversation  = "SELECT " + conversationCols + " FROM conversations WHERE id = ? AND org_id = ?"
	sqlInsertMessage = `INSERT INTO messages (id, org_id, conversation_id, seq, client_id,
		sender_kind, sender_id, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

func prepareAppend(ctx context.Context, w *sql.DB) (*appendStmts, error) {
	var st appendStmts
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.byClientID, sqlMessageByClientID},
		{&st.bump, sqlBumpSeq},
		{&st.bumpChecked, sqlBumpSeqChecked},
		{&st.conversation, sqlConversation},
		{&st.insert, sqlInsertMessage},
		{&st.savepoint, "SAVEPOINT item"},
		{&st.rollbackTo, "ROLLBACK TO item"},
		{&st.release, "RELEASE item"},
	} {
		stmt, err := w.PrepareContext(ctx, p.query)
		if err != nil {
			_ = st.close()
			return nil, fmt.Errorf("prepare %q: %w", p.query, err)
		}
		*p.dst = stmt
	}
	return &st, nil
}

func (st *appendStmts) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{st.byClientID, st.bump, st.bumpChecked, st.conversation, st.insert,
		st.savepoint, st.rollbackTo, st.release} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}
