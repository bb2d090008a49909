package storage

import "errors"

// ErrNotFound reports that no record matched the query within the caller's
// organisation.
var ErrNotFound = errors.New("storage: not found")

// ErrConflict reports that a write lost to a uniqueness constraint or to a
// compare-and-swap precondition (duplicate email, already-rotated refresh
// token, assignee changed underneath the caller).
var ErrConflict = errors.New("storage: conflict")
