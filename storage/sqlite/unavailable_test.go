package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// A store that cannot answer (here: closed underneath its callers) reports
// storage.ErrUnavailable on reads and on the group-committed append, so
// callers can answer "try again" instead of "not found" or "internal".
func TestClosedStoreIsUnavailable(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetAccessGrant(ctx, make([]byte, 32))
	if !errors.Is(err, storage.ErrUnavailable) || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetAccessGrant on a closed store: %v; want storage.ErrUnavailable", err)
	}
	_, _, err = s.AppendMessage(ctx, storage.Message{OrgID: "org_x", ConversationID: "cnv_x", ClientID: "c",
		SenderKind: storage.SenderVisitor, SenderID: "vis_x", Text: "hi"})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("AppendMessage on a closed store: %v; want storage.ErrUnavailable", err)
	}
}
