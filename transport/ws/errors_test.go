package ws

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Every error a hub call can return maps to its documented error code,
// wrapped or not; only what nobody anticipated is internal (and only then
// is the cause kept out of the frame).
func TestErrorFrameFor(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("hub: send: %w", err) }
	cases := []struct {
		name     string
		err      error
		code     wire.ErrorCode
		internal bool
	}{
		{"not found", storage.ErrNotFound, wire.CodeNotFound, false},
		{"not found, wrapped", wrap(storage.ErrNotFound), wire.CodeNotFound, false},
		{"conflict", storage.ErrConflict, wire.CodeConflict, false},
		{"forbidden", hub.ErrForbidden, wire.CodeForbidden, false},
		{"forbidden, wrapped", wrap(hub.ErrForbidden), wire.CodeForbidden, false},
		{"hub: closed", hub.ErrClosed, wire.CodeConversationClosed, false},
		{"store: closed by a conditional append", storage.ErrConversationClosed, wire.CodeConversationClosed, false},
		{"store: closed, wrapped", wrap(storage.ErrConversationClosed), wire.CodeConversationClosed, false},
		{"invalid", fmt.Errorf("%w: text is empty", hub.ErrInvalid), wire.CodeValidationFailed, false},
		{"store unavailable", wrap(storage.ErrUnavailable), wire.CodeUnavailable, false},
		{"session check unavailable", security.ErrUnavailable, wire.CodeUnavailable, false},
		{"unknown", errors.New("disk on fire"), wire.CodeInternal, true},
		{"deadline", context.DeadlineExceeded, wire.CodeInternal, true},
	}
	for _, tc := range cases {
		code, msg, internal := errorFrameFor(tc.err)
		if code != tc.code || internal != tc.internal {
			t.Errorf("%s: errorFrameFor = %q (internal %v), want %q (internal %v)", tc.name, code, internal, tc.code, tc.internal)
		}
		if msg == "" {
			t.Errorf("%s: empty message", tc.name)
		}
		if internal && msg == tc.err.Error() {
			t.Errorf("%s: an internal error's cause %q reached the frame", tc.name, msg)
		}
	}
}

// Token failures close with the documented code, and a store that could
// not answer is "try again", never "sign in again".
func TestCloseForTokenFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		code wire.CloseCode
	}{
		{"revoked", security.ErrSessionRevoked, wire.CloseSessionRevoked},
		{"refresh reused", security.ErrRefreshReused, wire.CloseSessionRevoked},
		{"expired", security.ErrTokenExpired, wire.CloseTokenExpired},
		{"session store down", fmt.Errorf("validate: %w", security.ErrUnavailable), wire.CloseTryAgain},
		{"store down", fmt.Errorf("validate: %w", storage.ErrUnavailable), wire.CloseTryAgain},
		{"garbage", errors.New("bad token"), wire.CloseUnauthorized},
	}
	for _, tc := range cases {
		if got := closeFor(tokenFailure(tc.err)).code; got != tc.code {
			t.Errorf("%s: close %d, want %d", tc.name, got, tc.code)
		}
	}
}
