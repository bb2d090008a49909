package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/helpr-chat/helpr/storage"
)

// translate maps driver errors onto the storage sentinels, keeping
// errors.Is working: no rows → ErrNotFound, a uniqueness violation →
// ErrConflict, a missing referenced record → ErrNotFound, and a database
// that cannot answer now (busy or locked past busy_timeout, an I/O error,
// a file that cannot be opened, a closed store, a deadline) →
// ErrUnavailable, with the driver's error kept in the chain. Other errors
// pass through unchanged.
func translate(err error) error {
	if err == nil || errors.Is(err, storage.ErrUnavailable) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %s", storage.ErrConflict, se.Error())
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: referenced record does not exist", storage.ErrNotFound)
	}
	return err
}

// errDBClosed is database/sql's (unexported) error for a closed *sql.DB.
const errDBClosed = "sql: database is closed"

// unavailable reports whether err means the database could not answer now,
// as opposed to a refused or malformed request.
func unavailable(err error) bool {
	if errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code of an extended one
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL:
			return true
		}
		return false
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == errDBClosed {
			return true
		}
	}
	return false
}
