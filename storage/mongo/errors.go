package mongo

import (
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/helpr-chat/helpr/storage"
)

// translate maps driver errors onto the storage sentinels, keeping
// errors.Is working: no document → ErrNotFound, a duplicate key (code
// 11000) → ErrConflict, a server that cannot be reached or answer in time
// (a network error, a server selection or operation timeout, a
// disconnected client) → ErrUnavailable with the driver's error kept in the
// chain. The server's duplicate-key message is dropped: it quotes the key
// (an email, say), which must not reach logs. Other errors pass through
// unchanged.
func translate(err error) error {
	switch {
	case err == nil, errors.Is(err, storage.ErrUnavailable):
		return err
	case errors.Is(err, mongo.ErrNoDocuments):
		return storage.ErrNotFound
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%w: duplicate key", storage.ErrConflict)
	case unavailable(err):
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return err
}

// isDuplicate reports whether err is a duplicate-key error (raw or
// translated).
func isDuplicate(err error) bool {
	return mongo.IsDuplicateKeyError(err) || errors.Is(err, storage.ErrConflict)
}

// unavailable reports whether err means the server could not be reached or
// did not answer in time, as opposed to refusing the request.
func unavailable(err error) bool {
	return errors.Is(err, mongo.ErrClientDisconnected) ||
		mongo.IsNetworkError(err) || mongo.IsTimeout(err)
}
