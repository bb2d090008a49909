package storage

import "time"

// ConversationCursor is a position in a conversation list ordered by
// UpdatedAt descending, then ID descending: ConversationFilter.Cursor
// returns the conversations strictly after it in that order (updated
// earlier, or updated at the same millisecond with a smaller ID), so
// paging by the last row of each page yields every conversation once,
// ties on UpdatedAt included.
type ConversationCursor struct {
	UpdatedAt time.Time
	ID        string
}

// VisitorCursor is a position in an organisation's visitor list ordered by
// CreatedAt descending, then ID descending (newest first): ListVisitors
// returns the visitors strictly after it in that order.
type VisitorCursor struct {
	CreatedAt time.Time
	ID        string
}
