package storage

import "errors"

// ErrNotFound reports that no record matched the query within the caller's
// organisation.
var ErrNotFound = errors.New("storage: not found")

// ErrConflict reports that a write lost to a uniqueness constraint or to a
// compare-and-swap precondition (duplicate email, already-rotated refresh
// token, assignee changed underneath the caller).
var ErrConflict = errors.New("storage: conflict")

// ErrUnavailable reports that the backend could not answer: SQLite busy,
// locked, closed or failing I/O; MongoDB unreachable (network error, server
// selection or operation timeout, disconnected client). The operation may or
// may not have taken effect; it is retryable (idempotent writes such as
// AppendMessage with its client id are safe to resend). Callers answer it as
// "try again" (HTTP 503, wire code "unavailable"), never as "not found" or
// "unauthorized". The backend's error stays in the chain.
var ErrUnavailable = errors.New("storage: unavailable")

// ErrConversationClosed reports an append to a conversation that was closed
// when the write took place (see MessageStore.AppendMessage): the status
// check is part of the write, so a close on another node cannot slip in
// between a caller's check and the append.
var ErrConversationClosed = errors.New("storage: conversation closed")
