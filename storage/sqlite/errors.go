package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/helpr-chat/helpr/storage"
)

// translate maps driver errors onto the storage sentinels, keeping
// errors.Is working: no rows → ErrNotFound, a uniqueness violation →
// ErrConflict, a missing referenced record → ErrNotFound. Other errors pass
// through unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
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
