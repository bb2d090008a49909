package storage

import "errors"

// ErrNotFound reports that no record matched the query within the caller's
// organisation.
var ErrNotFound = errors.New("storage: not found")

// ErrConflict reports that a write lost to a uniqueness constraint or to a
// compare-and-swap precondition (duplicate email, already-rotated refresh
// token, assignee changed underneath the caller).
var ErrConflict = errors.New("storage: conflict")

// ErrConversationClosed reports an append to a conversation that was closed
// when the write took place (see MessageStore.AppendMessage): the status
// check is part of the write, so a close on another node cannot slip in
// between a caller's check and the append.
var ErrConversationClosed = errors.New("storage: conversation closed")
