package mongo

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/helpr-chat/helpr/storage"
)

// The driver's "could not reach or hear from the server" errors map to
// storage.ErrUnavailable (keeping the driver error in the chain); refusals
// do not.
func TestTranslateUnavailable(t *testing.T) {
	unavailable := []error{
		mongo.CommandError{Code: 6, Name: "HostUnreachable", Labels: []string{"NetworkError"}},
		fmt.Errorf("find: %w", context.DeadlineExceeded),
		mongo.ErrClientDisconnected,
	}
	for _, err := range unavailable {
		got := translate(err)
		var ce mongo.CommandError
		kept := errors.Is(got, err) || errors.As(err, &ce) && errors.As(got, &ce)
		if !errors.Is(got, storage.ErrUnavailable) || !kept {
			t.Errorf("translate(%v) = %v; want storage.ErrUnavailable wrapping it", err, got)
		}
		if again := translate(got); again != got {
			t.Errorf("translating twice changed %v to %v", got, again)
		}
	}
	for _, err := range []error{mongo.ErrNoDocuments, mongo.CommandError{Code: 2, Name: "BadValue"}} {
		if errors.Is(translate(err), storage.ErrUnavailable) {
			t.Errorf("translate(%v) reads as unavailable", err)
		}
	}
}
