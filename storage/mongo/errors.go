package mongo

import (
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/helpr-chat/helpr/storage"
)

// translate maps driver errors onto the storage sentinels, keeping
// errors.Is working: no document → ErrNotFound, a duplicate key (code
// 11000) → ErrConflict. The server's duplicate-key message is dropped: it
// quotes the key (an email, say), which must not reach logs. Other errors
// pass through unchanged.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return storage.ErrNotFound
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%w: duplicate key", storage.ErrConflict)
	}
	return err
}

// isDuplicate reports whether err is a duplicate-key error (raw or
// translated).
func isDuplicate(err error) bool {
	return mongo.IsDuplicateKeyError(err) || errors.Is(err, storage.ErrConflict)
}
