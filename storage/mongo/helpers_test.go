package mongo

import (
	"errors"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// base is the tests' clock origin (whole milliseconds, UTC).
var base = time.UnixMilli(1_767_225_600_000).UTC()

// at returns base plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

// wantConflict fails the test unless err wraps storage.ErrConflict.
func wantConflict(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, storage.ErrConflict) {
		t.Errorf("%s: got %v, want ErrConflict", what, err)
	}
}
